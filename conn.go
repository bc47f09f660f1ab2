package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/vocab"
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

// Enum is what a generated State or Event type is: a small integer that
// prints its name from the spec.
type Enum interface {
	~uint8
	String() string
}

// Conn is a WebSocket connection that re-establishes itself, through the
// reference machine of states.yaml (package fsm). Its methods are safe for
// concurrent use. Conn is an instance of ConnOf, where its methods are
// documented (go doc github.com/wsfsm/wsfsm.ConnOf): Send, SendNow, Receive,
// ReceiveMessage, Messages, Close, CloseWith, Abort, Reconnect, Fire, State,
// Stats, Err, Done, Subprotocol, Compressed, LocalAddr, and the outbox's
// Deliver, Unacknowledged and OutboxStats.
type Conn = ConnOf[fsm.State, fsm.Event]

// ConnOf is a WebSocket connection that re-establishes itself through a
// machine generated from YAML, whose states are S and events E. Conn is the
// reference machine's; a package generated from an extended spec wraps one
// for its own machine. Its methods are safe for concurrent use.
type ConnOf[S, E Enum] struct {
	url  string
	opts OptionsOf[S, E]
	m    *engine.Machine
	bind *vocab.Binding
	ev   [vocab.NumEvents]int16 // the spec's event for each library event (E fits), or engine.None
	// states[s]: what state s runs (see runs and carries)
	states []stateRuns
	ext    ExtensionOf[S, E]
	stats  counters
	lane   lane    // runs the observer and the spec's own actions
	ob     *outbox // Options.Outbox; nil without one

	// writeBufs lends each connection its write buffer only while a message
	// is written: an idle Conn holds none.
	writeBufs   sync.Pool
	inbox       chan transport.Message // received messages, across reconnects
	machineDone chan struct{}          // closed once the machine ended: Closed, and no goroutine of a connection left
	laneDone    chan struct{}          // closed after machineDone, once the observer and the spec's actions returned
	done        chan struct{}          // closed after laneDone, once no detached goroutine runs either
	detached    atomic.Int64           // goroutines Done waits for and the machine does not: Step.Go's, dials
	finish      sync.Once
	laneOnce    sync.Once

	ms machineState // owned by the machine's work

	mu        sync.Mutex      // guards the fields below
	link      *transport.Link // the connection, from its dial's success until it is dropped; written only by the machine's work
	sendQ     []*sendWaiter   // Sends waiting for their turn, in call order
	closingCh chan struct{}   // closed once Close or Abort was called, or the Conn ended
	cause     error           // why the Conn ended on its own; nil when the user ended it
	released  bool            // Send may write on link (release_sends ran, and nothing took it out of service since)
	turnHeld  bool            // a waiting Send has its turn and is writing
	closing   bool
	// (The small fields sit together, here and elsewhere: a ConnOf fits
	// the runtime's 896 B size class.)
}

// stateRuns is what a state runs, from the spec's tables.
type stateRuns struct {
	enters  [vocab.NumActions]bool // enters[a]: it runs built-in action a on entering it (see runs)
	carried bool                   // its operation carries its built-in timer (see carries)
}

// Dial connects to rawURL (ws:// or wss://) and returns once the connection is
// Open. If the first dial fails it returns that error, unless
// Options.RetryFirstDial is set; then it retries under the retry policy until
// ctx ends. Each attempt is bounded by Options.HandshakeTimeout. ctx bounds
// only this call: once Dial has returned, cancelling it does nothing. When
// Dial fails, the observer has seen the last transition; only a hook that
// ignores its ctx may still run.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Conn, error) {
	return DialOf(ctx, rawURL, opts, fsm.Machine(), nil)
}

// DialOf is Dial for any generated machine: m is the generated package's
// machine, and x implements the actions, guards and timers its spec adds to
// the built-in vocabulary (nil when it adds none). Generated packages call it
// from their own Dial.
func DialOf[S, E Enum](ctx context.Context, rawURL string, opts *OptionsOf[S, E], m *vocab.Machine, x ExtensionOf[S, E]) (c *ConnOf[S, E], err error) {
	defer wrap(&err, "dial %s", redact(rawURL))
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	c, err = newConn(rawURL, opts.resolved(), m, x)
	if err != nil {
		return nil, err
	}
	opened := make(chan error, 1)
	c.ms.openWaiters = append(c.ms.openWaiters, opened)
	c.m.Start()
	select {
	case err := <-opened:
		if err != nil {
			<-c.laneDone // the Conn is never handed out: nothing of it but a hook ignoring its ctx outlives Dial
			return nil, err
		}
		if ctx.Err() == nil {
			return c, nil
		}
	case <-ctx.Done():
	}
	// ctx ended: a Conn that opened at the same instant is not returned.
	_ = c.Abort()
	<-c.laneDone
	return nil, dialCause(ctx, c)
}

