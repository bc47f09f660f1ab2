package vocab

import (
	_ "embed" // the reference machine
	"strconv"

	"github.com/wsfsm/wsfsm/engine"
)

// Action is a built-in action. The zero value, NoAction, marks an action
// that is not built in: the user implements it.
type Action uint8

// The built-in actions; [ActionInfo] declares each.
const (
	NoAction Action = iota
	Dial
	StartReader
	ReleaseSends
	SendClose
	ShutdownTCP
	ScheduleBackoff
	Release
	actionEnd
)

// NumActions is the number of Action values, NoAction included: an array
// indexed by Action has this length.
const NumActions = int(actionEnd)

// ActionInfo declares a built-in action.
type ActionInfo struct {
	// Name is its name in YAML.
	Name string
	// Doc is one line on what it does, for generated docs.
	Doc string
	// Fires lists the events its outcome fires: a state that runs it must
	// take each, or the outcome would be lost.
	Fires []Event
	// NeedsConnection: it works on the open connection, so a state that runs
	// it must only be entered while one is up (from a dial's opened, or from
	// a state that has one and did not drop it).
	NeedsConnection bool
	// DropsConnection: it ends the use of the connection; after it, no state
	// has one until the next dial opens.
	DropsConnection bool
	// OnExit: it may also run on leaving a state (every built-in runs on
	// entering one).
	OnExit bool
	// Opens is the event its success fires, which enters a state with a
	// fresh connection open (NoEvent: it opens none). A spec needs one
	// action that opens.
	Opens Event
	// StartsReader: it starts the connection's reader, at most once per
	// connection.
	StartsReader bool
	// ReleasesSends: it lets waiting Sends go out, so the reader must run
	// where it runs (the reader reports a broken connection), and after
	// each dial that opens, a state that runs it must be able to follow.
	ReleasesSends bool
	// Final: every final state must run it.
	Final bool
	// Guarantee says what a caller can rely on, and what bounds it.
	Guarantee string
}

var actions = [...]ActionInfo{
	NoAction: {},
	Dial: {
		Name:      "dial",
		Doc:       "Dial a brand-new connection, then run Options.OnConnect on it; the outcome fires opened or abort.",
		Fires:     []Event{Opened, Abort},
		Opens:     Opened,
		Guarantee: "a fresh TCP connection and WebSocket per dial, bounded by Options.HandshakeTimeout in the dial itself",
	},
	StartReader: {
		Name:            "start_reader",
		Doc:             "Start reading, with keepalive pings; the peer's close frame fires close, any other end abort.",
		Fires:           []Event{Abort}, // and close, where the state takes it
		NeedsConnection: true,
		StartsReader:    true,
		Guarantee:       "messages reach Receive in order; a dead peer is found within PingInterval+PongTimeout",
	},
	ReleaseSends: {
		Name:            "release_sends",
		Doc:             "Let Send write on this connection; Sends waiting for one go out in the order they were called.",
		NeedsConnection: true,
		ReleasesSends:   true,
		Guarantee:       "waiting Sends go out in call order; a spec where no state runs it after a dial opens is refused",
	},
	SendClose: {
		Name:            "send_close",
		Doc:             "Let writes in progress finish, send the close frame, await the peer's; fires closed, retry or abort.",
		Fires:           []Event{Closed, Abort}, // and retry, where the state takes it
		NeedsConnection: true,
		DropsConnection: true,
		Guarantee:       "the close handshake is bounded by Options.CloseTimeout in the close itself",
	},
	ShutdownTCP: {
		Name:            "shutdown_tcp",
		Doc:             "Cancel a dial in flight and shut the connection's TCP down at once (FIN, or RST by option).",
		DropsConnection: true,
		OnExit:          true,
		Guarantee:       "immediate: a blocked read or write returns at once",
	},
	ScheduleBackoff: {
		Name:      "schedule_backoff",
		Doc:       "Ask the retry policy for the delay before the next dial; fires stop when no attempt is left.",
		Fires:     []Event{Stop},
		Guarantee: "the delay follows the retry policy (Options.Backoff), with Retry-After and 1013 floors",
	},
	Release: {
		Name:            "release",
		Doc:             "Release everything and answer waiting calls; no goroutine or descriptor of the Conn remains.",
		DropsConnection: true,
		Final:           true,
		Guarantee:       "no goroutine or file descriptor of a connection remains",
	},
}

