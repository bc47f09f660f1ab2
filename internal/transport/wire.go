package transport

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/wsfsm/wsfsm/internal/closecode"
)

// maxHandshakeHeaderBytes bounds the head of the server's handshake response
// (status line and headers); a longer one fails the dial with an error
// matching errBadHandshakeResponse. It is net/http's default bound for
// request headers (http.DefaultMaxHeaderBytes), ample for a handshake.
const maxHandshakeHeaderBytes = 1 << 20

// wireConn is the connection gorilla reads and writes through. It does three
// things gorilla does not:
//
//   - Reading, it watches the server's bytes (see frameGuard): it bounds the
//     handshake response's head and stops, before gorilla parses them, the
//     frames gorilla would mishandle.
//   - Writing, it bounds a write by progress (see Write), not by one
//     deadline for a whole message.
//   - It does not pass on a write deadline equal to the one already set:
//     gorilla sets one before every frame, and setting a new one costs a
//     runtime timer update.
//
// Under TLS there are two: one under TLS for the writes (a timed-out write
// leaves a tls.Conn broken for good, so the progress rule must act below
// it), one above TLS, under gorilla, for the reads.
type wireConn struct {
	net.Conn

	// Write side, guarded by gorilla's write lock (or crypto/tls's).
	writeDeadline time.Time     // the last one asked for
	progress      time.Duration // > 0: extend a timed-out write that made progress
	written       uint64        // bytes the connection accepted
	mark          uint64        // written when the current window began
	msgSeq        uint64        // msgs at the last Write
	msgs          atomic.Uint64 // bumped by each WriteMessage: a new window

	// Read side, used only by the one goroutine reading at a time.
	head  *headCheck // the handshake response's check, until it is over
	guard frameGuard
	n     int   // the last read's result, handed to guard.scan
	err   error // (in the struct, not the frame: see Read)
	yield bool  // a message was delivered since the last Read (see Link.deliver)
}

// newWireConn wraps c; guard says whether its reads are watched (only the
// layer right under gorilla, where the WebSocket bytes are clear).
func newWireConn(c net.Conn, guard bool) *wireConn {
	w := &wireConn{Conn: c}
	if guard {
		w.guard.mode = guardHead
	}
	return w
}

// Read reads from the connection and lets the guard look at what came. It is
// kept small: an idle reader goroutine waits under it (see StartReader), so
// its results go through the struct rather than its own frame.
func (c *wireConn) Read(p []byte) (int, error) {
	if c.head != nil {
		return c.readHead(p)
	}
	if c.guard.fail != nil {
		return 0, c.guard.fail
	}
	if c.yield {
		c.yield = false
		runtime.Gosched()
	}
	n, err := c.Conn.Read(p)
	c.n, c.err = n, err
	return c.scan(p)
}

// readHead reads through the head check, which reads the wire through
// c.Read: c.head is nil meanwhile. Once the check is over it stays out of
// the read path, so that it adds no frame under an idle reader.
func (c *wireConn) readHead(p []byte) (int, error) {
	h := c.head
	if h.req != nil { // the request goes out first, in one write
		n, err := c.Conn.Write(h.req)
		c.written += uint64(n)
		if err != nil {
			return 0, err
		}
		h.buf, h.req = h.req[:0], nil
	}
	c.head = nil
	n, err := h.Read(p)
	if !h.over() {
		c.head = h
	}
	return n, err
}

// scan hands the last read to the guard. A violation cuts the bytes at the
// start of the offending frame and reports the error (for good).
func (c *wireConn) scan(p []byte) (int, error) {
	n, err := c.n, c.err
	c.err = nil
	if c.guard.mode == guardOff || n == 0 {
		return n, err
	}
	if keep, bad := c.guard.scan(p[:n]); bad != nil {
		c.guard.fail = bad
		return keep, bad
	}
	return n, err
}

// WriteByte writes b. It is there for net/http: a Request.Write to an
// io.ByteWriter writes straight to it rather than through a 4 KiB
// bufio.Writer of its own, which would be garbage once the handshake is
// over, left among each connection's long-lived objects (VmRSS per idle
// Conn, wsfsm bench -conns-child). Write holds the request instead, until
// the first read (see headCheck).
func (c *wireConn) WriteByte(b byte) error {
	_, err := c.Write([]byte{b})
	return err
}

// WriteString writes s: net/http writes the request's strings through it
// (else each would be copied to a []byte of its own on the way).
func (c *wireConn) WriteString(s string) (int, error) {
	if h := c.head; h != nil {
		keep(h, s)
		return len(s), nil
	}
	return c.Write([]byte(s))
}

