package transport

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/closecode"
)

// controlWait bounds the pong and close-frame answers the reader writes.
const controlWait = time.Second

// reader states
const (
	readerNone    = iota // no reader yet (ReadMessage allowed)
	readerRunning        // StartReader's goroutine waits for its turn or reads
	readerEnded          // it returned from done
	readerSelf           // Close reads by itself (no StartReader)
)

// Link is one live WebSocket connection: a fresh *websocket.Conn and the raw
// connection under it. Its methods are safe for concurrent use.
type Link struct {
	ws           *websocket.Conn
	raw          net.Conn
	rd           *wireConn     // under gorilla: its guard watched the server's frames
	wr           *wireConn     // over raw: writes are bounded by progress there
	writeTimeout time.Duration // <= 0: none
	compressMin  int           // messages this long or longer are compressed
	inflateMax   int64         // bound on an inflated message; 0: none
	// writeDeadline is the write deadline gorilla uses; guarded by wmu.
	writeDeadline time.Time
	dial          uint32 // DialConfig.Dial modulo 2^32: every Message read carries it
	compressed    bool   // permessage-deflate was negotiated
	abortRST      bool
	// (The small fields sit together, here and at the end of the mu group:
	// a Link fits the runtime's 384 B size class.)

	wmu        atomic.Pointer[chan struct{}] // write lock (capacity 1), so waiting honours ctx; made on first use (writeLock)
	rmu        chan struct{}                 // read lock: ReadMessage, Close's own reading, the reader for good
	life       atomic.Uint64                 // counts frames and message bytes received
	delivering atomic.Bool                   // the reader is not reading: it waits for its consumer or its turn
	discard    bool                          // the reader's own: Close began before its turn: read to the end, deliver nothing
	discarded  atomic.Uint64                 // messages read and dropped after stop
	lr         lifeReader                    // the reading goroutine's, reused for every message
	ka         atomic.Pointer[keepalive]

	// The reader goroutine's own: StartReader's arguments (and discard).
	out       chan<- Message
	stop      <-chan struct{}
	after     *turn // the previous link's; nil once the wait for it is over
	onReadEnd func(error, uint64)

	filter func(Message) bool // see SetFilter; set before StartReader

	mu          sync.Mutex
	closing     chan struct{} // closed when Close or Abort begins, or reading ended (closingShut); made when first waited on (closingCh)
	abortCh     chan struct{} // closed by the first abort; made when first waited on (abortedChLocked)
	abortErr    error         // set by the Abort that closed TCP
	readEnded   chan struct{} // closed once readErr is known; made when first waited on (readEndedChLocked)
	readErr     error
	held        []Message // kept for the next reader (Unread, a ReadMessage whose caller left)
	peerCode    int
	peerReason  string
	done        chan struct{} // closed once doneShut; made when first asked for (Done)
	readerState uint8
	closingShut atomic.Bool // written under mu; WriteMessage reads it without
	closeCalled bool
	tcpClosed   bool
	writeShut   bool
	peerClosed  bool // a close frame arrived (and was answered)
	doneShut    bool

	turn *turn // its place in line (see Turn); never points back to the Link
}

// newLink wraps a connected gorilla conn. raw is the connection the dialer
// returned, rd the wire gorilla reads through, wr the one over raw.
func newLink(ws *websocket.Conn, raw net.Conn, rd, wr *wireConn, writeTimeout time.Duration, abortRST bool) *Link {
	l := &Link{
		ws:           ws,
		raw:          raw,
		rd:           rd,
		wr:           wr,
		writeTimeout: writeTimeout,
		abortRST:     abortRST,
		rmu:          make(chan struct{}, 1),
		turn:         &turn{done: make(chan struct{})},
	}
	if writeTimeout > 0 {
		wr.enableProgress(writeTimeout)
	}
	ws.SetCloseHandler(l.onClose)
	ws.SetPongHandler(l.onPong)
	pong := ws.PingHandler() // gorilla's default: answer with a pong
	ws.SetPingHandler(func(data string) error {
		l.life.Add(1)
		return pong(data)
	})
	return l
}

