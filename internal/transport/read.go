package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// MessageType is the type of a data message: websocket.TextMessage or
// websocket.BinaryMessage.
type MessageType uint8

// Message is one received data message. It is 32 B (a size that the
// receive buffers of idle connections hold by the thousand: 16 of them fill
// the runtime's 512 B size class, where 40 B messages took 704 B): Dial
// keeps the low 32 bits of DialConfig.Dial, which a consumer that counts the
// dials restores (see DialOf).
type Message struct {
	Data []byte      // the whole message
	Type MessageType // websocket.TextMessage or websocket.BinaryMessage
	Dial uint32      // the DialConfig.Dial of the link that read it, modulo 2^32
}

// DialOf restores the DialConfig.Dial of a Message whose Dial is dial,
// given the number of the latest dial made so far (latest >= the message's
// own dial, which is then exact as long as fewer than 2^32 dials separate
// them).
func DialOf(dial uint32, latest uint64) uint64 {
	return latest - uint64(uint32(latest)-dial)
}

// StartReader starts the link's only reader goroutine; call it at most once,
// before Close. Each data message is sent on out; the send blocks
// (backpressure) until out takes it or stop is closed. A message already
// read is never dropped because the link was closed or aborted: the caller
// decides, by closing stop, when undelivered messages may be discarded: from
// then on a message is still delivered if out has room at once, and
// discarded (counted for done) if it would have to wait; the reader keeps
// reading until the link ends. While the reader is blocked on out, keepalive
// does not count the silence against the peer.
//
// Readers take turns: after is the previous link's Turn (the zero Turn: no
// wait), and the reader reads nothing until that link's turn is over, so that however many links a slow consumer sees come and go, one
// reader at most holds a message for it, and messages come out in link
// order. Keepalive does not count the wait against the peer. If the link is
// aborted while the reader waits, the reader ends at once, holding no
// message; if Close begins while it waits, it reads up to the peer's close
// frame (the close handshake needs it), discarding data messages (counted
// for done). Either way it leaves its place in line to the reader it
// waited for. after must not be the link's own Turn
// (StartReader panics), nor that of a link whose reader waits, directly or
// through others, for this one: such a line never moves.
//
// When reading ends the reader closes TCP, then calls done exactly once,
// from its goroutine, with how many messages it read and discarded (because
// stop was closed and out had no room, or because Close began before its
// turn), and the terminal error: *CloseError (the peer's close
// frame, already answered; Code 1006 when TCP closed with no close frame),
// ErrMessageTooBig (close 1009 sent), ErrProtocol (close 1002 sent; close
// 1007 and ErrInvalidUTF8 for a text message that is not UTF-8), an error
// matching ErrAborted (local abort; also matching its cause such as
// ErrDeadPeer or ErrCloseTimeout), or a wrapped network error. done must not
// block for long; Done() is closed after it returns. If a
// ReadMessage already saw the end of the link, the reader calls done at once
// with that terminal error.
func (l *Link) StartReader(out chan<- Message, stop <-chan struct{}, after Turn, done func(err error, discarded uint64)) {
	if after.t == l.turn {
		panic("transport: StartReader given the link's own Turn")
	}
	l.mu.Lock()
	if l.readerState != readerNone {
		l.mu.Unlock()
		panic("transport: StartReader called twice or after Close")
	}
	l.readerState = readerRunning
	l.out, l.stop, l.after, l.onReadEnd = out, stop, after.t, done
	l.mu.Unlock()
	// The reader goroutine: it waits for its turn, then reads until the link
	// ends. An idle reader waits at the bottom of gorilla's read path, so its
	// frame is kept small (the wait, the messages kept for it, a message's
	// reading and delivery, the ending: all out of line, and no wrapper
	// frame under it): an idle goroutine may use about 1.1 KiB before the
	// runtime doubles its stack to 4 KiB, and the read path under this
	// frame takes nearly all of that.
	go func() {
		if !l.await() {
			return
		}
		for {
			typ, r, err := l.ws.NextReader()
			if err == nil {
				err = l.consume(typ, r)
			}
			if err != nil {
				l.endReading(err)
				return
			}
		}
	}()
}

