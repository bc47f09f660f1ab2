package wsfsm

import (
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/fsm"
)

// Transition is one step of the reference machine's life cycle, as
// Options.OnTransition sees it. It is an instance of TransitionOf, where its
// fields are documented.
type Transition = TransitionOf[fsm.State, fsm.Event]

// TransitionOf is one step of a machine's life cycle, whose states are S and
// events E.
type TransitionOf[S, E Enum] struct {
	// From and To are the states left and entered.
	From, To S
	// Event is the event that moved the machine: the generated package's
	// NoEvent for the initial entry into the initial state (see Initial),
	// the first transition the observer sees.
	Event E
	// Cause is why: the I/O error, the peer's *CloseError, a timer's error,
	// or one of ErrCloseRequested, ErrAbortRequested, ErrReconnectRequested.
	// Nil for a successful open or an expired backoff.
	Cause error
	// Attempt counts the redials since the backoff last reset, which happens
	// once a connection stayed Open for Options.MinUptime.
	Attempt int
	// Delay is the backoff before the next dial, on transitions into a state
	// that runs schedule_backoff (Reconnecting); zero otherwise.
	Delay time.Duration
	// At is when the transition happened.
	At time.Time

	scheduled bool // To runs schedule_backoff
}

// Initial reports whether t is the initial entry into the initial state:
// no event caused it, and From is To. The observer sees it first, so that
// each dial is an entry into the state that dials.
func (t TransitionOf[S, E]) Initial() bool { return uint8(t.Event) == engine.NoID }

// String renders the transition on one line, e.g.
// "Open -> Aborted (abort): wsfsm: reconnect requested", or "-> Connecting
// (initial)".
func (t TransitionOf[S, E]) String() string {
	if t.Initial() {
		return fmt.Sprintf("-> %s (initial)", t.To)
	}
	s := fmt.Sprintf("%s -> %s (%s)", t.From, t.To, t.Event)
	if t.Cause != nil {
		s += ": " + t.Cause.Error()
	}
	if t.scheduled {
		s += fmt.Sprintf(" [attempt %d, delay %s]", t.Attempt, t.Delay)
	}
	return s
}
