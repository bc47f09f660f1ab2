package wsfsm

// What the machine does with each I/O result (a dial's, a reader's end, a
// close handshake's, a timer's) and with each request of the API, in one
// place. A result is classified once, where it arrives, on the goroutine that
// produced it (settle, expired), and the verdict travels with its cause to
// the may_retry guard and schedule_backoff; a result of a state entry already
// left changes nothing. docs/PEER_DROP.md traces one such result, the peer
// dropping TCP while Open, through the packages.

import (
	"context"
	"errors"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/internal/closecode"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
	"github.com/wsfsm/wsfsm/vocab"
)

// machineState is what the machine's work owns beside the state itself
// (looplab/fsm holds that): only the goroutine running the work (see
// engine.Machine.Post) touches these fields.
type machineState struct {
	sched   *retry.Schedule
	attempt int // sched's Attempt, as the last of its Opened, Dropped and Next returned it

	dial       *pendingDial   // the dial in flight, or nil
	lastReader transport.Turn // the last started reader's place in line: the next one waits for it

	closeSent          bool          // send_close runs on link: its result, not the reader's end, decides
	reconnectRequested bool          // Reconnect: next retry at once, outside the policy
	everOpened         bool          // a connection reached start_reader
	nextDelay          time.Duration // what schedule_backoff chose; < 0: none
	closeCode          int           // what send_close sends
	closeReason        string
	closeErr           error          // what Close returns
	openWaiters        []chan<- error // Dial and Reconnect, waiting for release_sends
	closeWaiters       []chan<- error // Close, waiting for the final state

	stepEpoch  uint64 // the state entry the current Step context belongs to
	stepCtx    context.Context
	stepCancel context.CancelFunc
}

func (c *ConnOf[S, E]) initMachineState() {
	o := &c.opts
	c.ms.sched = retry.NewSchedule(retry.Config{
		NewBackOff:          o.Backoff,
		MinUptime:           o.MinUptime,
		MaxAttempts:         o.MaxAttempts,
		MaxRetryAfter:       o.MaxRetryAfter,
		ImmediateFirstRetry: o.ImmediateFirstRetry,
	})
	c.ms.closeCode = CloseNormal
	c.ms.nextDelay = -1
}

// event returns the spec's event for a library event, or engine.None.
func (c *ConnOf[S, E]) event(v vocab.Event) int { return int(c.ev[v]) }

// settle reports the result of a connection's goroutine (dial, reader, close
// handshake) with its ticket. The result is classified here, where it
// arrives, once: the verdict travels with it (see verdictError) to the
// may_retry guard and schedule_backoff. With a Classify hook, the hook runs
// on this goroutine and outside the machine: the ticket is released before
// it, so that a hook that calls Close or Abort does not wait for itself, and
// the result is then posted untracked (refused if the Conn ended meanwhile).
func (c *ConnOf[S, E]) settle(tk *engine.Ticket, err error, f func(cause error)) {
	if err == nil || c.opts.Classify == nil {
		cause := c.classified(err)
		tk.Post(func() { f(cause) })
		return
	}
	tk.Release()
	cause := c.classified(err)
	c.m.Post(func() { f(cause) })
}

// settleAt is settle for a result that counts only in the state entry its
// ticket was taken in (a dial's, a close handshake's): the engine drops it
// once the machine moved on.
func (c *ConnOf[S, E]) settleAt(tk *engine.Ticket, err error, f func(cause error)) {
	if err == nil || c.opts.Classify == nil {
		cause := c.classified(err)
		tk.PostAt(func() { f(cause) }, nil)
		return
	}
	epoch := tk.Epoch()
	tk.Release()
	cause := c.classified(err)
	c.m.PostAt(epoch, func() { f(cause) })
}

// classified classifies err (the Classify hook first, then the built-in
// rules), outside the machine, and returns err carrying the verdict.
func (c *ConnOf[S, E]) classified(err error) error {
	if err == nil {
		return nil
	}
	return &verdictError{err: err, v: retry.Classifier(c.opts.Classify).Classify(err)}
}

// verdictError is a cause with the verdict Classify gave it. It stays inside
// the machine: plain takes it off before a cause reaches the user.
type verdictError struct {
	err error
	v   Verdict
}

func (e *verdictError) Error() string { return e.err.Error() }
func (e *verdictError) Unwrap() error { return e.err }

// verdictOf is the verdict carried by cause. A cause that did not come from
// I/O (a user's Step.Fire, say) carries none: the built-in rules decide.
func verdictOf(cause error) Verdict {
	if ve, ok := cause.(*verdictError); ok {
		return ve.v
	}
	return retry.Classifier(nil).Classify(cause)
}

// plain is cause without the verdict it carries inside the machine.
func plain(cause error) error {
	if ve, ok := cause.(*verdictError); ok {
		return ve.err
	}
	return cause
}

