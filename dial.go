package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/internal/transport"
)

// pendingDial is the dial in flight. Its ticket keeps the machine from ending
// until the dial's result is in: the transport's part of a dial ends as soon
// as its ctx does, so Close and Abort wait for it, and no goroutine or
// descriptor of the dial outlives them. But when the machine gives the dial
// up (cancelDial) while it runs user code (Endpoint, Header, OnConnect,
// NetDialContext), which may ignore its ctx or call Close or Abort itself,
// the machine settles the ticket itself: Done still waits for the dial's
// goroutine (it counts in ConnOf.detached), which drops its result and shuts
// what it connected.
type pendingDial struct {
	cancel context.CancelFunc
	tk     *engine.Ticket
	taken  atomic.Bool  // the ticket was settled, by the dial's goroutine or by cancelDial
	inUser atomic.Int32 // the dial's goroutine runs user code
}

// take reports whether the caller is the one that settles the ticket.
func (p *pendingDial) take() bool { return p.taken.CompareAndSwap(false, true) }

// enter marks the start of user code, unless ctx ended: then the code must
// not run (nothing would wait for it). Marking before looking at ctx means
// that cancelDial, which cancels before it looks at the mark, sees the one or
// the code sees the other.
func (p *pendingDial) enter(ctx context.Context) bool {
	p.inUser.Add(1)
	if ctx.Err() != nil {
		p.inUser.Add(-1)
		return false
	}
	return true
}

func (p *pendingDial) leave() { p.inUser.Add(-1) }

// dial dials a brand-new connection on a goroutine of its own; its result
// counts only in the state entry that started it.
func (c *ConnOf[S, E]) dial() {
	l := &c.ms
	c.cancelDial() // a dial the spec left running (its state had no shutdown_tcp) ends here
	// The attempt carries its own bound, whatever the spec's timers (see
	// timerDuration): the dial, its upgrade and OnConnect.
	ctx, cancel := context.WithTimeoutCause(context.Background(), c.opts.HandshakeTimeout, ErrHandshakeTimeout)
	if c.opts.HandshakeTimeout < 0 { // no bound but Dial's ctx, as documented
		cancel()
		ctx, cancel = context.WithCancel(context.Background())
	}
	p := &pendingDial{cancel: cancel, tk: c.m.Track()}
	l.dial = p
	c.stats.dials.Add(1)
	cfg := transport.DialConfig{
		HandshakeTimeout:     -1, // ctx bounds it
		TLSConfig:            c.opts.TLSConfig,
		Subprotocols:         c.opts.Subprotocols,
		Proxy:                c.opts.Proxy,
		ProxyTLSConfig:       c.opts.ProxyTLSConfig,
		NetDialContext:       c.opts.NetDialContext,
		ReadLimit:            c.opts.ReadLimit,
		WriteTimeout:         c.opts.WriteTimeout,
		AbortWithRST:         c.opts.AbortWithRST,
		EnableCompression:    c.opts.EnableCompression,
		CompressionThreshold: c.opts.CompressionThreshold,
		CompressionLevel:     c.opts.CompressionLevel,
		WriteBufferPool:      &c.writeBufs,
	}
	attempt := DialAttempt{URL: c.url, Dial: int(c.stats.dials.Load()), Attempt: l.attempt}
	cfg.Dial = attempt.Dial // each message says which connection read it
	// The first of the dial's result and its deadline settles the ticket:
	// an attempt past its bound fails now, even while a hook or dialer that
	// ignores its ctx still runs. (The transport's part returns at once on
	// the deadline, with the same result: the machine waits for it.)
	result := func(link *transport.Link, err error) {
		if !p.take() { // given up, or timed out: nobody waits for this result
			if link != nil {
				link.Abort()
			}
			return
		}
		if err == nil {
			p.tk.PostAt(func() { c.dialed(link) }, func() { link.Abort() }) // overtaken: never let it live
			return
		}
		if timedOut(ctx) {
			err = ErrHandshakeTimeout // the cause the timer of a state that dials would give
		}
		c.stats.lastDialErr.Store(&err)
		c.settleAt(p.tk, err, c.dialFailed)
	}
	stop := context.AfterFunc(ctx, func() {
		if timedOut(ctx) && p.inUser.Load() > 0 { // see enter
			result(nil, ErrHandshakeTimeout)
		}
	})
	c.detached.Add(1)
	go func() {
		defer func() {
			c.detached.Add(-1)
			c.maybeDone()
		}()
		link, err := c.connect(ctx, p, cfg, attempt)
		stop()
		result(link, err)
	}()
}