// NetConn returns the connection the dialer returned: the raw TCP
// connection (under TLS too, and under a proxy's tunnel), or what
// DialConfig.NetDialContext returned.
func (l *Link) NetConn() net.Conn { return l.raw }

// Compressed reports whether the server accepted permessage-deflate
// (DialConfig.EnableCompression).
func (l *Link) Compressed() bool { return l.compressed }

// Subprotocol returns the subprotocol the server selected, or "".
func (l *Link) Subprotocol() string { return l.ws.Subprotocol() }

// Done returns a channel closed once the link is finished: TCP is closed
// and, if StartReader was called, the reader has returned from done.
func (l *Link) Done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return lazyChan(&l.done, l.doneShut)
}

// lazyChan returns *ch, made on first use, and closed at once if shut: the
// link's channels are made only for those who wait on them, not for every
// link (an idle link is never waited on, nor written to; a channel is
// 96 B). Its caller holds l.mu, and closes *ch with closeMade when shut
// becomes true.
func lazyChan(ch *chan struct{}, shut bool) <-chan struct{} {
	if *ch == nil {
		*ch = make(chan struct{})
		if shut {
			close(*ch)
		}
	}
	return *ch
}

// closeMade closes ch if lazyChan made it.
func closeMade(ch chan struct{}) {
	if ch != nil {
		close(ch)
	}
}

// Turn is a link's place in the line of readers that take turns delivering
// to one consumer: give the previous link's Turn to the next link's
// StartReader (see StartReader). The zero Turn is no one's
// place: a reader given it waits for no one. A Turn holds nothing of its
// link (no connection, no buffer), so keeping the last link's Turn until
// the next StartReader keeps no finished link alive.
type Turn struct{ t *turn }

// Turn returns the link's place in the line of readers (see Turn).
func (l *Link) Turn() Turn { return Turn{l.turn} }

// turn is the state behind a Turn. Its done closes once the link's reader
// stopped delivering (see maybeFinish) with prev nil: the turn is over; or
// when its reader was cut before its turn (see await), with prev the turn it
// waited for: the turn is then over once prev's is. A waiting reader follows
// prev; receiving from done orders prev's write before its read. Both are
// written under the link's mu, once. A cut turn keeps prev's place (not its
// link): the Turn a Conn keeps for its next reader keeps it until that
// reader's wait, which walks past it, is over.
type turn struct {
	done chan struct{}
	prev *turn
}

// Abort shuts the raw connection now, with no close frame: FIN, or RST
// with DialConfig.AbortWithRST. A blocked read or write returns at once. It
// is idempotent and safe from any goroutine; it always returns nil.
func (l *Link) Abort() error {
	l.AbortCause(nil)
	return nil
}

