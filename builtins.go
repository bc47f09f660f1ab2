package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/vocab"
)

// The built-in vocabulary (package vocab): what each action, guard and timer
// that a spec names does. They run inside the machine: they start goroutines,
// whose results come back as posted work, and never block.

func (c *ConnOf[S, E]) runBuiltin(a vocab.Action, t engine.Transition) { actionImpls[S, E]()[a](c, t) }

// actionImpls is the implementation of each built-in action, indexed by
// vocab.Action (NoAction: none). Its result type holds one entry per
// vocab.Action: a built-in declared in package vocab and missing here is a
// compile error ("cannot use [...]"), one left out in the middle a failure
// of TestEveryBuiltinImplemented.
func actionImpls[S, E Enum]() [vocab.NumActions]func(*ConnOf[S, E], engine.Transition) {
	return [...]func(*ConnOf[S, E], engine.Transition){
		vocab.NoAction:        nil,
		vocab.Dial:            func(c *ConnOf[S, E], _ engine.Transition) { c.dial() },
		vocab.StartReader:     func(c *ConnOf[S, E], _ engine.Transition) { c.startReader() },
		vocab.ReleaseSends:    func(c *ConnOf[S, E], _ engine.Transition) { c.releaseSends() },
		vocab.SendClose:       func(c *ConnOf[S, E], _ engine.Transition) { c.sendClose() },
		vocab.ShutdownTCP:     (*ConnOf[S, E]).shutdownTCP,
		vocab.ScheduleBackoff: (*ConnOf[S, E]).scheduleBackoff,
		vocab.Release:         (*ConnOf[S, E]).release,
	}
}

// guardImpls is the implementation of each built-in guard, indexed by
// vocab.Guard, kept complete as actionImpls is.
func guardImpls[S, E Enum]() [vocab.NumGuards]func(*ConnOf[S, E], engine.Transition) bool {
	return [...]func(*ConnOf[S, E], engine.Transition) bool{
		vocab.NoGuard:  nil,
		vocab.MayRetry: (*ConnOf[S, E]).mayRetry,
	}
}

// timerImpl is a built-in timer's implementation: its duration, and the
// cause its event carries.
type timerImpl[S, E Enum] struct {
	duration func(*ConnOf[S, E]) time.Duration
	cause    error
}

// timerImpls is the implementation of each built-in timer, indexed by
// vocab.Timer, kept complete as actionImpls is.
func timerImpls[S, E Enum]() [vocab.NumTimers]timerImpl[S, E] {
	return [...]timerImpl[S, E]{
		vocab.NoTimer:          {},
		vocab.HandshakeTimeout: {func(c *ConnOf[S, E]) time.Duration { return c.opts.HandshakeTimeout }, ErrHandshakeTimeout},
		vocab.CloseTimeout:     {func(c *ConnOf[S, E]) time.Duration { return c.opts.CloseTimeout }, ErrCloseTimeout},
		vocab.Backoff:          {func(c *ConnOf[S, E]) time.Duration { return c.ms.nextDelay }, nil},
	}
}

// startReader starts the connection's reader and keepalive. The reader does
// not read before the previous connection's reader stopped delivering, so that
// messages keep their order and readers cannot pile up behind a slow Receive.
func (c *ConnOf[S, E]) startReader() {
	l := &c.ms
	link := c.link
	after := l.lastReader
	l.lastReader = link.Turn()
	tk := c.m.Track()
	c.readAcks(link)
	link.StartReader(c.inbox, c.closingCh, after, func(err error, discarded uint64) {
		c.stats.msgsDiscarded.Add(discarded)
		c.settle(tk, err, func(cause error) { c.readerDone(link, cause) })
	})
	if c.opts.PingInterval > 0 {
		link.StartKeepalive(c.opts.PingInterval, max(c.opts.PongTimeout, 0), func(rtt time.Duration) { c.stats.rtt.Store(int64(rtt)) })
	}
	l.everOpened = true
	l.reconnectRequested = false
	l.attempt = l.sched.Opened(time.Now())
	c.stats.opens.Add(1)
}

// releaseSends lets Send write on the connection.
func (c *ConnOf[S, E]) releaseSends() { c.publish() }

