package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/transport"
)

// MessageType is the type of a data message.
type MessageType int

// Message types, with the values of RFC 6455 (and of gorilla/websocket).
const (
	Text   MessageType = 1
	Binary MessageType = 2
)

// String returns "text" or "binary".
func (t MessageType) String() string {
	switch t {
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return fmt.Sprintf("MessageType(%d)", int(t))
}

// Conn is a WebSocket connection that re-establishes itself. Its methods are
// safe for concurrent use.
type Conn struct {
	url   string
	opts  Options
	stats counters

	work serial // runs the loop's work, one item at a time
	// writeBufs lends each connection its write buffer only while a message
	// is written: an idle Conn holds none (4 KiB less per connection).
	writeBufs sync.Pool
	inbox     chan transport.Message // received messages, across reconnects
	loopDone  chan struct{}          // closed when the loop and every link goroutine ended
	done      chan struct{}          // closed after loopDone, once the observer returned too
	notify    *notifier              // nil without Options.OnTransition
	state     atomic.Uint32          // fsm.State, mirrored for State()

	loop loopState // owned by whichever goroutine runs c.work

	mu        sync.Mutex // guards the fields below
	link      *transport.Link
	linkGen   uint64
	openCh    chan struct{} // closed when a connection is published
	closingCh chan struct{} // closed once Close or Abort was called, or the Conn ended: Sends stop waiting, readers stop waiting for Receive
	closing   bool
	waiting   int   // Sends waiting for Open
	final     bool  // Closed reached
	cause     error // why the Conn ended on its own; nil when the user ended it
}

// Dial connects to rawURL (ws:// or wss://) and returns once the connection is
// Open. If the first dial fails it returns that error, unless
// Options.RetryFirstDial is set; then it retries under the retry policy until
// ctx ends. ctx bounds only this call: once Dial has returned, cancelling it does
// nothing.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Conn, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	c := newConn(rawURL, opts.resolved())
	opened := make(chan error, 1)
	c.loop.openWaiters = append(c.loop.openWaiters, opened)
	c.post(c.loop.start)
	select {
	case err := <-opened:
		if err != nil {
			<-c.loopDone
			c.waitNotifier()
			if de := (*transport.DialError)(nil); errors.As(err, &de) {
				return nil, fmt.Errorf("wsfsm: %w", err) // it names the URL already
			}
			return nil, fmt.Errorf("wsfsm: dial %s: %w", rawURL, err)
		}
		return c, nil
	case <-ctx.Done():
		_ = c.Abort()
		return nil, fmt.Errorf("wsfsm: dial %s: %w", rawURL, context.Cause(ctx))
	}
}

func checkURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return fmt.Errorf("wsfsm: %w %q: %w", ErrBadURL, rawURL, err)
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("wsfsm: %w %q: scheme must be ws or wss", ErrBadURL, rawURL)
	case u.Host == "":
		return fmt.Errorf("wsfsm: %w %q: no host", ErrBadURL, rawURL)
	}
	return nil
}

func newConn(rawURL string, opts Options) *Conn {
	c := &Conn{
		url:       rawURL,
		opts:      opts,
		inbox:     make(chan transport.Message, opts.ReceiveBuffer),
		loopDone:  make(chan struct{}),
		done:      make(chan struct{}),
		openCh:    make(chan struct{}),
		closingCh: make(chan struct{}),
	}
	if opts.OnTransition != nil {
		c.notify = newNotifier(opts.OnTransition)
	}
	c.loop.init(c)
	c.work.done = c.loop.over
	c.work.onEnd = c.ended
	return c
}

// State returns the current state of the life cycle.
func (c *Conn) State() fsm.State { return fsm.State(c.state.Load()) }

// Err returns why the Conn ended on its own (the peer's permanent *CloseError,
// a refused *HandshakeError, ErrAttemptsExhausted, ...), or nil while it is
// alive or when Close or Abort ended it.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Done is closed once the Conn reached Closed and every goroutine of it ended,
// the one that calls Options.OnTransition included (so an observer must not
// wait for it).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Subprotocol returns the subprotocol the server chose on the current
// connection, or "" while none is Open.
func (c *Conn) Subprotocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == nil {
		return ""
	}
	return c.link.Subprotocol()
}

