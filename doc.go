// Package wsfsm keeps a WebSocket connection alive through its whole life: it
// dials, carries messages, closes politely or cuts the connection off, and dials
// again on a brand-new connection after a backoff.
//
// The life cycle is the state machine of states.yaml, generated into package
// [github.com/wsfsm/wsfsm/fsm]; a [Conn] owns one such machine and at most one
// live connection from package [github.com/wsfsm/wsfsm/transport]. One goroutine
// owns the machine: API calls, I/O results and timers are queued to it and run to
// completion, and events from an older connection are ignored.
//
// What a caller can rely on:
//
//   - [Conn.Send] returns nil only once the whole frame was handed to the kernel on
//     an Open connection. While the connection is being re-established it waits
//     (bounded by its context and [Options.SendQueue]); after [Conn.Close] or
//     [Conn.Abort] it returns [ErrClosed]. TCP cannot promise that the peer read a
//     message that was handed to the kernel just before the connection broke.
//   - [Conn.Close] is bounded by [Options.CloseTimeout]; [Conn.Abort] shuts TCP at
//     once; neither ever hangs.
//   - [Conn.Receive] spans reconnects and returns [ErrClosed] once the connection
//     is closed and every message already read was handed out.
//   - After Close or Abort return, no goroutine of the Conn remains and every file
//     descriptor it opened is closed.
package wsfsm