// Guard is a built-in guard; NoGuard marks the user's.
type Guard uint8

// The built-in guards; [GuardInfo] declares each.
const (
	NoGuard Guard = iota
	MayRetry
	guardEnd
)

// NumGuards is the number of Guard values, NoGuard included.
const NumGuards = int(guardEnd)

// GuardInfo declares a built-in guard: its name in YAML, one line on what
// it decides, and what a caller can rely on.
type GuardInfo struct {
	Name, Doc, Guarantee string
}

var guards = [...]GuardInfo{
	NoGuard: {},
	MayRetry: {
		Name:      "may_retry",
		Doc:       "The retry policy allows another dial after this cause (never after Close or Abort, always after Reconnect).",
		Guarantee: "decides and changes nothing",
	},
}

// Timer is a built-in timer; NoTimer marks the user's.
type Timer uint8

// The built-in timers; [TimerInfo] declares each.
const (
	NoTimer Timer = iota
	HandshakeTimeout
	CloseTimeout
	Backoff
	timerEnd
)

// NumTimers is the number of Timer values, NoTimer included.
const NumTimers = int(timerEnd)

// TimerInfo declares a built-in timer: its name in YAML and one line on
// its duration.
type TimerInfo struct {
	Name, Doc string
	// After is the built-in action that sets the timer's duration, which
	// must run in every state that uses the timer (NoAction: none).
	After Action
}

var timers = [...]TimerInfo{
	NoTimer:          {},
	HandshakeTimeout: {Name: "handshake_timeout", Doc: "Options.HandshakeTimeout, how long a dial, its upgrade and Options.OnConnect may take."},
	CloseTimeout:     {Name: "close_timeout", Doc: "Options.CloseTimeout, how long to wait for the peer's close frame."},
	Backoff:          {Name: "backoff", Doc: "The delay schedule_backoff chose.", After: ScheduleBackoff},
}

// Event is an event that the library fires; NoEvent marks the user's.
type Event uint8

// The events the library fires; [EventInfo] declares each.
const (
	NoEvent Event = iota
	Opened
	Close
	Closed
	Abort
	Retry
	Redial
	Stop
	eventEnd
)

// NumEvents is the number of Event values, NoEvent included: an array
// indexed by Event has this length.
const NumEvents = int(eventEnd)

// EventInfo declares an event the library fires. A spec may change where
// such an event leads, but may not guard it with a guard of its own: the
// library fires it when its outcome is known, and a guard that refused it
// would lose that outcome. Name is its name in YAML, Doc one line on when
// the library fires it.
type EventInfo struct {
	Name, Doc string
}

var events = [...]EventInfo{
	NoEvent: {},
	Opened:  {"opened", "The dial succeeded (upgrade and Options.OnConnect)."},
	Close:   {"close", "Close was called, or the peer sent a close frame."},
	Closed:  {"closed", "The close handshake completed and nothing asks to reconnect."},
	Abort:   {"abort", "Abort or Reconnect was called, I/O or dial failed, the peer is dead, or a timer fired."},
	Retry:   {"retry", "The retry policy says dial again."},
	Redial:  {"redial", "The backoff delay is over (zero for Reconnect)."},
	Stop:    {"stop", "The user closed, the error is permanent, or the retry budget is spent."},
}

// Each table declares every constant of its kind: an "invalid array index"
// compiler error signifies that a constant was added without its
// declaration.
func _() {
	var x [1]struct{}
	_ = x[len(actions)-NumActions]
	_ = x[len(guards)-NumGuards]
	_ = x[len(timers)-NumTimers]
	_ = x[len(events)-NumEvents]
}

