package wsfsm

import (
	"log/slog"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/vocab"
)

// hooks is a ConnOf seen by its engine.Machine: what the names of the spec
// mean. Built-in names run the library's code; the spec's own run the
// Extension's.
type hooks[S, E Enum] ConnOf[S, E]

var _ engine.Hooks = (*hooks[uint8Enum, uint8Enum])(nil)

type uint8Enum uint8

func (uint8Enum) String() string { return "" }

func (h *hooks[S, E]) conn() *ConnOf[S, E] { return (*ConnOf[S, E])(h) }

// Leave runs the exit actions of the state left, in order (see act).
func (h *hooks[S, E]) Leave(t engine.Transition, exit []int) {
	c := h.conn()
	for _, a := range exit {
		c.act(a, t)
	}
}

// Entered runs the enter actions of the state entered, in order (see act),
// gives its timer's duration (see duration), and then reports the transition
// (see moved): the engine arms the timer when it returns.
func (h *hooks[S, E]) Entered(t engine.Transition, enter []int, tm int) time.Duration {
	c := h.conn()
	for _, a := range enter {
		c.act(a, t)
	}
	d := time.Duration(-1)
	if tm != engine.None {
		d = c.timerDuration(t.To, tm)
	}
	c.moved(t)
	return d
}

// act runs a built-in action at once; an action of the spec's own is handed
// to the lane, where it runs after the machine moved, in order, on a goroutine
// that may block without holding the machine.
func (c *ConnOf[S, E]) act(a int, t engine.Transition) {
	if b := c.bind.Actions[a]; b != vocab.NoAction {
		c.runBuiltin(b, t)
		return
	}
	s := c.newStep(t)
	c.lane.push(func() { c.ext.Act(a, s) })
}

// Allow asks the built-in guard, or the spec's own.
func (h *hooks[S, E]) Allow(g int, t engine.Transition) bool {
	c := h.conn()
	if b := c.bind.Guards[g]; b != vocab.NoGuard {
		return guardImpls[S, E]()[b](c, t)
	}
	return c.ext.Allow(g, c.transition(t))
}

// timerDuration gives a built-in timer's duration, or asks the spec's own.
// A built-in timer that the operation of state s carries already is not
// armed (see carries): each timeout has one timer.
func (c *ConnOf[S, E]) timerDuration(s, tm int) time.Duration {
	if b := c.bind.Timers[tm]; b != vocab.NoTimer {
		if c.states[s].carried {
			return -1
		}
		return c.duration(b)
	}
	return c.ext.Duration(tm)
}

// carries reports whether state s runs the operation that bounds itself by
// its built-in timer, and would fire abort on it as that operation does on
// its deadline: handshake_timeout in a state that dials (the attempt's ctx
// ends after Options.HandshakeTimeout), close_timeout in one that runs
// send_close (its close handshake ends after Options.CloseTimeout). The
// operation's deadline is then that timer, with the same duration, event and
// cause; a spec without the timer is bounded just the same. newConn works it
// out once per state (stateRuns.carried).
func (c *ConnOf[S, E]) carries(sp *engine.Spec, s int) bool {
	st := sp.Timer[s]
	if st.Timer == engine.None || st.Event != c.event(vocab.Abort) {
		return false
	}
	switch c.bind.Timers[st.Timer] {
	case vocab.HandshakeTimeout:
		return c.runs(s, vocab.Dial)
	case vocab.CloseTimeout:
		return c.runs(s, vocab.SendClose)
	}
	return false
}

// TimerCause runs on the timer's goroutine: see expired.
func (h *hooks[S, E]) TimerCause(tm int) error { return h.conn().expired(tm) }

// moved reports a transition, last in Entered: logs it, hands it to the
// observer (on the lane, so after the timer was armed), and answers Dial and
// Reconnect once Sends are released.
func (c *ConnOf[S, E]) moved(t engine.Transition) {
	l := &c.ms
	if l.stepCancel != nil && l.stepEpoch != c.m.Epoch() {
		l.stepCancel() // the state whose steps used it was left
		l.stepCancel, l.stepCtx = nil, nil
	}
	tr := c.transition(t)
	tr.Attempt = l.attempt
	tr.At = time.Now()
	if c.runs(t.To, vocab.ScheduleBackoff) {
		tr.scheduled = true
		tr.Delay = max(l.nextDelay, 0)
	}
	if lg := c.opts.Logger; lg != nil {
		lg.Debug("wsfsm: transition", slog.String("from", tr.From.String()), slog.String("to", tr.To.String()),
			slog.String("event", tr.Event.String()), slog.Any("cause", tr.Cause),
			slog.Int("attempt", tr.Attempt), slog.Duration("delay", tr.Delay))
	}
	if f := c.opts.OnTransition; f != nil {
		c.lane.push(func() { f(tr) })
	}
	if c.runs(t.To, vocab.ReleaseSends) {
		for _, w := range l.openWaiters {
			w <- nil
		}
		l.openWaiters = nil
	}
}

// Ended: the machine is final and no goroutine of a connection remains.
func (h *hooks[S, E]) Ended() { h.conn().ended() }

// runs reports whether state s runs built-in action a on entering it.
func (c *ConnOf[S, E]) runs(s int, a vocab.Action) bool { return c.states[s].enters[a] }

// transition is t in the spec's types, with its cause as the user sees it.
func (c *ConnOf[S, E]) transition(t engine.Transition) TransitionOf[S, E] {
	ev := E(engine.NoID)
	if t.Event != engine.None {
		ev = E(t.Event)
	}
	return TransitionOf[S, E]{From: S(t.From), To: S(t.To), Event: ev, Cause: plain(t.Cause)}
}