// AbortCause is Abort recording why: the reader's done, a Close or
// ReadMessage in progress and later writes then report an error matching
// both ErrAborted and cause (e.g. ErrDeadPeer, ErrCloseTimeout). Only the
// first abort's cause is kept; an abort after TCP was already closed
// changes nothing.
func (l *Link) AbortCause(cause error) {
	aborted := func() { // under l.mu, with the claim
		if cause == nil || cause == ErrAborted {
			l.abortErr = ErrAborted
		} else {
			l.abortErr = &abortError{cause: cause}
		}
		closeMade(l.abortCh)
	}
	if !l.claimTCP(aborted) {
		return
	}
	if l.abortRST {
		if tc, ok := l.raw.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
	l.raw.Close()
	l.maybeFinish()
}

// closeTCP closes TCP at the normal end of a link (not an abort).
func (l *Link) closeTCP() {
	if !l.claimTCP(nil) {
		return
	}
	l.raw.Close()
	l.maybeFinish()
}

// claimTCP begins closing the link and claims the closing of TCP, once: it
// reports false when TCP was closed already. With the claim, locked runs
// (if not nil) under l.mu; the keepalive stops.
func (l *Link) claimTCP(locked func()) bool {
	l.mu.Lock()
	l.beginClosingLocked()
	if l.tcpClosed {
		l.mu.Unlock()
		return false
	}
	l.tcpClosed = true
	if locked != nil {
		locked()
	}
	l.mu.Unlock()
	l.stopKeepalive()
	return true
}

// shutWrite ends our side of the stream after a write failed for a reason
// other than a timeout: the peer may still have sent a close frame that
// the reader has yet to read, and its word must win over our write's
// error. So the raw connection's write side is shut (FIN) and reading goes
// on until the peer's close frame or EOF. A connection with no write side
// to shut (not TCP or Unix) is aborted with cause.
func (l *Link) shutWrite(cause error) {
	l.mu.Lock()
	if l.tcpClosed || l.writeShut {
		l.mu.Unlock()
		return
	}
	l.writeShut = true
	l.mu.Unlock()
	// CloseWrite fails only on a connection already reset or closed: the
	// reader then ends by itself, after what the kernel still holds.
	switch c := l.raw.(type) {
	case *net.TCPConn:
		c.CloseWrite()
	case *net.UnixConn:
		c.CloseWrite()
	default:
		l.AbortCause(cause)
	}
}

// abortedChLocked returns a channel closed by the first abort; l.mu is
// held. Made only when someone waits on it (Close, a reader behind a
// ReadMessage), as readEndedChLocked's.
func (l *Link) abortedChLocked() <-chan struct{} { return lazyChan(&l.abortCh, l.abortErr != nil) }

// readEndedChLocked returns a channel closed once readErr is known; l.mu
// is held.
func (l *Link) readEndedChLocked() <-chan struct{} { return lazyChan(&l.readEnded, l.readErr != nil) }

// closingCh returns a channel closed once Close or Abort began, or reading
// ended.
func (l *Link) closingCh() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return lazyChan(&l.closing, l.closingShut.Load())
}

// writeLock returns the write lock, made on the first write: an idle link
// (keepalive's pings go through gorilla's own lock) never takes it. Every
// later write finds it without l.mu.
func (l *Link) writeLock() chan struct{} {
	if p := l.wmu.Load(); p != nil {
		return *p
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.wmu.Load(); p != nil {
		return *p
	}
	wmu := make(chan struct{}, 1)
	l.wmu.Store(&wmu)
	return wmu
}

func (l *Link) beginClosingLocked() {
	if !l.closingShut.Load() {
		l.closingShut.Store(true)
		closeMade(l.closing)
	}
}

// maybeFinish closes done once TCP is closed and no reader is running; a
// link that never had a reader, or whose reader returned, is done with its
// turn too.
func (l *Link) maybeFinish() {
	l.mu.Lock()
	finish := l.tcpClosed && l.readerState != readerRunning && !l.doneShut
	if finish {
		l.doneShut = true
		closeMade(l.done)
		if l.turn.prev == nil { // else its reader was cut: done is closed
			close(l.turn.done)
		}
	}
	l.mu.Unlock()
}

// aborted returns the abort error, nil if the link was not aborted.
func (l *Link) aborted() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.abortErr
}

// onClose records the peer's close frame and answers it with the same code,
// as RFC 6455 asks (gorilla's default does the same without recording).
func (l *Link) onClose(code int, text string) error {
	l.life.Add(1)
	code = l.peerCodeOf(code)
	l.mu.Lock()
	l.peerClosed = true
	l.peerCode = code
	l.peerReason = text
	l.mu.Unlock()
	// ErrCloseSent when we closed first: nothing more to answer.
	l.ws.WriteControl(websocket.CloseMessage, closePayload(code, ""), time.Now().Add(controlWait))
	return nil
}

// peerCodeOf restores a close code that the guard passed to gorilla as
// 1011 (see frameGuard). Only the goroutine reading calls it.
func (l *Link) peerCodeOf(code int) int {
	if code == closecode.InternalError && l.rd.guard.refused != 0 {
		return int(l.rd.guard.refused)
	}
	return code
}
