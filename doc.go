// Package wsfsm keeps a WebSocket connection alive through its whole life: it
// dials, carries messages, closes politely or cuts the connection off, and dials
// again on a brand-new connection after a backoff.
//
// The life cycle is the state machine of states.yaml, generated into package
// [github.com/wsfsm/wsfsm/fsm] as tables and driven by package
// [github.com/wsfsm/wsfsm/engine] on github.com/looplab/fsm, which holds the
// current state. A [Conn] is that machine with at most one live connection
// from the library's internal transport (I/O over gorilla/websocket, whose
// errors this package re-exports); this package implements the
// built-in actions, guards and timers the YAML names (package
// [github.com/wsfsm/wsfsm/vocab]) and takes its delays from a
// cenkalti/backoff/v4 BackOff (package [github.com/wsfsm/wsfsm/retry]). A spec
// extended in YAML generates a package whose Conn wraps a [ConnOf] of its own
// machine, with the same API and guarantees.
//
// The machine has one owner at a time: API calls, I/O results and timers are
// queued and run one by one, each to completion, and results of an older
// connection are ignored. User code (OnTransition, the actions a spec adds,
// Classify, Endpoint, OnConnect) never runs while the machine is held.
//
// What a caller can rely on:
//
//   - [ConnOf.Send] returns nil only once the whole frame was handed to the
//     kernel on an Open connection. While the connection is being re-established
//     it waits, in call order (bounded by its context and [Options.SendQueue]);
//     after [ConnOf.Close] or [ConnOf.Abort] it returns [ErrClosed]. TCP cannot
//     promise that the peer read a message handed to the kernel just before the
//     connection broke: an application that must not lose one sends
//     acknowledgements, and [Options.Outbox] writes again, first on every new
//     connection, what was not acknowledged ([ConnOf.Deliver]).
//   - [ConnOf.Close] is bounded by [Options.CloseTimeout], and each dial
//     attempt by [Options.HandshakeTimeout], for every spec: the operations
//     carry their own bounds. [ConnOf.Abort] shuts TCP at once; neither ever
//     hangs, nor waits for the observer or for a hook that ignores its ctx.
//   - [ConnOf.Receive] and [ConnOf.Messages] span reconnects and end once the
//     connection is closed and every message already read was handed out.
//   - After Close or Abort return, no goroutine of a connection remains and every
//     file descriptor it opened is closed; [ConnOf.Done] closes once the observer
//     and the spec's own actions returned too.
package wsfsm