// takeFirst takes the first of the library's events that the current state
// takes and whose guard allows it, with cause; it reports whether one was
// taken.
func (c *ConnOf[S, E]) takeFirst(cause error, events ...vocab.Event) bool {
	c.lane.hold() // the user code of this event goes to the lane as one item
	defer c.lane.release()
	for _, v := range events {
		e := c.event(v)
		if e == engine.None {
			continue
		}
		err := c.m.Fire(e, cause)
		switch {
		case err == nil:
			return true
		case errors.Is(err, engine.ErrNotAllowed): // the state does not take it: the next one may
			continue
		}
		if c.opts.Logger != nil {
			c.opts.Logger.Debug("wsfsm: event not taken", "event", v.String(), "err", err)
		}
		if !errors.Is(err, engine.ErrGuardRejected) {
			return false
		}
	}
	return false
}

// dialed handles a successful dial, in the state entry that started it: the
// connection is kept, and opened fires.
func (c *ConnOf[S, E]) dialed(link *transport.Link) {
	l := &c.ms
	c.cancelDial()
	c.setLink(link)
	l.closeSent = false
	if !c.takeFirst(nil, vocab.Opened) {
		c.setLink(nil)
		link.Abort()
	}
}

// dialFailed handles a failed dial, in the state entry that started it.
func (c *ConnOf[S, E]) dialFailed(err error) {
	c.cancelDial()
	c.takeFirst(err, vocab.Abort)
}

// readerDone handles the end of link's reader: the peer's close frame fires
// close where the state takes it (the reader answered the frame), any other
// end abort. A reader of a connection already dropped, or being closed by
// send_close (whose result decides), changes nothing but the stats.
func (c *ConnOf[S, E]) readerDone(link *transport.Link, cause error) {
	if c.link != link {
		return
	}
	c.recordClose(cause)
	if c.ms.closeSent {
		return
	}
	var ce *CloseError
	if errors.As(cause, &ce) && ce.Code != closecode.Abnormal {
		c.takeFirst(cause, vocab.Close, vocab.Abort)
		return
	}
	// Any other end: the reader closed TCP before reporting it (see
	// transport.Link.StartReader), so the connection is over, and
	// shutdown_tcp has nothing left to shut down.
	c.detach()
	c.takeFirst(cause, vocab.Abort)
}

// closeDone handles the result of the close handshake, in the state entry
// that started it: cause is the close's error when it failed, else the
// peer's close frame (nil without one), classified.
func (c *ConnOf[S, E]) closeDone(res transport.CloseResult, failed bool, cause error) {
	if res.PeerCode != 0 {
		c.recordClose(&CloseError{Code: res.PeerCode, Reason: res.PeerReason})
	}
	switch {
	case failed:
		c.takeFirst(cause, vocab.Abort)
	case c.isClosing():
		c.takeFirst(nil, vocab.Closed)
	default:
		c.takeFirst(cause, vocab.Retry, vocab.Closed)
	}
}

// expired is the cause the event of timer tm carries, classified: a timer's
// result. It runs on the timer's goroutine (the engine fires the timer's
// event itself), so the Classify hook may run there.
func (c *ConnOf[S, E]) expired(tm int) error {
	var err error
	if b := c.bind.Timers[tm]; b != vocab.NoTimer {
		err = c.timerCause(b)
	} else {
		err = &TimerError{Timer: c.m.Spec().Timers[tm]}
	}
	return c.classified(err)
}

func (c *ConnOf[S, E]) recordClose(err error) {
	var ce *CloseError
	if errors.As(err, &ce) {
		c.stats.closeCode.Store(int64(ce.Code))
		reason := ce.Reason
		c.stats.closeReason.Store(&reason)
	}
}

// requestClose is Close's request: the first of close, abort and stop that
// the current state takes. In a state that takes none of them (Closing),
// what is under way ends it.
func (c *ConnOf[S, E]) requestClose(res chan error, code int, reason string) {
	l := &c.ms
	l.closeCode, l.closeReason = code, reason
	if !c.final() {
		c.takeFirst(ErrCloseRequested, vocab.Close, vocab.Abort, vocab.Stop)
	}
	if c.final() {
		res <- l.closeErr
		return
	}
	l.closeWaiters = append(l.closeWaiters, res)
}

// requestAbort is Abort's request, and Close's when its context ends.
func (c *ConnOf[S, E]) requestAbort(cause error) {
	if !c.final() {
		c.takeFirst(cause, vocab.Abort, vocab.Stop)
	}
}

// requestReconnect is Reconnect's request.
func (c *ConnOf[S, E]) requestReconnect(res chan<- error) {
	l := &c.ms
	if c.final() || c.isClosing() {
		res <- closedError(c.Err())
		return
	}
	l.reconnectRequested = true
	if !c.takeFirst(ErrReconnectRequested, vocab.Abort, vocab.Redial) {
		l.reconnectRequested = false
		res <- &StateError{Op: "reconnect", State: c.m.Spec().States[c.m.State()]}
		return
	}
	if c.final() {
		res <- closedError(c.Err())
		return
	}
	l.openWaiters = append(l.openWaiters, res)
}

func (c *ConnOf[S, E]) final() bool { return c.m.Spec().Final[c.m.State()] }
