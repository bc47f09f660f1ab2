// Package engine moves the state machines that package gen generates: one
// hand-written runtime for the reference machine of states.yaml and for every
// machine a user extends from it.
//
// A [Spec] is a machine as data (states, events, the transition table, enter
// and exit actions, per-state timers, eventless `then` choices), emitted by
// the generator. A [Machine] drives one Spec on github.com/looplab/fsm, which
// holds the current state and decides which transitions are legal; the engine
// adds what looplab/fsm lacks: run-to-completion (work is queued and run one
// item at a time, each to completion, on whichever goroutine posted into an
// idle queue), guards evaluated before a transition, enter and exit actions,
// the `then` choice, and one way to drop stale work: every entry into a state
// has an epoch, and work posted for an entry already left ([Machine.PostAt],
// a state's timer) is dropped.
//
// The owner of a Machine supplies what the names in the Spec mean through
// [Hooks]: it decides guards and, once per transition, runs the exit and
// enter actions, gives the entered state's timer duration and hears about
// the transition. Callbacks run inside the machine and must not block
// or fire events themselves: they post work instead, which runs after the
// current item.
package engine
