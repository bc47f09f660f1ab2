// Package wsfsm keeps a WebSocket connection alive through its whole life: it
// dials, carries messages, closes politely or cuts the connection off, and dials
// again on a brand-new connection after a backoff.
//
// The life cycle is the state machine of states.yaml, generated into package
// [github.com/wsfsm/wsfsm/fsm]; a [Conn] owns one such machine and at most one
// live connection from package [github.com/wsfsm/wsfsm/transport]. The machine
// has one owner at a time: API calls, I/O results and timers are queued and run
// one by one, each to completion, and events from an older connection are
// ignored. No goroutine waits on that queue: whoever posts into an idle queue
// runs it, so an idle Open Conn holds one goroutine, its reader.
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
