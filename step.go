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