// await waits for the reader's turn: after's turn over (see turn), and no
// ReadMessage in progress. It reports whether to read; if not, the reader
// has ended.
func (l *Link) await() bool {
	waited, cut := false, false
	after := l.after
	l.after = nil // the previous link's turn is not kept past this wait
	// A cut turn's done closes with prev the turn it waited for: wait for
	// that one. l.turn: a line that loops back (see StartReader).
	for after != nil && after != l.turn && !cut {
		select {
		case <-after.done:
			after = after.prev
			continue
		default:
		}
		waited = true
		l.delivering.Store(true) // not reading: the silence is not the peer's
		closing := l.closingCh()
		select {
		case <-after.done:
			after = after.prev
		case <-closing:
			cut = true
		}
	}
	select {
	case l.rmu <- struct{}{}: // held for good
	default:
		// A ReadMessage in progress (its caller may have left it): it reads
		// the peer, so the silence is the peer's. An abort ends it at once.
		l.mu.Lock()
		aborted := l.abortedChLocked()
		l.mu.Unlock()
		select {
		case l.rmu <- struct{}{}:
		case <-aborted:
			l.rmu <- struct{}{} // the aborted ReadMessage lets go of it now
		}
	}
	if waited {
		l.delivering.Store(false)
		l.life.Add(1) // the wait was ours, not the peer's
	}
	l.mu.Lock()
	err := l.readErr
	if err == nil {
		err = l.abortErr
	}
	if cut && !l.doneShut { // it will deliver nothing: the next waits for after
		l.turn.prev = after
		close(l.turn.done)
	}
	l.mu.Unlock()
	if err != nil {
		if !cut && l.aborted() == nil {
			for _, m := range l.takeHeld() { // read before the end a ReadMessage saw
				l.deliver(m)
			}
		}
		l.endReading(err) // a ReadMessage saw the end, or the link was aborted
		return false
	}
	l.discard = cut
	for _, m := range l.takeHeld() {
		l.deliver(m)
	}
	return true
}

// consume reads the message r that NextReader returned and delivers it.
// It stays out of the reader's frame (see StartReader).
//
//go:noinline
func (l *Link) consume(typ int, r io.Reader) error {
	l.life.Add(1)
	data, err := l.readAll(r, typ == websocket.TextMessage)
	if err != nil {
		return err
	}
	l.deliver(Message{Type: MessageType(typ), Data: data, Dial: l.dial})
	return nil
}

func errInvalidUTF8() error {
	return &protocolError{code: websocket.CloseInvalidFramePayloadData, reason: "invalid UTF-8 in a text message"}
}

// endReading records the reader's terminal error, closes TCP and reports.
func (l *Link) endReading(err error) {
	err = l.endRead(err)
	l.closeTCP()
	if done := l.onReadEnd; done != nil {
		done(err, l.discarded.Load()) // final: only this goroutine discards
	}
	l.mu.Lock()
	l.readerState = readerEnded
	l.mu.Unlock()
	l.maybeFinish() // and its turn is over, unless it was cut before it
}

// endRead turns the error that ended reading into the terminal error and
// records it, once: a later call returns the recorded one.
func (l *Link) endRead(err error) error {
	l.mu.Lock()
	known := l.readErr
	l.mu.Unlock()
	if known != nil {
		return known
	}
	err = l.terminal(err)
	l.mu.Lock()
	if l.readErr == nil {
		l.readErr = err
		closeMade(l.readEnded)
	}
	err = l.readErr
	l.mu.Unlock()
	return err
}

// deliver hands msg to out. Room in out always wins over stop, so that a
// closing consumer still gets what fits in its buffer; only what would have
// to wait is discarded.
func (l *Link) deliver(msg Message) {
	if f := l.filter; f != nil && !f(msg) {
		return // the filter took it (SetFilter)
	}
	out, stop := l.out, l.stop
	if l.discard {
		l.discarded.Add(1)
		return
	}
	select {
	case out <- msg:
		// Let the consumer run before this goroutine goes back to the
		// socket: its next read usually finds nothing and parks, and on a
		// busy or single CPU that syscall would otherwise sit between the
		// message's arrival and Receive returning it (measured by wsfsm
		// bench: echo round trip p50 1.26x raw gorilla without the yield,
		// about 1.0x with it). The yield waits for the socket read (rd's
		// Read): while gorilla's buffer still holds messages, the reader
		// hands them on without one (64 B messages received 0.28x raw
		// gorilla with a yield after each).
		l.rd.yield = true
		return
	default:
	}
	select {
	case <-stop:
		l.discarded.Add(1) // as the caller allowed
		return
	default:
	}
	l.delivering.Store(true)
	select {
	case out <- msg:
	case <-stop:
		l.discarded.Add(1)
	}
	l.delivering.Store(false)
	l.life.Add(1) // the wait was ours, not the peer's
}

// Waiting reports whether the reader is not reading because it waits: for
// its consumer to take a message it holds, or for its turn (see
// StartReader). It is the flag by which keepalive does not count such a
// wait against the peer.
func (l *Link) Waiting() bool { return l.delivering.Load() }

