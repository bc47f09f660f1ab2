// Package bench is the benchmark suite behind `wsfsm bench`: wsfsm measured
// side by side with raw gorilla/websocket in the same run, against a server
// that runs in a separate process.
//
// One file per concern: the server process (server.go), CPU pinning and
// file limits (pin.go), throughput, latency (round trip, dial, failover,
// reconnect, abort, close), the state machine's cost, idle connections'
// memory (each set measured in a child process of its own), a reconnect
// storm against a server killed with SIGKILL, a simulation of 1,000,000
// clients replaying the library's own backoff schedule on a virtual clock,
// the plots and the report. Every figure is the median of several rounds,
// reported with its min and max.
package bench
