// Package vocab names the built-in actions, guards, timers and events that
// package wsfsm implements, so that a machine written in YAML can compose them.
//
// A spec that names `dial`, `start_reader` or `may_retry` gets the library's
// implementation; any other name is the user's, and the generated package
// asks for it in its Extension interface. The generator checks a spec
// against what each built-in needs (see Needs), and generated code records,
// in a [Binding], which of its names are built-in.
package vocab

import (
	"strconv"

	"github.com/wsfsm/wsfsm/engine"
)

// Action is a built-in action. The zero value, NoAction, marks an action
// that is not built in: the user implements it.
type Action uint8

// The built-in actions.
const (
	NoAction Action = iota
	// Dial dials a brand-new connection (TCP, TLS, the HTTP upgrade, then
	// Options.OnConnect on it); its outcome fires opened or abort.
	Dial
	// StartReader starts reading the connection, with keepalive pings:
	// messages go to Receive; the peer's close frame fires close, any other
	// end of the connection fires abort.
	StartReader
	// ReleaseSends lets Send write on the connection: Sends waiting for one
	// go out in the order they were called.
	ReleaseSends
	// SendClose runs the close handshake: writes in progress finish, the
	// close frame goes out, the peer's is awaited; the outcome fires closed,
	// retry (the policy asks to dial again) or abort.
	SendClose
	// ShutdownTCP cancels a dial in flight and shuts the connection's TCP
	// down at once (FIN, or RST by option); Sends wait for the next one.
	ShutdownTCP
	// ScheduleBackoff asks the retry policy for the delay before the next
	// dial, which the backoff timer waits out; it fires stop when the policy
	// allows no more attempts.
	ScheduleBackoff
	// Release lets go of everything and answers the calls still waiting: no
	// goroutine or file descriptor of the connection remains.
	Release
	actionEnd
)

// Guard is a built-in guard; NoGuard marks the user's.
type Guard uint8

// The built-in guards.
const (
	NoGuard Guard = iota
	// MayRetry reports whether the retry policy allows another dial after
	// the transition's cause: never after Close or Abort, always after
	// Reconnect, otherwise as the classification says.
	MayRetry
	guardEnd
)

// Timer is a built-in timer; NoTimer marks the user's.
type Timer uint8

// The built-in timers.
const (
	NoTimer Timer = iota
	// HandshakeTimeout is Options.HandshakeTimeout: how long a dial, its
	// upgrade and Options.OnConnect may take.
	HandshakeTimeout
	// CloseTimeout is Options.CloseTimeout: how long to wait for the peer's
	// close frame.
	CloseTimeout
	// Backoff is the delay ScheduleBackoff chose.
	Backoff
	timerEnd
)

// Event is an event that the library fires; NoEvent marks the user's.
type Event uint8

// The events the library fires, and when.
const (
	NoEvent Event = iota
	// Opened: a dial succeeded.
	Opened
	// Close: the peer sent a close frame, or Close was called.
	Close
	// Closed: the close handshake completed and nothing asks to dial again.
	Closed
	// Abort: a dial, a read or a write failed, the peer is dead, or Abort or
	// Reconnect was called.
	Abort
	// Retry: the close handshake completed and the policy asks to dial again.
	Retry
	// Redial: Reconnect was called while waiting to dial.
	Redial
	// Stop: Close or Abort was called while no connection is up, or the
	// policy allows no more attempts.
	Stop
	eventEnd
)

// NumEvents is the number of Event values, NoEvent included: an array
// indexed by Event has this length.
const NumEvents = int(eventEnd)

var (
	actionNames = [actionEnd]string{"", "dial", "start_reader", "release_sends", "send_close", "shutdown_tcp", "schedule_backoff", "release"}
	guardNames  = [guardEnd]string{"", "may_retry"}
	timerNames  = [timerEnd]string{"", "handshake_timeout", "close_timeout", "backoff"}
	eventNames  = [eventEnd]string{"", "opened", "close", "closed", "abort", "retry", "redial", "stop"}
)

func name(names []string, i int, kind string) string {
	if i > 0 && i < len(names) {
		return names[i]
	}
	return kind + "(" + strconv.Itoa(i) + ")"
}

func lookup(names []string, s string) int {
	for i, n := range names {
		if i > 0 && n == s {
			return i
		}
	}
	return 0
}

// String returns the action's name in YAML.
func (a Action) String() string { return name(actionNames[:], int(a), "Action") }

// String returns the guard's name in YAML.
func (g Guard) String() string { return name(guardNames[:], int(g), "Guard") }

// String returns the timer's name in YAML.
func (t Timer) String() string { return name(timerNames[:], int(t), "Timer") }

// String returns the event's name in YAML.
func (e Event) String() string { return name(eventNames[:], int(e), "Event") }

// ActionNamed returns the built-in action called name in YAML, or NoAction.
func ActionNamed(name string) Action { return Action(lookup(actionNames[:], name)) }

// GuardNamed returns the built-in guard called name in YAML, or NoGuard.
func GuardNamed(name string) Guard { return Guard(lookup(guardNames[:], name)) }

// TimerNamed returns the built-in timer called name in YAML, or NoTimer.
func TimerNamed(name string) Timer { return Timer(lookup(timerNames[:], name)) }

// EventNamed returns the library's event called name in YAML, or NoEvent.
func EventNamed(name string) Event { return Event(lookup(eventNames[:], name)) }

// Actions returns every built-in action.
func Actions() []Action {
	out := make([]Action, 0, actionEnd-1)
	for a := Dial; a < actionEnd; a++ {
		out = append(out, a)
	}
	return out
}

// Events returns every event the library fires.
func Events() []Event {
	out := make([]Event, 0, eventEnd-1)
	for e := Opened; e < eventEnd; e++ {
		out = append(out, e)
	}
	return out
}

// Binding says, for each action, guard, timer and event of one spec (in spec
// order), which built-in it names, or the zero value for the user's own.
type Binding struct {
	Actions []Action
	Guards  []Guard
	Timers  []Timer
	Events  []Event
}

// Fires returns the events that a's outcome fires: a state that runs a must
// have a transition for each, or the outcome would be lost.
func (a Action) Fires() []Event {
	switch a {
	case Dial:
		return []Event{Opened, Abort}
	case StartReader:
		return []Event{Abort} // and close, where the state has it
	case SendClose:
		return []Event{Closed, Abort} // and retry, where the state has it
	case ScheduleBackoff:
		return []Event{Stop}
	}
	return nil
}

// NeedsConnection reports whether a works on the open connection, so that a
// state that runs it must only be entered while one is up: from a dial's
// opened, or from a state that has one and did not drop it.
func (a Action) NeedsConnection() bool {
	return a == StartReader || a == ReleaseSends || a == SendClose
}

// DropsConnection reports whether a ends the use of the connection: after
// it, no state has one until the next dial opens.
func (a Action) DropsConnection() bool {
	return a == SendClose || a == ShutdownTCP || a == Release
}

// Machine is one generated machine as package wsfsm drives it: its tables,
// and which of their names are built in.
type Machine struct {
	Spec    engine.Spec
	Binding Binding
}