// ReadMessage reads one data message before any reader runs: for an
// application handshake that must go first on a new connection. It is
// allowed only while StartReader was not called, before Close (else an error
// matching errReaderRunning, or the link's end); ReadMessages run one at a
// time, a second one waiting for the first. Pings, pongs and close frames
// are handled as the reader does. A message kept with Unread, or read by a
// ReadMessage whose ctx ended first, is returned before anything else.
//
// When ctx ends first, ReadMessage returns ctx's cause at once, and the link
// lives on: the read goes on without its caller (a read cut halfway would
// leave the gorilla connection unusable), and what it reads is kept for the
// next reader, as if by Unread. So at most one goroutine reads the link at a
// time, and nothing read is lost because its reader left. When the read
// meets the end of the link, the error is the terminal error StartReader
// documents (the peer's close frame answered, ErrProtocol, ...), TCP is
// closed, the link is finished, and the end is final: a later ReadMessage
// returns the same error, and a later StartReader's reader calls done with
// it at once.
func (l *Link) ReadMessage(ctx context.Context) (typ int, data []byte, err error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, opErr("read", context.Cause(ctx))
	}
	if m, ok := l.unheld(); ok {
		return int(m.Type), m.Data, nil
	}
	if err := l.readable(); err != nil {
		return 0, nil, opErr("read", err)
	}
	closing := l.closingCh()
	select {
	case l.rmu <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, opErr("read", context.Cause(ctx))
	case <-closing:
		err := l.readable()
		if err == nil {
			err = fmt.Errorf("link is closing: %w", net.ErrClosed)
		}
		return 0, nil, opErr("read", err)
	}
	if m, ok := l.unheld(); ok {
		<-l.rmu
		return int(m.Type), m.Data, nil
	}
	if err := l.readable(); err != nil {
		<-l.rmu
		return 0, nil, opErr("read", err)
	}
	r := &pendingRead{res: make(chan pendingResult, 1)}
	go l.readFor(r) // lets go of rmu
	var x pendingResult
	got := false
	select {
	case x = <-r.res:
		got = true
	case <-ctx.Done():
	}
	if !got {
		l.mu.Lock()
		r.left = true
		select {
		case x = <-r.res: // it came as ctx ended
			got = true
		default: // readFor keeps what it reads, and lets go of rmu
		}
		l.mu.Unlock()
	}
	if !got {
		return 0, nil, opErr("read", context.Cause(ctx))
	}
	// The read handed its result, and rmu with it, to this caller.
	defer func() { <-l.rmu }()
	if ctx.Err() != nil {
		// The caller leaves: what was read as ctx ended is kept, first in
		// line, for the next reader (a caller whose ctx ended takes none).
		if x.err == nil {
			l.mu.Lock()
			l.held = append([]Message{{Type: MessageType(x.typ), Data: x.data, Dial: l.dial}}, l.held...)
			l.mu.Unlock()
		}
		return 0, nil, opErr("read", context.Cause(ctx))
	}
	return x.typ, x.data, x.err
}

// unheld takes the first message kept for the next reader, if ReadMessage
// may still return one: the link was read to its end, maybe, but neither a
// reader nor Close nor an abort took over.
func (l *Link) unheld() (Message, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.held) == 0 || l.readerState != readerNone || l.abortErr != nil {
		return Message{}, false
	}
	m := l.held[0]
	l.held = l.held[1:]
	return m, true
}

// readable reports why ReadMessage may not read, or nil.
func (l *Link) readable() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.readErr != nil:
		return l.readErr
	case l.readerState == readerRunning || l.readerState == readerEnded:
		return errReaderRunning
	case l.abortErr != nil:
		return l.abortErr
	case l.closingShut.Load():
		return fmt.Errorf("link is closing: %w", net.ErrClosed)
	}
	return nil
}

// pendingRead is one ReadMessage's read, on a goroutine of its own; left
// (guarded by l.mu) says its caller's ctx ended first.
type pendingRead struct {
	res  chan pendingResult
	left bool
}

type pendingResult struct {
	typ  int
	data []byte
	err  error
}

// readFor reads one message for r, holding rmu, and hands it to r's caller
// with rmu, or keeps it for the next reader and lets go of rmu if the caller
// left.
func (l *Link) readFor(r *pendingRead) {
	typ, rd, err := l.ws.NextReader()
	var data []byte
	if err == nil {
		l.life.Add(1)
		data, err = l.readAll(rd, typ == websocket.TextMessage)
	}
	if err != nil {
		err = opErr("read", l.endRead(err))
		l.closeTCP()
	}
	l.mu.Lock()
	if !r.left {
		r.res <- pendingResult{typ, data, err} // under l.mu: the caller sees it or leaves first
		l.mu.Unlock()
		return
	}
	if err == nil {
		l.held = append(l.held, Message{Type: MessageType(typ), Data: data, Dial: l.dial})
	}
	l.mu.Unlock()
	<-l.rmu
}

