package wsfsm

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/transport"
)

// loopState is everything the loop owns. Only the goroutine running Conn.work
// touches it: API calls, I/O results and timers reach it as closures posted
// there.
type loopState struct {
	c     *Conn
	m     *fsm.Machine
	sched *transport.Schedule

	gen         uint64 // generation of the current dial and link
	link        *transport.Link
	dialCancel  context.CancelFunc
	outstanding int // dial, close and reader goroutines that will still post

	timer      *time.Timer
	timerEpoch uint64

	stopRequested      bool          // Close or Abort: never dial again
	reconnectRequested bool          // Reconnect: next retry at once, outside the policy
	everOpened         bool          // a connection reached Open
	nextDelay          time.Duration // the backoff chosen by MayRetry
	stopCause          error         // why MayRetry said no, when it is not the transition's cause
	closeErr           error         // what Close returns
	openWaiters        []chan error  // Dial and Reconnect, waiting for Open
	closeWaiters       []chan error  // Close, waiting for Closed
}

func (l *loopState) init(c *Conn) {
	o := &c.opts
	l.c = c
	l.m = fsm.New((*actions)(l), (*actions)(l))
	l.m.OnTransition(l.transitioned)
	l.sched = transport.NewSchedule(transport.BackoffConfig{
		Initial:        o.BackoffInitial,
		Max:            o.BackoffMax,
		MinUptime:      o.MinUptime,
		MaxAttempts:    o.MaxAttempts,
		MaxRetryAfter:  o.MaxRetryAfter,
		FirstDelayZero: o.ImmediateFirstRetry,
	}, nil, nil)
	c.state.Store(uint32(l.m.State()))
}

// start is the loop's first work: it enters the initial state (Start runs
// its enter actions but no hooks, so its timer is armed here).
func (l *loopState) start() {
	l.m.Start(context.Background())
	l.armTimer(l.m.State())
}

// over reports whether the loop is over: the machine is final and no
// goroutine that will still post (dial, reader, close handshake) remains.
func (l *loopState) over() bool { return l.m.State().Final() && l.outstanding == 0 }

// fire moves the machine; an event the current state does not take is
// dropped, as it was overtaken by an earlier one.
func (l *loopState) fire(e fsm.Event, cause error) error {
	err := l.m.Fire(context.Background(), e, cause)
	if err != nil && l.c.opts.Logger != nil {
		l.c.opts.Logger.Debug("wsfsm: event not taken", "event", e.String(), "state", l.m.State().String(), "err", err)
	}
	return err
}

// transitioned runs after every transition's enter action: it arms the new
// state's timer and reports the transition.
func (l *loopState) transitioned(t fsm.Transition) {
	c := l.c
	c.state.Store(uint32(t.To))
	if t.From == fsm.Open && t.To != fsm.Open {
		l.sched.Dropped()
	}
	l.armTimer(t.To)
	tr := Transition{From: t.From, To: t.To, Event: t.Event, Cause: t.Cause, Attempt: l.sched.Attempt(), At: time.Now()}
	if t.To == fsm.Reconnecting {
		tr.Delay = l.nextDelay
	}
	if lg := c.opts.Logger; lg != nil {
		lg.Debug("wsfsm: transition", slog.String("from", t.From.String()), slog.String("to", t.To.String()),
			slog.String("event", t.Event.String()), slog.Any("cause", t.Cause),
			slog.Int("attempt", tr.Attempt), slog.Duration("delay", tr.Delay))
	}
	if c.notify != nil {
		c.notify.push(tr)
	}
	if t.To == fsm.Open {
		l.resolveOpenWaiters(nil)
	}
}

// armTimer cancels the timer of the state left and starts the one of the
// state entered, if the YAML gives it one.
func (l *loopState) armTimer(s fsm.State) {
	l.timerEpoch++
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	tm, ok := fsm.TimerOf(s)
	if !ok {
		return
	}
	d := tm.Duration((*actions)(l))
	if d < 0 {
		return
	}
	epoch, c := l.timerEpoch, l.c
	fire := func() { l.timerFired(epoch, tm) }
	if d == 0 {
		c.post(fire) // runs right after the current work, with no timer goroutine
		return
	}
	l.timer = time.AfterFunc(d, func() { c.post(fire) })
}

// timerFired fires a timer's event, unless the state it was armed for was
// left since (epoch moved on).
func (l *loopState) timerFired(epoch uint64, tm fsm.Timer) {
	if epoch != l.timerEpoch {
		return
	}
	l.timer = nil
	l.fire(tm.Event, timerCause(tm.Name))
}

