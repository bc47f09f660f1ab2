package wsfsm

import (
	"context"
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/transport"
)

// actions implements the generated fsm.Actions, fsm.Guards and fsm.Durations on
// the loop's state: the machine says what to do, these say how.
type actions loopState

var (
	_ fsm.Actions   = (*actions)(nil)
	_ fsm.Guards    = (*actions)(nil)
	_ fsm.Durations = (*actions)(nil)
)

// Dial (entering Connecting) dials a brand-new connection on a goroutine of its
// own; the result comes back to the loop tagged with its generation.
func (a *actions) Dial(fsm.Transition) {
	l := (*loopState)(a)
	c := l.c
	l.gen++
	gen := l.gen
	ctx, cancel := context.WithCancel(context.Background())
	l.dialCancel = cancel
	l.outstanding++
	c.stats.dials.Add(1)
	cfg := transport.DialConfig{
		HandshakeTimeout: -1, // the machine's handshake_timeout timer bounds it
		TLSConfig:        c.opts.TLSConfig,
		Subprotocols:     c.opts.Subprotocols,
		Proxy:            c.opts.Proxy,
		ReadLimit:        c.opts.ReadLimit,
		WriteTimeout:     c.opts.WriteTimeout,
		AbortWithRST:     c.opts.AbortWithRST,
		WriteBufferPool:  &c.writeBufs,
	}
	if c.opts.Header != nil {
		cfg.Header = c.opts.Header()
	}
	go func() {
		link, err := transport.Dial(ctx, c.url, cfg)
		c.post(func() { l.dialed(gen, link, err) }) // accepted: the loop waits for outstanding ones
	}()
}

// StartIO (entering Open) starts the reader and the keepalive and lets Sends
// through.
func (a *actions) StartIO(fsm.Transition) {
	l := (*loopState)(a)
	c := l.c
	gen, link := l.gen, l.link
	l.everOpened = true
	l.reconnectRequested = false
	l.sched.Opened()
	c.stats.opens.Add(1)
	l.outstanding++
	link.StartReader(c.inbox, c.closingCh, nil, func(err error) {
		c.stats.msgsDiscarded.Add(link.Discarded()) // final: the reader has ended
		c.post(func() { l.readerDone(gen, err) })
	})
	if c.opts.PingInterval > 0 {
		pong := c.opts.PongTimeout
		if pong < 0 {
			pong = 0
		}
		link.StartKeepalive(c.opts.PingInterval, pong, func(rtt time.Duration) { c.stats.rtt.Store(int64(rtt)) })
	}
	c.publish(link, gen)
	// Dial and Reconnect are answered by transitioned, once State says Open.
}

// SendClose (entering Closing) runs the close handshake on a goroutine of its
// own: it waits for Sends already writing, sends the close frame, and waits for
// the peer's, bounded by the close_timeout timer.
func (a *actions) SendClose(fsm.Transition) {
	l := (*loopState)(a)
	c := l.c
	gen, link := l.gen, l.link
	c.unpublish(gen)
	l.outstanding++
	go func() {
		// No timer here: the close_timeout timer aborts the link, which
		// ends this Close at once.
		res, err := link.Close(context.Background(), 1000, "")
		c.post(func() { l.closeDone(gen, res, err) })
	}()
}

// ShutdownTCP (entering Aborted) cancels a dial in flight and shuts the
// connection's TCP down at once.
func (a *actions) ShutdownTCP(t fsm.Transition) {
	l := (*loopState)(a)
	l.dropLink(t.Cause)
	l.c.stats.aborts.Add(1)
	if t.From == fsm.Closing && l.stopRequested && l.closeErr == nil {
		l.closeErr = fmt.Errorf("wsfsm: close: %w", t.Cause)
	}
}

// dropLink cancels a dial in flight and shuts the current connection's TCP
// down at once, recording cause as the reason.
func (l *loopState) dropLink(cause error) {
	if l.dialCancel != nil {
		l.dialCancel()
		l.dialCancel = nil
	}
	if l.link != nil {
		l.c.unpublish(l.gen)
		if cause == nil {
			cause = ErrClosed
		}
		l.link.AbortCause(cause)
		l.link = nil
	}
}

// ScheduleBackoff (entering Reconnecting) counts the reconnect; the delay was
// chosen by MayRetry and the backoff timer waits it out.
func (a *actions) ScheduleBackoff(fsm.Transition) {
	a.c.stats.reconnects.Add(1)
}

// Release (entering Closed) lets go of everything and answers the waiters.
func (a *actions) Release(t fsm.Transition) {
	l := (*loopState)(a)
	c := l.c
	l.dropLink(t.Cause)
	var cause error
	if !l.stopRequested {
		cause = t.Cause
		if l.stopCause != nil {
			cause = l.stopCause
		}
	}
	c.mu.Lock()
	c.final = true
	c.cause = cause
	if !c.closing {
		c.closing = true
		close(c.closingCh)
	}
	c.mu.Unlock()

	firstDial := !l.everOpened && cause != nil
	for _, w := range l.openWaiters {
		if firstDial {
			w <- cause
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

// MayRetry is the retry policy: never after Close or Abort, always (at once)
// after Reconnect, otherwise as the classification and the backoff budget say.
func (a *actions) MayRetry(t fsm.Transition) bool {
	l := (*loopState)(a)
	c := l.c
	switch {
	case l.stopRequested || c.isClosing():
		return false
	case l.reconnectRequested:
		l.reconnectRequested = false
		l.nextDelay = 0
		return true
	case !l.everOpened && !c.opts.RetryFirstDial:
		l.stopCause = t.Cause
		return false
	}
	verdict := transport.Classifier(c.opts.Classify).Classify(t.Cause)
	if verdict == transport.Stop {
		l.stopCause = t.Cause
		return false
	}
	next := l.sched.Next
	if verdict == transport.RetryLater {
		next = l.sched.NextLater // the hook may say so of any cause, not only 1013
	}
	delay, ok := next(t.Cause)
	if !ok {
		l.stopCause = fmt.Errorf("%w: %w", ErrAttemptsExhausted, t.Cause)
		return false
	}
	l.nextDelay = delay
	return true
}

// HandshakeTimeout is the handshake_timeout timer of Connecting.
func (a *actions) HandshakeTimeout() time.Duration { return a.c.opts.HandshakeTimeout }

// CloseTimeout is the close_timeout timer of Closing.
func (a *actions) CloseTimeout() time.Duration { return a.c.opts.CloseTimeout }

// Backoff is the backoff timer of Reconnecting: the delay MayRetry chose.
func (a *actions) Backoff() time.Duration { return a.nextDelay }