// Unread keeps msg for the link's next reader, after the messages kept
// before it: the next ReadMessage returns it, else the reader StartReader
// starts delivers it before anything it reads. A handshake hands on with it
// what it read past its own end. msg.Dial is set to the link's.
func (l *Link) Unread(msg Message) {
	msg.Dial = l.dial
	l.mu.Lock()
	l.held = append(l.held, msg)
	l.mu.Unlock()
}

// takeHeld returns the messages kept for the reader, and keeps none.
func (l *Link) takeHeld() []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	held := l.held
	l.held = nil
	return held
}

// readAll is io.ReadAll counting every chunk as a sign of life, so a large
// message arriving slowly does not look like a dead peer.
// Only the goroutine holding the read lock calls it: it reuses the Link's
// lifeReader.
// With compression on, it also bounds the inflated message (gorilla's read
// limit counts the bytes on the wire, which a small message can inflate
// far beyond). A text message fails with errInvalidUTF8 as soon as its
// bytes cannot begin valid UTF-8.
func (l *Link) readAll(r io.Reader, text bool) ([]byte, error) {
	l.lr = lifeReader{r: r, life: &l.life, left: -1, text: text}
	if l.compressed && l.inflateMax > 0 {
		l.lr.left = l.inflateMax
	}
	b, err := io.ReadAll(&l.lr)
	if err == nil && text && !l.lr.utf8.complete() {
		err = errInvalidUTF8()
	}
	l.lr.r = nil
	return b, err
}

// lifeReader counts each read that returned bytes, fails with
// errInflatedTooBig past left bytes (unless left < 0), and, for a text
// message, fails as soon as its bytes cannot begin valid UTF-8.
type lifeReader struct {
	r    io.Reader
	life *atomic.Uint64
	left int64
	text bool
	utf8 utf8Stream
}

func (lr *lifeReader) Read(p []byte) (int, error) {
	if lr.left >= 0 && int64(len(p)) > lr.left+1 {
		p = p[:lr.left+1] // one byte over the bound tells
	}
	n, err := lr.r.Read(p)
	if n > 0 {
		lr.life.Add(1)
		if lr.text && !lr.utf8.feed(p[:n]) {
			return n, errInvalidUTF8()
		}
		if lr.left >= 0 {
			if lr.left -= int64(n); lr.left < 0 {
				return n, errInflatedTooBig
			}
		}
	}
	return n, err
}

// errInflatedTooBig is a compressed message that inflates past the read
// limit.
var errInflatedTooBig = errors.New("inflated message exceeds read limit")

// terminal maps the error that ended reading to the documented terminal
// errors, answering the peer with a close frame where RFC 6455 asks for one
// and gorilla did not send it.
func (l *Link) terminal(err error) error {
	var ce *websocket.CloseError
	isCE := errors.As(err, &ce)
	if isCE && ce.Code != websocket.CloseAbnormalClosure {
		// A close frame is definitive, even if an abort raced it.
		return &CloseError{Code: l.peerCodeOf(ce.Code), Reason: ce.Text}
	}
	if ab := l.aborted(); ab != nil {
		return ab
	}
	var pe *protocolError
	var v *violation
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &v):
		pe = &protocolError{code: websocket.CloseProtocolError, reason: v.reason}
	case isCE:
		return &CloseError{Code: websocket.CloseAbnormalClosure}
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla sent 1009 (the guard stops the lengths it would
		// misreport as this).
		return fmt.Errorf("%w (sent close 1009)", ErrMessageTooBig)
	case errors.Is(err, errInflatedTooBig):
		l.answer(websocket.CloseMessageTooBig, "")
		return fmt.Errorf("%w once inflated (sent close 1009)", ErrMessageTooBig)
	case isNetError(err):
		return opErr("read", err)
	default:
		// gorilla's own protocol errors: it sent 1002 already, so this
		// answer is a no-op (ErrCloseSent); for anything else it is due.
		l.answer(websocket.CloseProtocolError, "")
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	l.answer(pe.code, pe.reason)
	return pe
}

// answer sends a close frame that fails the connection.
func (l *Link) answer(code int, reason string) {
	l.ws.WriteControl(websocket.CloseMessage, closePayload(code, reason), time.Now().Add(controlWait))
}

func isNetError(err error) bool {
	var ne net.Error
	var errno syscall.Errno
	return errors.As(err, &ne) || errors.As(err, &errno) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}
