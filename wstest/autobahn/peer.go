package autobahn

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"time"
	"unicode/utf8"
)

// Opcodes and header bits of RFC 6455, section 5.2.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
	finBit         = 0x80
)

// Close codes the cases use.
const (
	closeNormal       = 1000
	closeGoingAway    = 1001
	closeProtocol     = 1002
	closeInvalidData  = 1007
	noCode            = -1 // a close frame without a code
	writeStallTimeout = 60 * time.Second
)

// Connection states, as Autobahn names them.
const (
	stateOpen = iota
	stateClosing
	stateClosed
)

// frame is one frame the fuzzer sends, exactly as given: Autobahn's
// sendFrame.
type frame struct {
	op      byte
	notFin  bool   // FIN clear (FIN is set unless said)
	rsv     byte   // the three RSV bits, 0 to 7
	payload []byte // repeated up to length when length > len(payload)
	length  int    // Autobahn's payload_len; 0: len(payload)
	chop    int    // write the frame in pieces of this many bytes, each its own write
	sync    bool   // write the frame on its own, not batched with the next
}

// event is what the reader goroutine saw.
type event struct {
	kind    int // evMessage, evPing, evPong, evClose, evViolation, evLost
	data    []byte
	binary  bool
	code    int    // evClose: the code (noCode when none); evViolation: the code to fail with
	reason  []byte // evClose
	invalid bool   // evClose: the close frame itself breaks the protocol
}

const (
	evMessage = iota
	evPing
	evPong
	evClose
	evViolation
	evLost
)

// peer is the fuzzer's side of one case's connection. Everything but the
// reader runs on one goroutine (run), as in Autobahn's reactor.
type peer struct {
	nc   net.Conn
	br   *bufio.Reader
	unit time.Duration // Autobahn's second
	pmd  *deflateState // nil: no permessage-deflate

	events chan event
	timers chan func()
	done   chan struct{}
	lost   bool

	out      []byte // frames waiting for the next flush
	state    int
	txFrames map[byte]int // frames sent, by opcode

	closedByMe, failedByMe, wasClean bool
	remoteCloseCode                  int // noCode: none
	remoteCloseReason                string
	localCloseCode                   int
	autoFragment                     int // sendMessage splits into frames of this many bytes (0: no)
}

func newPeer(nc net.Conn, br *bufio.Reader, unit time.Duration, pmd *deflateState) *peer {
	return &peer{
		nc: nc, br: br, unit: unit, pmd: pmd,
		events:          make(chan event, 16),
		timers:          make(chan func()),
		done:            make(chan struct{}),
		txFrames:        make(map[byte]int),
		remoteCloseCode: noCode,
		localCloseCode:  noCode,
	}
}

// seconds converts Autobahn's seconds to this run's time unit.
func (p *peer) seconds(s float64) time.Duration { return time.Duration(s * float64(p.unit)) }

// later runs fn on the peer's goroutine after s (Autobahn) seconds, unless
// the connection is gone by then.
func (p *peer) later(s float64, fn func()) {
	t := time.AfterFunc(p.seconds(s), func() {
		select {
		case p.timers <- fn:
		case <-p.done:
		}
	})
	go func() { <-p.done; t.Stop() }()
}

// loop runs the connection: start, then events and timers until the
// reader saw the connection end. It returns once the reader has returned.
func (p *peer) loop(start func(), handle func(event)) {
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		p.read()
	}()
	defer func() {
		close(p.done)
		p.nc.Close()
		<-readerDone
	}()
	start()
	p.flush()
	for !p.lost {
		select {
		case ev := <-p.events:
			if ev.kind == evLost {
				p.lost = true
				p.state = stateClosed
			}
			handle(ev)
		case fn := <-p.timers:
			if p.state != stateClosed {
				fn()
			}
		}
		p.flush()
	}
}

// --- writing

// sendFrame queues (or, for chop and sync, writes at once) one frame.
func (p *peer) sendFrame(f frame) {
	if p.state == stateClosed {
		return
	}
	payload := f.payload
	if f.length > len(payload) && len(payload) > 0 {
		payload = repeatTo(payload, f.length)
	}
	b0 := f.op | f.rsv<<4
	if !f.notFin {
		b0 |= finBit
	}
	raw := appendHeader(nil, b0, len(payload))
	raw = append(raw, payload...)
	p.txFrames[f.op]++
	if f.chop <= 0 && !f.sync {
		p.out = append(p.out, raw...)
		return
	}
	p.flush()
	if f.chop <= 0 {
		p.writePaced(raw)
		return
	}
	for len(raw) > 0 {
		n := min(f.chop, len(raw))
		p.writePaced(raw[:n])
		raw = raw[n:]
	}
}

