package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Message is one received data message.
type Message struct {
	Type int    // websocket.TextMessage or websocket.BinaryMessage
	Data []byte // the whole message
}

// StartReader starts the link's only reader goroutine; call it at most once,
// before Close. Each data message is sent on out; the send blocks
// (backpressure) until out takes it or stop is closed. A message already
// read is never dropped because the link was closed or aborted: the caller
// decides, by closing stop, when undelivered messages may be discarded: from
// then on a message is still delivered if out has room at once, and
// discarded (see Discarded) if it would have to wait; the reader keeps
// reading until the link ends. While
// the reader is blocked on out, keepalive does not count the silence against
// the peer.
//
// When reading ends the reader closes TCP, then calls done exactly once,
// from its goroutine, with the terminal error: *CloseError (the peer's close
// frame, already answered; Code 1006 when TCP closed with no close frame),
// ErrMessageTooBig (close 1009 sent), ErrProtocol (close 1002 sent; close
// 1007 and ErrInvalidUTF8 for a text message that is not UTF-8), an error
// matching ErrAborted (local abort; also matching its cause such as
// ErrDeadPeer or ErrCloseTimeout), or a wrapped network error. done must
// not block for long; Done() is closed after it returns.
func (l *Link) StartReader(out chan<- Message, stop <-chan struct{}, done func(error)) {
	l.mu.Lock()
	if l.readerState != readerNone {
		l.mu.Unlock()
		panic("transport: StartReader called twice or after Close")
	}
	l.readerState = readerRunning
	l.readEnded = make(chan struct{})
	l.out, l.stop, l.onReadEnd = out, stop, done
	l.mu.Unlock()
	// The reader goroutine. It is kept small and flat (arguments in the Link;
	// reading a message, delivery and the ending out of line) because an idle
	// reader waits at the bottom of gorilla's read path, and the runtime sizes
	// every new goroutine's stack from the average depth it scans: once idle
	// readers average more than about 1120 bytes, the reader of every later
	// connection starts on 4 KiB instead of 2 KiB.
	go func() { // a closure, not `go l.readLoop()`: no wrapper frame under the loop
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

// consume reads the message r that NextReader returned and delivers it.
//
//go:noinline
func (l *Link) consume(typ int, r io.Reader) error {
	l.life.Add(1)
	data, err := l.readAll(r)
	if err != nil {
		return err
	}
	if typ == websocket.TextMessage && !utf8.Valid(data) {
		return errInvalidUTF8()
	}
	l.deliver(Message{Type: typ, Data: data})
	return nil
}

func errInvalidUTF8() error {
	return &protocolError{code: websocket.CloseInvalidFramePayloadData, reason: "invalid UTF-8 in a text message"}
}

// endReading records the reader's terminal error, closes TCP and reports.
//
//go:noinline
func (l *Link) endReading(err error) {
	err = l.terminal(err)
	l.mu.Lock()
	l.readErr = err
	close(l.readEnded)
	done := l.onReadEnd
	l.mu.Unlock()
	l.closeTCP()
	if done != nil {
		done(err)
	}
	l.mu.Lock()
	l.readerState = readerEnded
	l.mu.Unlock()
	l.maybeFinish()
}

// deliver hands msg to out. Room in out always wins over stop, so that a
// closing consumer still gets what fits in its buffer; only what would have
// to wait is discarded.
func (l *Link) deliver(msg Message) {
	out, stop := l.out, l.stop
	select {
	case out <- msg:
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

// Discarded returns how many messages the reader read and then discarded
// because stop was closed and out had no room.
func (l *Link) Discarded() uint64 { return l.discarded.Load() }

// readAll is io.ReadAll counting every chunk as a sign of life, so a large
// message arriving slowly does not look like a dead peer.
// Only the reader goroutine calls it: it reuses the Link's lifeReader.
func (l *Link) readAll(r io.Reader) ([]byte, error) {
	l.lr = lifeReader{r: r, life: &l.life}
	b, err := io.ReadAll(&l.lr)
	l.lr.r = nil
	return b, err
}

// lifeReader counts each read that returned bytes.
type lifeReader struct {
	r    io.Reader
	life *atomic.Uint64
}

func (lr *lifeReader) Read(p []byte) (int, error) {
	n, err := lr.r.Read(p)
	if n > 0 {
		lr.life.Add(1)
	}
	return n, err
}

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
