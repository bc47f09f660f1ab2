// Command wsfsm shows the life cycle of a wsfsm connection.
//
// With no arguments it runs a demo against an embedded test server on
// 127.0.0.1 and prints every transition of the state machine as it happens:
// connect, exchange messages, a dropped TCP connection and the backoff redial,
// a forced Reconnect, a graceful Close, and a Close against a peer that never
// answers, which is aborted after CloseTimeout.
//
// Usage:
//
//	wsfsm                                 run the demo (no setup)
//	wsfsm [flags] URL                     connect to a ws:// or wss:// server
//	wsfsm serve [ADDR]                    run the test server (default 127.0.0.1:8080)
//	wsfsm diagram [--format mermaid|dot]  print the state diagram
//	wsfsm bench [-quick] [-json FILE] [-svg DIR]  benchmark against raw gorilla
//
// As a client it works like websocat: each line of stdin is sent as a text
// message, received messages go to stdout and transitions to stderr (or,
// with --json, everything to stdout as JSON lines). End of stdin or the first
// SIGINT closes gracefully; a second SIGINT aborts. The exit status is 0 when
// the connection ended because the user asked, 1 when it ended on its own and
// 2 on bad usage.
package main