// queuedWriteDelay is Autobahn's _QUEUED_WRITE_DELAY: after a sync write,
// and after each chop of a chopped frame, its reactor runs again before the
// next write, "so that octets can get on the wire" on their own. A client
// sees a chopped message trickle in and may answer it before the next frame
// comes (in 3.4, 4.1.5 and 4.2.5 it echoes the first message before the bad
// frame).
const queuedWriteDelay = 10 * time.Microsecond

// writePaced writes b, then pauses as Autobahn's queued writes do.
func (p *peer) writePaced(b []byte) {
	p.write(b)
	time.Sleep(queuedWriteDelay)
}

// sendMessage sends a whole message (compressed when permessage-deflate is
// on), split into frames of fragSize bytes (0: the peer's autoFragment; if
// that is 0 too, one frame).
func (p *peer) sendMessage(payload []byte, binaryMsg bool, fragSize int) {
	op := byte(opText)
	if binaryMsg {
		op = opBinary
	}
	var rsv byte
	if p.pmd != nil {
		payload = p.pmd.compress(payload)
		rsv = 4 // RSV1
	}
	if fragSize <= 0 {
		fragSize = p.autoFragment
	}
	if fragSize <= 0 || len(payload) <= fragSize {
		p.sendFrame(frame{op: op, rsv: rsv, payload: payload})
		return
	}
	for i := 0; i < len(payload); i += fragSize {
		end := min(i+fragSize, len(payload))
		f := frame{op: opContinuation, notFin: end < len(payload), payload: payload[i:end]}
		if i == 0 {
			f.op, f.rsv = op, rsv
		}
		p.sendFrame(f)
	}
}

// flush writes what sendFrame queued.
func (p *peer) flush() {
	if len(p.out) > 0 {
		p.write(p.out)
		p.out = p.out[:0]
	}
}

func (p *peer) write(b []byte) {
	if p.state == stateClosed {
		return
	}
	p.nc.SetWriteDeadline(time.Now().Add(writeStallTimeout))
	if _, err := p.nc.Write(b); err != nil {
		p.nc.Close() // the reader sees it and reports the loss
	}
}

// sendCloseFrame sends a close frame with code (noCode: none) and reason
// as given, valid or not, and starts the closing handshake: Autobahn's
// sendCloseFrame. It does nothing unless the connection is open.
func (p *peer) sendCloseFrame(code int, reason []byte, isReply bool) {
	if p.state != stateOpen {
		return
	}
	var payload []byte
	if code != noCode {
		payload = binary.BigEndian.AppendUint16(nil, uint16(code))
	}
	payload = append(payload, reason...)
	p.sendFrame(frame{op: opClose, payload: payload})
	p.state = stateClosing
	p.closedByMe = !isReply
	p.localCloseCode = code
	if p.closedByMe {
		// Autobahn's closeHandshakeTimeout: 1 s.
		p.later(1, p.drop)
	}
}

// sendClose starts the closing handshake with code: Autobahn's sendClose.
func (p *peer) sendClose(code int, reason string) { p.sendCloseFrame(code, []byte(reason), false) }

// failConnection is Autobahn's failConnection with failByDrop off: a close
// frame (1001 unless said) when open, a drop when closing.
func (p *peer) failConnection(code int, reason string) {
	p.failedByMe = true
	switch p.state {
	case stateOpen:
		p.sendCloseFrame(code, []byte(reason), false)
	case stateClosing:
		p.drop()
	}
}

// killAfter fails the connection after s seconds: Autobahn's killAfter.
func (p *peer) killAfter(s float64) {
	p.later(s, func() { p.failConnection(closeGoingAway, "Going Away") })
}

// closeAfter starts the closing handshake (with no code) after s seconds:
// Autobahn's closeAfter.
func (p *peer) closeAfter(s float64) {
	p.later(s, func() { p.sendCloseFrame(noCode, nil, false) })
}

// drop ends the connection from the server's side: FIN, then a close once
// the client closed too or a second passed.
func (p *peer) drop() {
	if p.state == stateClosed {
		return
	}
	p.flush()
	p.state = stateClosed
	if tc, ok := p.nc.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		t := time.AfterFunc(p.seconds(1), func() { p.nc.Close() })
		go func() { <-p.done; t.Stop() }()
		return
	}
	p.nc.Close()
}

