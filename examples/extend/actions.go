package extend

import (
	"context"
	"time"

	"github.com/wsfsm/wsfsm/examples/extend/machine"
	"github.com/wsfsm/wsfsm/transport"
)

// actions implements what the YAML names: the generated interfaces make a
// missing method a compile error, so adding `park` to states.yaml made the
// compiler ask for Park below.
type actions Client

var (
	_ machine.Actions   = (*actions)(nil)
	_ machine.Guards    = (*actions)(nil)
	_ machine.Durations = (*actions)(nil)
)

// Dial (entering Connecting) dials a brand-new connection on a goroutine of its
// own; the handshake_timeout timer bounds it.
func (a *actions) Dial(machine.Transition) {
	c := (*Client)(a)
	c.gen++
	gen := c.gen
	ctx, cancel := context.WithCancel(context.Background())
	c.cancelDial = cancel
	c.outstanding++
	go func() {
		link, err := transport.Dial(ctx, c.url, transport.DialConfig{HandshakeTimeout: -1})
		c.events <- func() { c.dialed(gen, link, err) } // the loop waits for outstanding posts
	}()
}

// StartIO (entering Open) starts the link's reader and keepalive.
func (a *actions) StartIO(machine.Transition) {
	c := (*Client)(a)
	gen := c.gen
	c.sched.Opened()
	c.outstanding++
	c.link.StartReader(c.inbox, c.stop, func(err error) {
		c.events <- func() { c.readerDone(gen, err) }
	})
	c.link.StartKeepalive(transport.DefaultPingInterval, transport.DefaultPongTimeout, nil)
}

// SendClose (entering Closing) runs the close handshake on a goroutine of its
// own; the close_timeout timer bounds it too.
func (a *actions) SendClose(machine.Transition) {
	c := (*Client)(a)
	gen, link, timeout := c.gen, c.link, a.CloseTimeout()
	c.outstanding++
	go func() {
		_, err := link.Close(context.Background(), 1000, "", timeout)
		c.events <- func() { c.closeDone(gen, err) }
	}()
}

// ShutdownTCP (entering Aborted) shuts the connection down at once.
func (a *actions) ShutdownTCP(machine.Transition) { (*Client)(a).drop() }

// ScheduleBackoff (entering Reconnecting) has nothing left to do: MayRetry
// chose the delay, and the backoff timer of Reconnecting waits it out.
func (a *actions) ScheduleBackoff(machine.Transition) {}

// Park (entering Suspended) is the extension's action: drop the dial or the
// connection. The timer of the state left was stopped on the way out, and
// Suspended has none, so nothing can dial until Resume.
func (a *actions) Park(machine.Transition) { (*Client)(a).drop() }

// Release (entering Closed) drops everything and lets readers discard.
func (a *actions) Release(machine.Transition) {
	c := (*Client)(a)
	c.drop()
	close(c.stop)
}

// MayRetry is the retry policy: never after Close, never for a permanent
// error, else after the schedule's next delay.
func (a *actions) MayRetry(t machine.Transition) bool {
	if a.closing || transport.Classify(t.Cause) == transport.Stop {
		return false
	}
	delay, ok := a.sched.Next(t.Cause)
	a.delay = delay
	return ok
}

// HandshakeTimeout is the duration of Connecting's timer.
func (a *actions) HandshakeTimeout() time.Duration {
	if a.opts.HandshakeTimeout > 0 {
		return a.opts.HandshakeTimeout
	}
	return transport.DefaultHandshakeTimeout
}

// CloseTimeout is the duration of Closing's timer.
func (a *actions) CloseTimeout() time.Duration {
	if a.opts.CloseTimeout > 0 {
		return a.opts.CloseTimeout
	}
	return transport.DefaultCloseTimeout
}

// Backoff is the duration of Reconnecting's timer: the delay MayRetry chose.
func (a *actions) Backoff() time.Duration { return a.delay }
