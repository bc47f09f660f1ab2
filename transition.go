package wsfsm

import (
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
)

// Transition is one step of the life cycle, as Options.OnTransition sees it.
type Transition struct {
	// From and To are the states left and entered.
	From, To fsm.State
	// Event is the event that moved the machine.
	Event fsm.Event
	// Cause is why: the I/O error, the peer's *CloseError, a timer's error,
	// or one of ErrCloseRequested, ErrAbortRequested, ErrReconnectRequested.
	// Nil for a successful open or an expired backoff.
	Cause error
	// Attempt counts the redials since the backoff last reset, which happens
	// once a connection stayed Open for Options.MinUptime.
	Attempt int
	// Delay is the backoff before the next dial, on transitions into
	// Reconnecting; zero otherwise.
	Delay time.Duration
	// At is when the transition happened.
	At time.Time
}

// String renders the transition on one line, e.g.
// "Open -> Aborted (abort): wsfsm: reconnect requested".
func (t Transition) String() string {
	s := fmt.Sprintf("%s -> %s (%s)", t.From, t.To, t.Event)
	if t.Cause != nil {
		s += ": " + t.Cause.Error()
	}
	if t.To == fsm.Reconnecting {
		s += fmt.Sprintf(" [attempt %d, delay %s]", t.Attempt, t.Delay)
	}
	return s
}