// onClose handles the client's close frame as Autobahn's onCloseFrame does.
func (p *peer) onClose(ev event) {
	if ev.invalid {
		p.failConnection(closeProtocol, "invalid close frame")
		p.drop()
		return
	}
	p.remoteCloseCode = ev.code
	p.remoteCloseReason = string(ev.reason)
	switch p.state {
	case stateClosing:
		p.wasClean = true
		p.drop()
	case stateOpen:
		p.wasClean = true
		p.sendCloseFrame(closeNormal, nil, true)
		p.drop()
	}
}

// --- reading

// read parses the client's frames and reports what they carry until the
// connection ends or breaks the protocol; it always ends with evLost.
func (p *peer) read() {
	defer p.emit(event{kind: evLost})
	var (
		msg       []byte
		msgOp     byte
		inMsg     bool
		msgDeflat bool
	)
	hdr := make([]byte, 14)
	for {
		if _, err := io.ReadFull(p.br, hdr[:2]); err != nil {
			return
		}
		b0, b1 := hdr[0], hdr[1]
		fin, rsv, op := b0&finBit != 0, (b0>>4)&7, b0&0xf
		masked, n := b1&0x80 != 0, uint64(b1&0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(p.br, hdr[:2]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(hdr))
		case 127:
			if _, err := io.ReadFull(p.br, hdr[:8]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(hdr)
		}
		violation := func(code int) { p.emit(event{kind: evViolation, code: code}) }
		control := op >= 8
		switch {
		case !masked:
			violation(closeProtocol)
			return
		case op > 2 && op < 8 || op > 10:
			violation(closeProtocol)
			return
		case control && (!fin || n > 125):
			violation(closeProtocol)
			return
		case rsv != 0 && !(rsv == 4 && p.pmd != nil && (op == opText || op == opBinary)):
			violation(closeProtocol)
			return
		case op == opContinuation && !inMsg, (op == opText || op == opBinary) && inMsg:
			violation(closeProtocol)
			return
		case n > maxClientFrame:
			violation(1009)
			return
		}
		var key [4]byte
		if _, err := io.ReadFull(p.br, key[:]); err != nil {
			return
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(p.br, payload); err != nil {
			return
		}
		for i := range payload {
			payload[i] ^= key[i&3]
		}
		switch op {
		case opPing:
			p.emit(event{kind: evPing, data: payload})
			continue
		case opPong:
			p.emit(event{kind: evPong, data: payload})
			continue
		case opClose:
			p.emit(closeEvent(payload))
			continue
		case opText, opBinary:
			inMsg, msgOp, msgDeflat, msg = true, op, rsv == 4, msg[:0]
		}
		msg = append(msg, payload...)
		if len(msg) > maxClientMessage {
			violation(1009)
			return
		}
		if !fin {
			continue
		}
		inMsg = false
		data := slices.Clone(msg)
		if msgDeflat {
			var err error
			if data, err = p.pmd.decompress(data, maxClientMessage); err != nil {
				violation(closeProtocol)
				return
			}
		}
		if msgOp == opText && !utf8.Valid(data) {
			violation(closeInvalidData)
			return
		}
		p.emit(event{kind: evMessage, data: data, binary: msgOp == opBinary})
	}
}

// Bounds on what the fuzzer accepts from a client.
const (
	maxClientFrame   = 64 << 20
	maxClientMessage = 64 << 20
)

// closeEvent parses a close frame's payload as Autobahn's onCloseFrame
// checks it.
func closeEvent(payload []byte) event {
	ev := event{kind: evClose, code: noCode}
	switch {
	case len(payload) == 1:
		ev.invalid = true
	case len(payload) >= 2:
		ev.code = int(binary.BigEndian.Uint16(payload))
		ev.reason = payload[2:]
		if !validCloseCode(ev.code) || !utf8.Valid(ev.reason) {
			ev.invalid = true
		}
	}
	return ev
}

// validCloseCode reports whether code may be sent in a close frame (RFC
// 6455 section 7.4, with the codes registered since: 1012 to 1014).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

func (p *peer) emit(ev event) {
	select {
	case p.events <- ev:
	case <-p.done:
	}
}

// appendHeader appends an unmasked frame header.
func appendHeader(b []byte, b0 byte, n int) []byte {
	b = append(b, b0)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// repeatTo repeats pattern up to exactly n bytes.
func repeatTo(pattern []byte, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += len(pattern) {
		copy(b[i:], pattern)
	}
	return b
}