// dialCause is why a Dial whose ctx ended failed: the ctx's error, with what
// the last attempt saw (a 503 and its Retry-After, say) when there was one.
func dialCause[S, E Enum](ctx context.Context, c *ConnOf[S, E]) error {
	cause := context.Cause(ctx)
	if last := c.lastAttemptErr(); last != nil {
		return fmt.Errorf("%w (last attempt: %w)", cause, last)
	}
	return cause
}

func newConn[S, E Enum](rawURL string, opts OptionsOf[S, E], mach *vocab.Machine, x ExtensionOf[S, E]) (*ConnOf[S, E], error) {
	b := &mach.Binding
	sp := &mach.Spec
	if len(b.Actions) != len(sp.Actions) || len(b.Guards) != len(sp.Guards) || len(b.Timers) != len(sp.Timers) || len(b.Events) != len(sp.Events) {
		return nil, fmt.Errorf("%w %s: binding does not match the tables", engine.ErrSpec, sp.Name)
	}
	if x == nil && (slices.Contains(b.Actions, vocab.NoAction) || slices.Contains(b.Guards, vocab.NoGuard) || slices.Contains(b.Timers, vocab.NoTimer)) {
		return nil, ErrNoExtension
	}
	c := &ConnOf[S, E]{
		url:         rawURL,
		opts:        opts,
		bind:        b,
		ext:         x,
		inbox:       make(chan transport.Message, opts.ReceiveBuffer),
		machineDone: make(chan struct{}),
		laneDone:    make(chan struct{}),
		done:        make(chan struct{}),
		closingCh:   make(chan struct{}),
	}
	for i := range c.ev {
		c.ev[i] = engine.None
	}
	for e, v := range b.Events {
		if v != vocab.NoEvent {
			c.ev[v] = int16(e)
		}
	}
	ob, err := newOutbox(opts.Outbox)
	if err != nil {
		return nil, err
	}
	c.ob = ob
	c.startOutbox()
	m, err := engine.New(sp, (*hooks[S, E])(c))
	if err != nil {
		return nil, err
	}
	c.m = m
	// what each state runs, from tables engine.New has checked
	c.states = make([]stateRuns, len(sp.States))
	for s, acts := range sp.Enter {
		for _, a := range acts {
			c.states[s].enters[b.Actions[a]] = true
		}
	}
	for s := range sp.States {
		c.states[s].carried = c.carries(sp, s)
	}
	c.initMachineState()
	return c, nil
}

// State returns the current state of the life cycle, as looplab/fsm holds it.
func (c *ConnOf[S, E]) State() S { return S(c.m.State()) }

// Err returns why the Conn ended on its own (the peer's permanent
// *CloseError, a refused *HandshakeError, ErrAttemptsExhausted, ...), or nil
// while it is alive or when Close or Abort ended it.
func (c *ConnOf[S, E]) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Done is closed once the Conn reached its final state and every goroutine of
// it ended, those that run Options.OnTransition and the spec's own actions
// included: after Done, the observer has seen the last transition. (Close and
// Abort wait for the connection, not for the observer.)
func (c *ConnOf[S, E]) Done() <-chan struct{} { return c.done }

// Subprotocol returns the subprotocol the server chose on the current
// connection, or "" while none is released to Send.
func (c *ConnOf[S, E]) Subprotocol() string {
	if l := c.currentLink(); l != nil {
		return l.Subprotocol()
	}
	return ""
}

// Compressed reports whether the current connection negotiated
// permessage-deflate (Options.EnableCompression, and a server that accepted
// it), or false while no connection is released to Send. Each dial
// negotiates anew, so it may change on every reconnect.
func (c *ConnOf[S, E]) Compressed() bool {
	if l := c.currentLink(); l != nil {
		return l.Compressed()
	}
	return false
}

// LocalAddr returns the local address of the current connection, or nil
// while none is released to Send. Each dial makes a new TCP connection, so
// it changes on every reconnect.
func (c *ConnOf[S, E]) LocalAddr() net.Addr {
	if l := c.currentLink(); l != nil {
		return l.NetConn().LocalAddr()
	}
	return nil
}

// currentLink is the connection released to Send, or nil.
func (c *ConnOf[S, E]) currentLink() *transport.Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendLinkLocked()
}

// sendLinkLocked is the connection released to Send, or nil. c.mu is held.
func (c *ConnOf[S, E]) sendLinkLocked() *transport.Link {
	if !c.released {
		return nil
	}
	return c.link
}