// timerCause is the error a timer's event carries.
func timerCause(name string) error {
	switch name {
	case "handshake_timeout":
		return ErrHandshakeTimeout
	case "close_timeout":
		return ErrCloseTimeout
	case "backoff":
		return nil
	}
	return &TimerError{Timer: name}
}

// TimerError is the cause carried by the event of a timer that states.yaml
// names and this package has no more specific error for.
type TimerError struct{ Timer string }

func (e *TimerError) Error() string { return "wsfsm: timer " + e.Timer + " expired" }

// dialed handles the result of the dial of generation gen.
func (l *loopState) dialed(gen uint64, link *transport.Link, err error) {
	l.outstanding--
	if gen != l.gen || l.m.State() != fsm.Connecting {
		if link != nil {
			_ = link.Abort() // overtaken: never let it live
		}
		return
	}
	l.dialCancel()
	l.dialCancel = nil
	if err != nil {
		l.fire(fsm.EventAbort, err)
		return
	}
	l.link = link
	l.fire(fsm.EventOpened, nil)
}

// readerDone handles the end of the reader of generation gen.
func (l *loopState) readerDone(gen uint64, err error) {
	l.outstanding--
	if gen != l.gen {
		return // an older connection's
	}
	l.recordClose(err)
	if l.m.State() != fsm.Open {
		return // Closing: the close result decides
	}
	var ce *CloseError
	if errors.As(err, &ce) && ce.Code != 1006 {
		l.fire(fsm.EventClose, err) // the peer closed; the reader answered it
		return
	}
	l.fire(fsm.EventAbort, err)
}

// writeFailed handles a Send whose write on generation gen failed.
func (l *loopState) writeFailed(gen uint64, err error) {
	if gen == l.gen && l.m.State() == fsm.Open {
		l.fire(fsm.EventAbort, err)
	}
}

// closeDone handles the result of the close handshake of generation gen.
func (l *loopState) closeDone(gen uint64, res transport.CloseResult, err error) {
	l.outstanding--
	if gen != l.gen {
		return
	}
	if res.PeerCode != 0 {
		l.recordClose(&CloseError{Code: res.PeerCode, Reason: res.PeerReason})
	}
	if l.m.State() != fsm.Closing {
		return
	}
	if err != nil {
		l.fire(fsm.EventAbort, err)
		return
	}
	var cause error
	if res.PeerCode != 0 {
		cause = &CloseError{Code: res.PeerCode, Reason: res.PeerReason}
	}
	if l.stopRequested {
		l.fire(fsm.EventClosed, nil)
		return
	}
	if l.fire(fsm.EventRetry, cause) != nil {
		l.fire(fsm.EventClosed, cause)
	}
}

func (l *loopState) recordClose(err error) {
	var ce *CloseError
	if errors.As(err, &ce) {
		l.c.stats.closeCode.Store(int64(ce.Code))
		reason := ce.Reason
		l.c.stats.closeReason.Store(&reason)
	}
}

// close is Close's request.
func (l *loopState) close(res chan error) {
	l.stopRequested = true
	switch l.m.State() {
	case fsm.Closed:
		res <- ErrClosed
		return
	case fsm.Open:
		l.fire(fsm.EventClose, ErrCloseRequested)
	case fsm.Connecting:
		l.fire(fsm.EventAbort, ErrCloseRequested)
	case fsm.Reconnecting:
		l.fire(fsm.EventStop, ErrCloseRequested)
	}
	// In Closing, the handshake under way ends it.
	if l.m.State().Final() {
		res <- l.closeErr
		return
	}
	l.closeWaiters = append(l.closeWaiters, res)
}

// abort is Abort's request, and Close's when its context ends.
func (l *loopState) abort() {
	l.stopRequested = true
	if l.m.Can(fsm.EventAbort) {
		l.fire(fsm.EventAbort, ErrAbortRequested)
	} else if l.m.Can(fsm.EventStop) {
		l.fire(fsm.EventStop, ErrAbortRequested)
	}
}

// reconnect is Reconnect's request.
func (l *loopState) reconnect(res chan error) {
	switch s := l.m.State(); {
	case s.Final() || l.stopRequested:
		res <- closedError(l.c.Err())
		return
	case s == fsm.Reconnecting:
		l.nextDelay = 0
		l.openWaiters = append(l.openWaiters, res)
		l.fire(fsm.EventRedial, ErrReconnectRequested)
	default:
		l.reconnectRequested = true
		l.openWaiters = append(l.openWaiters, res)
		l.fire(fsm.EventAbort, ErrReconnectRequested)
	}
}

// resolveOpenWaiters answers Dial and Reconnect calls.
func (l *loopState) resolveOpenWaiters(err error) {
	for _, w := range l.openWaiters {
		w <- err
	}
	l.openWaiters = nil
}