// Info returns a's declaration; the zero ActionInfo for NoAction or a value
// out of range.
func (a Action) Info() ActionInfo { return at(actions[:], int(a)) }

// Info returns g's declaration.
func (g Guard) Info() GuardInfo { return at(guards[:], int(g)) }

// Info returns t's declaration.
func (t Timer) Info() TimerInfo { return at(timers[:], int(t)) }

// Info returns e's declaration.
func (e Event) Info() EventInfo { return at(events[:], int(e)) }

// at returns table[i], or the zero T for i out of range.
func at[T any](table []T, i int) (zero T) {
	if i < len(table) {
		return table[i]
	}
	return zero
}

func name(n string, i int, kind string) string {
	if i > 0 && n != "" {
		return n
	}
	return kind + "(" + strconv.Itoa(i) + ")"
}

// String returns the action's name in YAML.
func (a Action) String() string { return name(a.Info().Name, int(a), "Action") }

// String returns the guard's name in YAML.
func (g Guard) String() string { return name(g.Info().Name, int(g), "Guard") }

// String returns the timer's name in YAML.
func (t Timer) String() string { return name(t.Info().Name, int(t), "Timer") }

// String returns the event's name in YAML.
func (e Event) String() string { return name(e.Info().Name, int(e), "Event") }

// lookup returns the index of the entry of table called s (by name), or 0.
func lookup[T any](table []T, nameOf func(T) string, s string) int {
	for i := 1; i < len(table); i++ {
		if nameOf(table[i]) == s {
			return i
		}
	}
	return 0
}

// ActionNamed returns the built-in action called name in YAML, or NoAction.
func ActionNamed(name string) Action {
	return Action(lookup(actions[:], func(i ActionInfo) string { return i.Name }, name))
}

// GuardNamed returns the built-in guard called name in YAML, or NoGuard.
func GuardNamed(name string) Guard {
	return Guard(lookup(guards[:], func(i GuardInfo) string { return i.Name }, name))
}

// TimerNamed returns the built-in timer called name in YAML, or NoTimer.
func TimerNamed(name string) Timer {
	return Timer(lookup(timers[:], func(i TimerInfo) string { return i.Name }, name))
}

// EventNamed returns the library's event called name in YAML, or NoEvent.
func EventNamed(name string) Event {
	return Event(lookup(events[:], func(i EventInfo) string { return i.Name }, name))
}

// all returns every value of a kind but the zero one.
func all[T ~uint8](end T) []T {
	out := make([]T, 0, int(end)-1)
	for v := T(1); v < end; v++ {
		out = append(out, v)
	}
	return out
}

// Actions returns every built-in action.
func Actions() []Action { return all(actionEnd) }

// Guards returns every built-in guard.
func Guards() []Guard { return all(guardEnd) }

// Timers returns every built-in timer.
func Timers() []Timer { return all(timerEnd) }

// Events returns every event the library fires.
func Events() []Event { return all(eventEnd) }

// Binding says, for each action, guard, timer and event of one spec (in spec
// order), which built-in it names, or the zero value for the user's own.
type Binding struct {
	Actions []Action
	Guards  []Guard
	Timers  []Timer
	Events  []Event
	// Internal[e] reports that event e is fired only by the spec's own
	// actions and timers: it has no method, and Conn.Fire refuses it. Nil
	// means none is.
	Internal []bool
}

// Machine is one generated machine as package wsfsm drives it: its tables,
// and which of their names are built in.
type Machine struct {
	Spec    engine.Spec
	Binding Binding
}

// Reference is the reference machine, the one wsfsm.Conn is: the YAML of
// states.yaml in this package. A spec that says `extends: reference` is read
// as this file plus what the spec adds or changes. It is embedded here, and
// not read from the module root, so that the generator run as a Go tool
// (go tool gen) has it in any module.
func Reference() []byte { return []byte(reference) }

//go:embed states.yaml
var reference string