// setLink makes link the connection (nil: none), not released to Send. Only
// the machine's work calls it, so the machine reads c.link without c.mu.
func (c *ConnOf[S, E]) setLink(link *transport.Link) {
	c.mu.Lock()
	c.link, c.released = link, false
	c.mu.Unlock()
}

// Close closes the connection gracefully and for good: it lets Sends already
// writing finish, sends a close frame (1000), waits for the peer's answer up
// to Options.CloseTimeout, then shuts TCP. Messages the peer sends before its
// close frame still reach Receive while Options.ReceiveBuffer has room; the
// close does not wait for Receive beyond that (Stats.MessagesDiscarded counts
// the rest). If the peer does not answer in time, or ctx ends first, the
// connection is aborted and Close returns an error wrapping ErrCloseTimeout
// or the context's error. A peer that shuts TCP instead of answering, with a
// FIN or a reset (as servers often answer a goodbye), ends the close too:
// Close returns nil, and Stats().CloseCode is 1006. It returns once the Conn
// is in its final state and no goroutine of a connection remains. A second
// Close returns ErrClosed.
func (c *ConnOf[S, E]) Close(ctx context.Context) (err error) {
	return c.CloseWith(ctx, CloseNormal, "")
}

// CloseWith is Close with the close frame's code and reason: any code RFC
// 6455 lets a client send (1000 normal, 1001 going away, 1002, 1003,
// 1007-1010) or a code in 3000-4999; the reason is at
// most 123 bytes of UTF-8. A code or reason that may not be sent returns an
// error wrapping ErrBadCloseCode and changes nothing.
func (c *ConnOf[S, E]) CloseWith(ctx context.Context, code int, reason string) (err error) {
	defer wrap(&err, "close")
	if err := checkClose(code, reason); err != nil {
		return err
	}
	if !c.startClosing() {
		return c.closedErr()
	}
	res := make(chan error, 1)
	if !c.m.Post(func() { c.requestClose(res, code, reason) }) {
		return c.closedErr()
	}
	select {
	case err = <-res:
	case <-ctx.Done():
		c.m.Post(func() { c.requestAbort(ErrAbortRequested) })
		err = fmt.Errorf("aborted: %w", context.Cause(ctx))
	}
	<-c.machineDone
	return err
}

// Abort shuts the TCP connection at once, without a close handshake, and
// ends the Conn for good. A blocked Receive or Send returns at once. It is
// idempotent and safe from any goroutine, the observer's included; it
// returns once the Conn is in its final state and no goroutine of a
// connection remains.
func (c *ConnOf[S, E]) Abort() error {
	c.startClosing()
	// An idle machine runs the abort right here, shutting TCP in the
	// Aborted state; the reader then only queues its end behind it and
	// exits, instead of running the machine to Closed on its own small stack
	// (which grew, and was copied, on every abort: Abort p50 22 -> 19 us in
	// BenchmarkAbort). If the machine is busy elsewhere, TCP is shut now,
	// from this goroutine.
	c.m.Post(func() { c.requestAbort(ErrAbortRequested) })
	if l := c.currentLink(); l != nil {
		l.AbortCause(ErrAbortRequested)
	}
	<-c.machineDone
	return nil
}

// Reconnect shuts the current connection down at once (no close handshake)
// and dials again immediately on a brand-new connection. It returns once that
// connection is Open, when the Conn ends (ErrClosed), or when ctx ends;
// ending ctx stops only the wait.
func (c *ConnOf[S, E]) Reconnect(ctx context.Context) (err error) {
	defer wrap(&err, "reconnect")
	if c.isClosing() {
		return c.closedErr()
	}
	return c.ask(ctx, c.requestReconnect)
}