// sendClose runs the close handshake on a goroutine of its own: it waits for
// Sends already writing, sends the close frame, and waits for the peer's, for
// Options.CloseTimeout at most, whatever the spec's timers (see
// timerDuration): then the connection is aborted, with ErrCloseTimeout.
func (c *ConnOf[S, E]) sendClose() {
	l := &c.ms
	link := c.link
	l.closeSent = true
	c.unpublish(link)
	l.attempt = l.sched.Dropped(time.Now())
	tk := c.m.Track()
	code, reason := l.closeCode, l.closeReason
	timeout := c.opts.CloseTimeout
	go func() {
		ctx, cancel := context.WithTimeoutCause(context.Background(), timeout, ErrCloseTimeout)
		res, err := link.Close(ctx, code, reason)
		cancel()
		if errors.Is(err, ErrCloseTimeout) {
			err = ErrCloseTimeout // the cause the timer of a state that closes would give
		}
		cause := err // the close failed: its error decides; else the peer's word
		if err == nil && res.PeerCode != 0 {
			cause = &CloseError{Code: res.PeerCode, Reason: res.PeerReason}
		}
		c.settleAt(tk, cause, func(cause error) { c.closeDone(res, err != nil, cause) })
	}()
}

// shutdownTCP cancels a dial in flight and shuts the connection's TCP down at
// once.
func (c *ConnOf[S, E]) shutdownTCP(t engine.Transition) {
	l := &c.ms
	c.dropLink(t.Cause)
	c.stats.aborts.Add(1)
	cause := plain(t.Cause)
	if len(l.closeWaiters) > 0 && l.closeErr == nil && cause != nil && !errors.Is(cause, ErrCloseRequested) {
		l.closeErr = cause // Close's handshake did not complete: say why (a timer, an Abort, a failure)
	}
}

// dropLink cancels a dial in flight and shuts the current connection's TCP
// down at once, recording cause as the reason.
func (c *ConnOf[S, E]) dropLink(cause error) {
	c.cancelDial()
	link := c.detach()
	if link == nil {
		return
	}
	if cause = plain(cause); cause == nil {
		cause = ErrClosed
	}
	link.AbortCause(cause)
}

// detach lets go of the current connection and returns it (nil: none); the
// retry schedule learns it was lost, unless send_close ran on it (whose
// result decides).
func (c *ConnOf[S, E]) detach() *transport.Link {
	l := &c.ms
	link := c.link
	if link == nil {
		return nil
	}
	c.setLink(nil)
	if !l.closeSent {
		l.attempt = l.sched.Dropped(time.Now())
	}
	l.closeSent = false
	return link
}

// scheduleBackoff asks the retry policy for the delay before the next dial;
// the backoff timer waits it out. When the policy allows no more attempts,
// stop fires with ErrAttemptsExhausted.
func (c *ConnOf[S, E]) scheduleBackoff(t engine.Transition) {
	l := &c.ms
	c.stats.reconnects.Add(1)
	if l.reconnectRequested {
		l.reconnectRequested = false
		l.nextDelay = 0
		return
	}
	// A RetryLater verdict waits as long as 1013 does, whatever the cause.
	d, attempt, ok := l.sched.Next(plain(t.Cause), verdictOf(t.Cause) == RetryLater)
	l.attempt = attempt
	if ok {
		l.nextDelay = d
		return
	}
	l.nextDelay = -1
	cause := fmt.Errorf("%w (%d redials since the backoff last reset): %w", ErrAttemptsExhausted, l.attempt, plain(t.Cause))
	c.m.PostAt(c.m.Epoch(), func() { c.takeFirst(cause, vocab.Stop) })
}

// release lets go of everything and answers the calls still waiting.
func (c *ConnOf[S, E]) release(t engine.Transition) {
	l := &c.ms
	c.dropLink(t.Cause)
	var cause error
	if !c.isClosing() {
		cause = plain(t.Cause)
	}
	c.mu.Lock()
	c.cause = cause // before closing: whoever sees the Conn closing sees why
	c.mu.Unlock()
	c.startClosing()
	if l.stepCancel != nil {
		l.stepCancel()
	}
	for _, w := range l.openWaiters {
		if !l.everOpened && cause != nil {
			w <- cause // the first dial's own error
		} else {
			w <- closedError(cause)
		}
	}
	l.openWaiters = nil
	for _, w := range l.closeWaiters {
		w <- l.closeErr
	}
	l.closeWaiters = nil
}

// mayRetry is the retry policy's verdict on t's cause: never after Close or
// Abort, always after Reconnect, never after a failed first dial unless
// Options.RetryFirstDial, otherwise as the classification says. It decides
// and changes nothing.
func (c *ConnOf[S, E]) mayRetry(t engine.Transition) bool {
	l := &c.ms
	switch {
	case c.isClosing():
		return false
	case l.reconnectRequested:
		return true
	case !l.everOpened && !c.opts.RetryFirstDial:
		return false
	}
	v := verdictOf(t.Cause)
	return v == Retry || v == RetryLater
}

// duration is a built-in timer's duration.
func (c *ConnOf[S, E]) duration(t vocab.Timer) time.Duration {
	return timerImpls[S, E]()[t].duration(c)
}

// timerCause is the cause a built-in timer's event carries.
func (c *ConnOf[S, E]) timerCause(t vocab.Timer) error { return timerImpls[S, E]()[t].cause }
