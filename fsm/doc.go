// Package fsm is the life cycle of one wsfsm connection as a typed state
// machine, generated from states.yaml at the module root by wsfsm/gen.
//
// The spec is the single source of truth: the State and Event constants, the
// transition table (Table), the per-state timers (Timers), the Actions,
// Guards and Durations interfaces and the Machine methods are all generated
// from it, and so are the diagrams states.mmd and states.dot next to this
// file. Edit states.yaml, run go generate ./..., and the compiler lists the
// actions, guards and timers left to implement.
//
// A Machine wraps a *looplab/fsm.FSM and hides its traps: every Fire runs to
// completion on the caller's goroutine (guard, transition, enter actions,
// OnTransition hooks, eventless `then` steps), a nested Fire from inside one
// of them is refused with ErrReentrant instead of deadlocking, a cancelled
// context cannot wedge it, and a self-loop is a success. A Machine is owned by
// one goroutine; it is not safe for concurrent use.
package fsm
