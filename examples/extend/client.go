package extend

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm/examples/extend/machine"
	"github.com/wsfsm/wsfsm/transport"
)

var (
	// ErrClosed is returned by every method once the Client was closed.
	ErrClosed = errors.New("extend: client closed")
	// ErrNotOpen is returned by Send when no connection is Open.
	ErrNotOpen = errors.New("extend: no open connection")
	// ErrCloseRequested is the cause of the transition that Close starts.
	ErrCloseRequested = errors.New("extend: close requested")
)

// Options configures a Client. The zero value is usable.
type Options struct {
	// HandshakeTimeout bounds each dial. Default transport.DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds the wait for the peer's close frame. Default
	// transport.DefaultCloseTimeout.
	CloseTimeout time.Duration
	// Backoff is the retry schedule. The zero value gives wsfsm's defaults.
	Backoff transport.BackoffConfig
	// OnTransition is called after every transition, in order, on the
	// goroutine that owns the machine: it must return quickly and must not
	// call the Client. Default nil.
	OnTransition func(machine.Transition)
}

// Client is one WebSocket connection that re-establishes itself and can be
// suspended. Its methods are safe for concurrent use.
type Client struct {
	url    string
	opts   Options
	events chan func()            // work for the loop goroutine, run in order
	inbox  chan transport.Message // every link's reader delivers here
	stop   chan struct{}          // closed in Closed: readers may discard
	done   chan struct{}          // closed once the loop goroutine ended
	state  atomic.Uint32          // machine.State, for State

	// Owned by the loop goroutine only.
	m           *machine.Machine
	sched       *transport.Schedule
	gen         uint64 // generation of the current dial and link
	link        *transport.Link
	cancelDial  context.CancelFunc
	timer       *time.Timer
	timerEpoch  uint64
	delay       time.Duration // chosen by MayRetry, waited out by the backoff timer
	closing     bool          // Close was called: never dial again
	outstanding int           // dial, reader and close goroutines that will still post
}

// New starts a Client that dials url at once, and returns without waiting:
// watch Options.OnTransition or State for Open.
func New(url string, opts Options) *Client {
	c := &Client{
		url: url, opts: opts,
		events: make(chan func()),
		inbox:  make(chan transport.Message),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		sched:  transport.NewSchedule(opts.Backoff, nil, nil),
	}
	c.m = machine.New((*actions)(c), (*actions)(c))
	c.m.OnTransition(c.transitioned)
	c.m.OnTransition(opts.OnTransition)
	go c.run()
	return c
}

// State returns the current state of the machine.
func (c *Client) State() machine.State { return machine.State(c.state.Load()) }

// Send writes one text message on the Open connection; it returns ErrNotOpen
// in any other state. A failed write aborts the link, whose reader then
// reports it to the machine: Send has nothing more to do.
func (c *Client) Send(ctx context.Context, data []byte) error {
	var link *transport.Link
	if err := c.do(ctx, func() {
		if c.m.State() == machine.Open {
			link = c.link
		}
	}); err != nil {
		return err
	}
	if link == nil && c.State() == machine.Closed {
		return ErrClosed
	}
	if link == nil {
		return ErrNotOpen
	}
	if err := link.WriteMessage(ctx, websocket.TextMessage, data); err != nil {
		return fmt.Errorf("extend: send: %w", err)
	}
	return nil
}

// Receive returns the next message, across reconnects, or ErrClosed once
// the Client is closed.
func (c *Client) Receive(ctx context.Context) ([]byte, error) {
	select {
	case msg := <-c.inbox:
		return msg.Data, nil
	case <-c.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("extend: receive: %w", ctx.Err())
	}
}

// Suspend drops the connection, or the dial or backoff under way, and dials
// nothing until Resume. It fails with machine.ErrInvalidEvent (wrapped in a
// *machine.EventError) where the YAML has no suspend edge.
func (c *Client) Suspend(ctx context.Context) error {
	return c.fireAPI(ctx, machine.EventSuspend)
}

// Resume dials a fresh connection at once; it is valid only in Suspended.
func (c *Client) Resume(ctx context.Context) error {
	return c.fireAPI(ctx, machine.EventResume)
}

// Close closes the connection gracefully, or ends the dial, backoff or
// suspension under way, and returns once the Client is Closed and none of its
// goroutines remain. CloseTimeout bounds it; ctx only stops the wait.
func (c *Client) Close(ctx context.Context) error {
	var err error
	if e := c.do(ctx, func() {
		if c.closing {
			err = ErrClosed
			return
		}
		c.closing = true
		switch c.m.State() {
		case machine.Open:
			c.fire(machine.EventClose, ErrCloseRequested)
		case machine.Connecting:
			c.fire(machine.EventAbort, ErrCloseRequested)
		case machine.Reconnecting, machine.Suspended:
			c.fire(machine.EventStop, ErrCloseRequested)
		} // in Closing, the handshake under way ends it
	}); e != nil {
		return e
	}
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("extend: close: %w", ctx.Err())
	}
}

// fireAPI fires e on the loop goroutine and returns its error.
func (c *Client) fireAPI(ctx context.Context, e machine.Event) error {
	var err error
	if e := c.do(ctx, func() { err = c.m.Fire(context.Background(), e, nil) }); e != nil {
		return e
	}
	return err
}

// do runs f on the loop goroutine and waits until it ran.
func (c *Client) do(ctx context.Context, f func()) error {
	ran := make(chan struct{})
	select {
	case c.events <- func() { f(); close(ran) }:
		<-ran // the loop runs what it received at once
		return nil
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("extend: %w", ctx.Err())
	}
}