// connect is one dial attempt, on the dial's goroutine: where it goes
// (Options.Endpoint), the dial and upgrade, then Options.OnConnect; p marks
// the user code among them. Once ctx ends, the connection is shut, so
// OnConnect's reads and writes on it return.
func (c *ConnOf[S, E]) connect(ctx context.Context, p *pendingDial, cfg transport.DialConfig, a DialAttempt) (_ *transport.Link, err error) {
	ep := Endpoint{URL: a.URL}
	if c.opts.Endpoint != nil || c.opts.Header != nil {
		if !p.enter(ctx) {
			return nil, context.Cause(ctx)
		}
		if c.opts.Endpoint != nil {
			ep, err = c.opts.Endpoint(ctx, a)
		} else {
			ep.Header = c.opts.Header()
		}
		p.leave()
		if err != nil {
			return nil, err
		}
	}
	cfg.Header = ep.Header
	if nd := cfg.NetDialContext; nd != nil {
		cfg.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !p.enter(ctx) {
				return nil, context.Cause(ctx)
			}
			defer p.leave()
			return nd(ctx, network, addr)
		}
	}
	link, err := transport.Dial(ctx, ep.URL, cfg)
	if err != nil || c.opts.OnConnect == nil {
		return link, err
	}
	if !p.enter(ctx) {
		link.Abort()
		return nil, context.Cause(ctx)
	}
	stop := context.AfterFunc(ctx, func() { link.AbortCause(context.Cause(ctx)) })
	err = c.opts.OnConnect(ctx, &Setup{linkIO: linkIO{link, &c.stats}, Attempt: a.Attempt, URL: redact(ep.URL)})
	p.leave()
	if !stop() && err == nil {
		err = context.Cause(ctx) // the attempt was given up meanwhile: the link is shut
	}
	if err != nil {
		link.AbortCause(err)
		return nil, err
	}
	return link, nil
}

// cancelDial gives up the dial in flight, if any: its ctx ends, and if it
// runs user code, the machine no longer waits for its result.
func (c *ConnOf[S, E]) cancelDial() {
	p := c.ms.dial
	if p == nil {
		return
	}
	c.ms.dial = nil
	p.cancel() // before looking at inUser: see enter
	if p.inUser.Load() > 0 && p.take() {
		p.tk.Release()
	}
}

// timedOut reports whether the attempt's ctx reached its deadline: its cause
// says so, or the deadline passed a hair before ctx noticed.
func timedOut(ctx context.Context) bool {
	if errors.Is(context.Cause(ctx), ErrHandshakeTimeout) {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// linkIO is direct I/O on one connection, before its reader starts: what a
// handshake on a new connection needs. StepOf and Setup share it.
type linkIO struct {
	link  *transport.Link
	stats *counters
}

// Send writes one message on the connection, directly: it does not wait for
// Sends to be released, which is what a handshake on a new connection needs
// (its messages go before any waiting Send). It returns ErrNotOpen when
// there is no connection.
func (io linkIO) Send(ctx context.Context, typ MessageType, data []byte) (err error) {
	defer wrap(&err, "handshake send")
	if err := checkType(typ); err != nil {
		return err
	}
	if io.link == nil {
		return ErrNotOpen
	}
	if err := io.link.WriteMessage(ctx, transport.MessageType(typ), data); err != nil {
		return err
	}
	io.stats.msgsSent.Add(1)
	io.stats.bytesSent.Add(uint64(len(data)))
	return nil
}

// Receive reads the next message of the connection before its reader starts
// (start_reader): a handshake's answer, which Receive on the Conn never
// sees. Once the reader runs it returns an error. Reads on one connection
// run one at a time: a Receive waits for the one before it. Ending ctx
// returns at once and leaves the connection alive: the read goes on without
// its caller (a read cannot be cut halfway), and the message it gets is the
// next one read on this connection, by a later handshake Receive or, once
// the reader runs, by Conn.Receive. So an action abandoned because its state
// was left loses nothing and ends nothing.
func (io linkIO) Receive(ctx context.Context) (typ MessageType, data []byte, err error) {
	defer wrap(&err, "handshake receive")
	if io.link == nil {
		return 0, nil, ErrNotOpen
	}
	t, data, err := io.link.ReadMessage(ctx)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Cause(ctx)) {
			return 0, nil, context.Cause(ctx) // the connection lives on
		}
		return 0, nil, err
	}
	io.stats.msgsReceived.Add(1)
	io.stats.bytesReceived.Add(uint64(len(data)))
	return MessageType(t), data, nil
}

// Forward hands a message this handshake read, but that is not its own (what
// the peer sent past the handshake's end), back to the connection: the next
// read on it returns it first, a later handshake Receive or, once the reader
// runs, Conn.Receive, before anything read after it. Messages forwarded
// together keep their order. It is counted as received once, when read again.
func (io linkIO) Forward(typ MessageType, data []byte) error {
	if err := checkType(typ); err != nil {
		return fmt.Errorf("wsfsm: forward: %w", err)
	}
	if io.link == nil {
		return fmt.Errorf("wsfsm: forward: %w", ErrNotOpen)
	}
	io.stats.msgsReceived.Add(^uint64(0)) // minus one: counted when read again
	io.stats.bytesReceived.Add(-uint64(len(data)))
	io.link.Unread(transport.Message{Type: transport.MessageType(typ), Data: data})
	return nil
}

// Setup is a new connection during Options.OnConnect: the upgrade succeeded,
// and nothing else uses the connection yet. Its Send and Receive talk on it
// directly.
type Setup struct {
	linkIO
	// Attempt counts the redials since the backoff last reset (0 for the
	// first dial).
	Attempt int
	// URL is where the connection went, without user info, query or fragment.
	URL string
}

// Subprotocol returns the subprotocol the server chose, or "".
func (s *Setup) Subprotocol() string { return s.link.Subprotocol() }

// Compressed reports whether the connection negotiated permessage-deflate.
func (s *Setup) Compressed() bool { return s.link.Compressed() }
