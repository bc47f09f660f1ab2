package wsfsm

import (
	"context"
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/vocab"
)

// ExtensionOf is what a generated package hands DialOf: the actions, guards
// and timers its spec adds to the built-in vocabulary, by their ids in the
// spec. Generated code implements it over the package's Extension interface.
type ExtensionOf[S, E Enum] interface {
	// Act runs action a of the spec, for the state entry s describes.
	Act(a int, s *StepOf[S, E])
	// Allow reports whether guard g lets t happen; it must only decide.
	Allow(g int, t TransitionOf[S, E]) bool
	// Duration is timer t's duration, from now; negative: no timer this time.
	Duration(t int) time.Duration
}

// StepOf is what an action of the spec's own is given: the transition that
// ran it, and the means to act on it. The action runs on the Conn's lane (in
// the order of the transitions, after the machine moved, never holding it),
// so it may block, but the Conn's observer waits meanwhile: start long work
// with Go.
type StepOf[S, E Enum] struct {
	// Transition is the transition whose enter (or exit) actions ran this.
	Transition TransitionOf[S, E]

	linkIO // Send and Receive on the state entry's connection
	c      *ConnOf[S, E]
	epoch  uint64
	ctx    context.Context
}

// newStep makes the Step of an action run inside the machine's work, during
// t. Steps of one state entry share a context, cancelled when it is left.
func (c *ConnOf[S, E]) newStep(t engine.Transition) *StepOf[S, E] {
	l := &c.ms
	epoch := c.m.Epoch()
	if l.stepCtx == nil || l.stepEpoch != epoch {
		if l.stepCancel != nil {
			l.stepCancel()
		}
		l.stepCtx, l.stepCancel = context.WithCancel(context.Background())
		l.stepEpoch = epoch
	}
	return &StepOf[S, E]{Transition: c.transition(t), linkIO: linkIO{c.link, &c.stats}, c: c, epoch: epoch, ctx: l.stepCtx}
}

// Context is done once the state this step entered is left, or the Conn ends.
func (s *StepOf[S, E]) Context() context.Context { return s.ctx }

// Fire takes event e with cause and returns once it was taken and run to
// completion, or an error, also logged to Options.Logger, when it cannot be
// taken: one wrapping ErrEventNotAllowed for a library event other than
// abort and stop, an event the current state does not take, or a state this
// step entered that was left meanwhile; ErrGuardRejected when its guard
// said no; ErrClosed once the Conn ended. The event is taken after the work
// queued before it, and its outcome is reported to the observer.
func (s *StepOf[S, E]) Fire(e E, cause error) (err error) {
	defer wrap(&err, "step: %s", e)
	c := s.c
	defer func() {
		if err != nil && c.opts.Logger != nil {
			c.opts.Logger.Warn("wsfsm: event not taken", "event", e.String(), "err", err)
		}
	}()
	if int(e) >= len(c.bind.Events) {
		return fmt.Errorf("%w: not an event of %s", ErrEventNotAllowed, c.m.Spec().Name)
	}
	switch v := c.bind.Events[e]; v {
	case vocab.NoEvent, vocab.Abort, vocab.Stop:
	default:
		return fmt.Errorf("%w: the library fires %s itself", ErrEventNotAllowed, v)
	}
	cause = c.classified(cause)
	res := make(chan error, 1)
	if !c.m.Post(func() {
		if s.epoch != c.m.Epoch() {
			res <- fmt.Errorf("%w: the state this step entered was left", ErrEventNotAllowed)
			return
		}
		res <- c.m.Fire(int(e), cause)
	}) {
		return c.closedErr()
	}
	return <-res
}

// Go runs f on a goroutine of its own, with a context that is done once the
// state this step entered is left or the Conn ends. If f returns an error
// while that state lasts, abort fires (stop where the state has no abort)
// with it as the cause, classified like any other. Done waits for f.
func (s *StepOf[S, E]) Go(f func(ctx context.Context) error) {
	c := s.c
	c.detached.Add(1)
	go func() {
		defer func() {
			c.detached.Add(-1)
			c.maybeDone()
		}()
		err := f(s.ctx)
		if err == nil || s.ctx.Err() != nil {
			return
		}
		cause := c.classified(err)
		c.m.PostAt(s.epoch, func() { c.takeFirst(cause, vocab.Abort, vocab.Stop) })
	}()
}