// SetWriteDeadline sets t unless it is the deadline already asked for.
func (c *wireConn) SetWriteDeadline(t time.Time) error {
	if t.Equal(c.writeDeadline) {
		return nil
	}
	c.writeDeadline = t
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines, keeping the write deadline's cache true.
func (c *wireConn) SetDeadline(t time.Time) error {
	c.writeDeadline = t
	return c.Conn.SetDeadline(t)
}

// Write writes p. With a progress bound set (enableProgress), a write whose
// deadline passes is not failed if the peer accepted bytes since the window
// began (the current WriteMessage started, or the last extension): the
// deadline moves to now + the bound and the write goes on. So a write fails
// only once the peer accepted no byte for a whole window: a slow reader that
// keeps reading is not cut, a peer that stopped reading is cut after at
// most twice the bound (once, when it stopped at a message's start).
func (c *wireConn) Write(p []byte) (int, error) {
	if h := c.head; h != nil { // the handshake request: held (see WriteByte)
		keep(h, p)
		return len(p), nil
	}
	if s := c.msgs.Load(); s != c.msgSeq {
		c.msgSeq, c.mark = s, c.written // a new message: a new window
	}
	n, err := c.Conn.Write(p)
	c.written += uint64(n)
	if err != nil && c.progress > 0 {
		return c.writeOn(p, n, err)
	}
	return n, err
}

// writeOn continues a write whose deadline passed while the peer was still
// accepting bytes.
func (c *wireConn) writeOn(p []byte, n int, err error) (int, error) {
	for err != nil && isTimeout(err) && c.written != c.mark {
		c.mark = c.written
		if c.Conn.SetWriteDeadline(time.Now().Add(c.progress)) != nil {
			break
		}
		var m int
		m, err = c.Conn.Write(p[n:])
		n += m
		c.written += uint64(m)
	}
	return n, err
}

// enableProgress turns the progress bound on once the handshake is over (a
// dial's own deadlines must stay as they are).
func (c *wireConn) enableProgress(d time.Duration) {
	c.progress = d
	c.mark = c.written
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// guard modes
const (
	guardOff    = iota // not watching (the layer under TLS; a refused upgrade's body)
	guardHead          // reading the handshake response's head
	guardFrames        // reading WebSocket frames
)

// frameGuard follows the server's byte stream, frame header by frame header,
// without copying it: payload bytes are only counted. It stops what gorilla
// v1.5.3 gets wrong before gorilla parses it:
//
//   - a handshake response head longer than maxHandshakeHeaderBytes
//     (gorilla reads any length);
//   - a close frame with a 1-byte payload (gorilla takes it for 1005, an
//     empty close; RFC 6455 5.5.1 makes it a protocol error);
//   - a 64-bit payload length with its most significant bit set (gorilla
//     reports its read limit and claims to have sent 1009);
//   - RSV1 on a control frame or a continuation frame (with
//     permessage-deflate on, gorilla takes it for compression; RSV1 may
//     only mark a message's first frame, RFC 7692 6.1);
//
// and it lets the registered close codes that gorilla refuses
// (closecode.Info.GorillaRefuses: 1014, Bad Gateway, registered after
// gorilla's list was written) through: gorilla answers them with 1002 "bad
// close code", so the guard rewrites them to 1011 on their way in and the
// Link restores them (peerCodeOf).
//
// Its counters are as narrow as their bounds allow (the head's by
// maxHandshakeHeaderBytes, a frame header's by 14, the close code's by 2),
// and its small fields sit together: a wireConn fits the runtime's 208 B
// size class (one per idle connection).
type frameGuard struct {
	fail error  // the violation found; every later read returns it
	left uint64 // frames: payload bytes of the current frame still to come

	// head
	head    int32    // bytes of the head so far
	line    int32    // index of the current line
	lineLen int32    // bytes in the current line so far
	status  [16]byte // the start of the status line

	// frames
	refused int32    // a close code gorilla refuses, passed to it as 1011; 0 if none
	hdr     [14]byte // the frame header so far

	mode     uint8
	statusN  uint8 // head: bytes in status
	lastCR   bool  // head: the last byte of the current line was '\r'
	isSwitch bool  // head: the status line says 101
	inClose  bool  // the current frame is an unmasked close frame
	codeHi   byte  // the close code's first byte
	hdrN     uint8 // header bytes collected
	hdrNeed  uint8 // header length, known from its second byte
	closeAt  uint8 // close payload bytes seen (up to 2)
}

// A violation of RFC 6455 found in the server's frames.
type violation struct{ reason string }

func (v *violation) Error() string { return v.reason }

// headTooLarge reports a handshake response head over the bound.
type headTooLarge struct{ status int }

func (e *headTooLarge) Error() string {
	return "response head exceeds " + strconv.Itoa(maxHandshakeHeaderBytes) + " bytes"
}

// scan follows p, the bytes just read. On a violation it returns how many of
// them gorilla may still have (those before the offending frame) and why.
// It may rewrite a close code in p (see frameGuard).
func (g *frameGuard) scan(p []byte) (keep int, bad error) {
	i := 0
	if g.mode == guardHead {
		var done bool
		if i, done, bad = g.scanHead(p); bad != nil || !done {
			return i, bad
		}
	}
	if g.mode != guardFrames {
		return len(p), nil
	}
	start := 0 // where the current frame header began in p
	for i < len(p) {
		if g.left > 0 {
			k := uint64(len(p) - i)
			if k > g.left {
				k = g.left
			}
			if g.inClose && g.closeAt < 2 {
				g.closeCode(p[i : i+int(k)])
			}
			i += int(k)
			g.left -= k
			continue
		}
		if g.hdrN == 0 {
			start = i
		}
		g.hdr[g.hdrN] = p[i]
		g.hdrN++
		i++
		if g.hdrN == 2 {
			g.hdrNeed = 2
			switch g.hdr[1] & 0x7f {
			case 126:
				g.hdrNeed += 2
			case 127:
				g.hdrNeed += 8
			}
			if g.hdr[1]&0x80 != 0 {
				g.hdrNeed += 4 // a mask key: gorilla refuses it next
			}
			if g.hdr[0]&0x0f == 8 && g.hdr[1]&0x7f == 1 {
				return g.cut(start, "close frame with a 1-byte payload (RFC 6455 5.5.1)")
			}
			if op := g.hdr[0] & 0x0f; g.hdr[0]&0x40 != 0 && (op == 0 || op >= 8) {
				// gorilla takes RSV1 on any frame for "compressed" once
				// permessage-deflate is on (without it, it refuses RSV1).
				return g.cut(start, "RSV1 set on a control or continuation frame (RFC 7692 6.1)")
			}
		}
		if g.hdrN == 3 && g.hdr[1]&0x7f == 127 && g.hdr[2]&0x80 != 0 {
			return g.cut(start, "frame payload length has its most significant bit set (RFC 6455 5.2)")
		}
		if g.hdrN < 2 || g.hdrN < g.hdrNeed {
			continue
		}
		g.left = g.length()
		g.inClose = g.hdr[0]&0x0f == 8 && g.hdr[1]&0x80 == 0
		g.closeAt = 0
		g.hdrN = 0
	}
	return len(p), nil
}

// cut reports a violation in the frame whose header starts at p[start] (at
// 0 when it began in an earlier read: start is only set when a header
// begins in this one).
func (g *frameGuard) cut(start int, reason string) (int, error) {
	return start, &violation{reason: reason}
}

// length decodes the payload length of the complete header in g.hdr.
func (g *frameGuard) length() uint64 {
	switch n := g.hdr[1] & 0x7f; n {
	case 126:
		return uint64(g.hdr[2])<<8 | uint64(g.hdr[3])
	case 127:
		var v uint64
		for _, b := range g.hdr[2:10] {
			v = v<<8 | uint64(b)
		}
		return v
	default:
		return uint64(n)
	}
}

// closeCode watches the first two payload bytes of a close frame and turns
// a code gorilla refuses into 1011 (see frameGuard).
func (g *frameGuard) closeCode(b []byte) {
	for j := 0; j < len(b) && g.closeAt < 2; j++ {
		if g.closeAt == 0 {
			g.codeHi = b[j]
		} else if code := int(g.codeHi)<<8 | int(b[j]); closecode.Of(code).GorillaRefuses && code>>8 == closecode.InternalError>>8 {
			b[j] = byte(closecode.InternalError & 0xff) // same high byte
			g.refused = int32(code)
		}
		g.closeAt++
	}
}

// scanHead follows the handshake response's head up to its blank line. It
// returns where the head ended in p and whether it did.
func (g *frameGuard) scanHead(p []byte) (int, bool, error) {
	for i, b := range p {
		g.head++
		if g.head > maxHandshakeHeaderBytes {
			return i, false, &headTooLarge{status: g.statusCode()}
		}
		if g.line == 0 && int(g.statusN) < len(g.status) {
			g.status[g.statusN] = b
			g.statusN++
		}
		if b != '\n' {
			g.lineLen++
			g.lastCR = b == '\r'
			continue
		}
		// textproto ends the head at a line that is empty once a
		// trailing '\r' is dropped.
		empty := g.lineLen == 0 || g.lineLen == 1 && g.lastCR
		if g.line == 0 {
			g.isSwitch = g.statusCode() == 101
		}
		g.line++
		g.lineLen, g.lastCR = 0, false
		if empty && g.line > 1 {
			g.mode = guardOff // a refused upgrade's body is not frames
			if g.isSwitch {
				g.mode = guardFrames
			}
			return i + 1, true, nil
		}
	}
	return len(p), false, nil
}

// statusCode parses the status code out of "HTTP/1.1 101 ...", 0 if it
// cannot.
func (g *frameGuard) statusCode() int {
	s := g.status[:g.statusN]
	for i, b := range s {
		if b == ' ' {
			if i+4 > len(s) {
				return 0
			}
			code, err := strconv.Atoi(string(s[i+1 : i+4]))
			if err != nil {
				return 0
			}
			return code
		}
	}
	return 0
}