// LocalAddr returns the local address of the current connection, or nil while
// none is Open. Each dial makes a new TCP connection, so it changes on every
// reconnect.
func (c *Conn) LocalAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == nil {
		return nil
	}
	return c.link.NetConn().LocalAddr()
}

// Close closes the connection gracefully and for good: it lets Sends already
// writing finish, sends a close frame (1000), waits for the peer's answer up to
// Options.CloseTimeout, then shuts TCP. Messages the peer sends before its
// close frame still reach Receive while Options.ReceiveBuffer has room; the
// close does not wait for Receive beyond that (Stats.MessagesDiscarded counts
// the rest). If the peer does not answer in time, or
// ctx ends first, the connection is aborted and Close returns an error wrapping
// ErrCloseTimeout or the context's error. It returns once the Conn is Closed.
// A second Close returns ErrClosed.
func (c *Conn) Close(ctx context.Context) error {
	if !c.startClosing() {
		return c.closedErr()
	}
	res := make(chan error, 1)
	if !c.post(func() { c.loop.close(res) }) {
		return c.closedErr()
	}
	var err error
	select {
	case err = <-res:
	case <-ctx.Done():
		c.post(func() { c.loop.abort() })
		err = fmt.Errorf("wsfsm: close: aborted: %w", context.Cause(ctx))
	}
	<-c.loopDone
	c.waitNotifier()
	return err
}

// Abort shuts the TCP connection at once, without a close handshake, and ends
// the Conn for good. A blocked Receive or Send returns at once. It is
// idempotent and safe from any goroutine; it returns once the Conn is Closed.
func (c *Conn) Abort() error {
	c.startClosing()
	c.mu.Lock()
	link := c.link
	c.mu.Unlock()
	if link != nil {
		link.AbortCause(ErrAbortRequested) // now, from this goroutine
	}
	c.post(func() { c.loop.abort() })
	<-c.loopDone
	c.waitNotifier()
	return nil
}

// Reconnect shuts the current connection down at once (no close handshake) and
// dials again immediately on a brand-new connection. It returns once that
// connection is Open, when the Conn ends (ErrClosed), or when ctx ends; ending
// ctx stops only the wait.
func (c *Conn) Reconnect(ctx context.Context) error {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return c.closedErr()
	}
	res := make(chan error, 1)
	if !c.post(func() { c.loop.reconnect(res) }) {
		return c.closedErr()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wsfsm: reconnect: %w", context.Cause(ctx))
	}
}

// Receive returns the next message, waiting across reconnects. Once the Conn is
// closed and every message already read was returned, it returns ErrClosed
// (wrapping the cause when the Conn ended on its own). Ending ctx stops only
// this call.
func (c *Conn) Receive(ctx context.Context) (MessageType, []byte, error) {
	select {
	case m := <-c.inbox:
		return c.received(m)
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("wsfsm: receive: %w", context.Cause(ctx))
	case <-c.loopDone:
		select {
		case m := <-c.inbox:
			return c.received(m)
		default:
			return 0, nil, c.closedErr()
		}
	}
}

func (c *Conn) received(m transport.Message) (MessageType, []byte, error) {
	c.stats.msgsReceived.Add(1)
	c.stats.bytesReceived.Add(uint64(len(m.Data)))
	return MessageType(m.Type), m.Data, nil
}

// startClosing marks the Conn as closing for Send and reports whether this call
// was the first to do so.
func (c *Conn) startClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.closing = true
	close(c.closingCh)
	return true
}

// isClosing reports whether Close or Abort was called, or the Conn ended.
func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// closedErr is the error for calls on a Conn that is closing or closed.
func (c *Conn) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return closedError(c.cause)
}

// post queues f to the loop (see serial); false once the loop has ended.
func (c *Conn) post(f func()) bool { return c.work.post(f) }

// ended runs once, after the loop's last work: the Conn is Closed and no
// goroutine of a link remains. Done closes once the observer, if any, has
// seen every transition; the loop does not wait for it, as the goroutine that
// ran the last work may be the observer's own.
func (c *Conn) ended() {
	close(c.loopDone)
	if c.notify != nil {
		c.notify.close(func() { close(c.done) })
		return
	}
	close(c.done)
}

func (c *Conn) waitNotifier() {
	if c.notify != nil {
		c.notify.wait()
	}
}
