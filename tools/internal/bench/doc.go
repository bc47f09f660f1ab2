// Package bench is the benchmark suite behind tools/cmd/bench: wsfsm measured
// side by side with raw gorilla/websocket in the same run, against a server
// that runs in a separate process, and a fleet of clients measured against
// the published backoff strategies.
//
// One file per concern: the server process (server.go, with a busy mode
// that answers 503 and Retry-After), how a child process is started
// (child.go), CPU pinning and file limits (pin.go),
// throughput sent and received (receive.go, with the server's source of
// pre-encoded frames), latency (round trip, dial, reconnect), failover beside a
// hand-written gorilla reconnect loop (failover.go), abort beside gorilla's
// Close and graceful close (close.go), the state machine's cost, idle
// connections' memory (each set measured in a child process of its own),
// the strategies compared (strategy.go), a simulation of 1,000,000 clients
// running the real retry.Schedule on a virtual clock against refused,
// black-holed and accept-then-drop outages (sim.go), the outage study over
// kinds and held-out lengths with its regret and dominance verdicts
// (study.go) and the schedule that learns how long the outage has lasted,
// which lost it (elapsed.go), a reconnect
// storm against a server killed with SIGKILL (storm.go), the fleet figures
// and their goal (fleet.go), the plots, the report (report.go) and its table
// (table.go). Every figure is the median of several rounds, reported with
// its min and max.
package bench