// ask posts work that answers on res, and waits for the answer or for ctx.
func (c *ConnOf[S, E]) ask(ctx context.Context, work func(res chan<- error)) error {
	res := make(chan error, 1)
	if !c.m.Post(func() { work(res) }) {
		return c.closedErr()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Fire takes one of the events the spec adds (not one the library fires,
// such as opened or abort, nor one the spec marks internal) and returns once it was taken and run to
// completion, or an error wrapping ErrEventNotAllowed or ErrGuardRejected
// when the current state does not take it. Generated packages give each such
// event a method (c.Suspend(ctx)). ctx bounds only the wait.
func (c *ConnOf[S, E]) Fire(ctx context.Context, e E, cause error) (err error) {
	defer wrap(&err, "%s", e)
	if int(e) >= len(c.bind.Events) {
		return fmt.Errorf("%w: not an event of %s", ErrEventNotAllowed, c.m.Spec().Name)
	}
	if v := c.bind.Events[e]; v != vocab.NoEvent {
		return fmt.Errorf("%w: the library fires %s itself", ErrEventNotAllowed, v)
	}
	if int(e) < len(c.bind.Internal) && c.bind.Internal[e] {
		return fmt.Errorf("%w: it is internal: only the spec's own actions fire it", ErrEventNotAllowed)
	}
	return c.ask(ctx, func(res chan<- error) { res <- c.m.Fire(int(e), cause) })
}

// Receive returns the next message, waiting across reconnects. Once the Conn
// is closed and every message already read was returned, it returns
// ErrClosed (wrapping the cause when the Conn ended on its own). Ending ctx
// stops only this call, and only its wait: a message already read is
// returned even when ctx has ended. ReceiveMessage says which connection a
// message came from, too.
func (c *ConnOf[S, E]) Receive(ctx context.Context) (MessageType, []byte, error) {
	m, err := c.ReceiveMessage(ctx)
	return m.Type, m.Data, err
}

// ReceiveMessage is Receive returning the whole Message: with the dial its
// connection came from, so that a protocol whose packets span several
// messages can tell a packet cut short by a reconnect from the next
// connection's bytes.
func (c *ConnOf[S, E]) ReceiveMessage(ctx context.Context) (Message, error) {
	select {
	case m := <-c.inbox: // one waits: no need to wait on three channels
		return c.received(m), nil
	default:
	}
	select {
	case m := <-c.inbox:
		return c.received(m), nil
	case <-ctx.Done():
		return Message{}, fmt.Errorf("wsfsm: receive: %w", context.Cause(ctx))
	case <-c.machineDone:
		select {
		case m := <-c.inbox:
			return c.received(m), nil
		default:
			return Message{}, c.closedErr()
		}
	}
}

// Message is one received data message.
type Message struct {
	Type MessageType
	Data []byte
	// Dial is the dial whose connection read it: DialAttempt.Dial, 1 for
	// the first connection, and one more for each dial since. (The receive
	// buffer keeps its low 32 bits, and Receive restores the rest from the
	// dials counted so far: a message that waited unreceived across 2^32
	// dials would be numbered a multiple of 2^32 too high.)
	Dial int
}

// Messages returns an iterator over the messages Receive would return, across
// reconnects: for msg, err := range c.Messages(ctx). It ends cleanly after
// Close or Abort once every message already read was yielded; when the Conn
// ended on its own, or ctx ended, it yields that error last.
func (c *ConnOf[S, E]) Messages(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for {
			m, err := c.ReceiveMessage(ctx)
			if err != nil {
				if errors.Is(err, ErrClosed) && c.Err() == nil {
					return
				}
				yield(Message{}, err)
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

func (c *ConnOf[S, E]) received(m transport.Message) Message {
	c.stats.msgsReceived.Add(1)
	c.stats.bytesReceived.Add(uint64(len(m.Data)))
	// m keeps its dial modulo 2^32; the dials counted so far restore it
	// (the count only grows, and is never behind the dial that read m).
	return Message{Type: MessageType(m.Type), Data: m.Data, Dial: int(transport.DialOf(m.Dial, c.stats.dials.Load()))}
}

// startClosing marks the Conn as closing for Send and reports whether this
// call was the first to do so.
func (c *ConnOf[S, E]) startClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.closing = true
	close(c.closingCh)
	return true
}

// isClosing reports whether Close or Abort was called, or the Conn ended:
// the one closing status. The machine may not have heard of the call yet
// (Abort cuts TCP before its request is queued, and the reader's end can
// come first), but nothing may be dialed again, and the Conn's end is the
// user's doing.
func (c *ConnOf[S, E]) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// closedErr is the error for calls on a Conn that is closing or closed.
func (c *ConnOf[S, E]) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return closedError(c.cause)
}

// ended runs once, after the machine's last work: the Conn is final and no
// goroutine of a connection remains. Done closes once the lane (observer and
// the spec's actions) and every Step.Go goroutine returned too.
func (c *ConnOf[S, E]) ended() {
	c.endOutbox()
	close(c.machineDone)
	c.lane.close(func() {
		c.laneOnce.Do(func() { close(c.laneDone) })
		c.maybeDone()
	})
}

// maybeDone closes done once the machine and the lane ended and no detached
// goroutine runs.
func (c *ConnOf[S, E]) maybeDone() {
	if c.detached.Load() == 0 && c.lane.isOver() {
		c.finish.Do(func() { close(c.done) })
	}
}

// lastAttemptErr is the error of the last failed dial, if any.
func (c *ConnOf[S, E]) lastAttemptErr() error {
	if p := c.stats.lastDialErr.Load(); p != nil {
		return *p
	}
	return nil
}
