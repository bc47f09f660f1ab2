// Command wsfsm is a WebSocket client whose connection re-establishes itself,
// a misbehaving test server, and a demo of the wsfsm life cycle.
//
// Usage:
//
//	wsfsm [flags] URL                     connect to a ws:// or wss:// server
//	wsfsm -s ADDR [flags]                 accept WebSocket clients (websocat -s)
//	wsfsm serve [--tls] [ADDR]            run the test server (default 127.0.0.1:8080)
//	wsfsm                                 run the demo (no setup)
//	wsfsm diagram [--format mermaid|dot]  print the state diagram
//	wsfsm version                         print the version
//
// As a client it works like websocat, with websocat's flag names where they
// exist: each line of stdin is sent as a text message (-b: each read as a
// binary message) and each message received is written to stdout, one line
// each. When stdin ends it closes gracefully once no message came for
// --linger (or after --max-messages-rev messages); -n keeps listening. The
// first SIGINT closes gracefully, a second one aborts. Drops are said on
// stderr; -v shows every transition, and --json writes everything to stdout
// as JSON lines. The exit status is 0 when the work is done or the server
// closed with 1000, 1 when the connection ended on its own otherwise, 2 on
// bad usage, 3 when the first dial failed, and 4 when messages were sent on
// a connection that ended without our close handshake. With -s it listens
// and bridges WebSocket clients to stdin and stdout the same way.
//
// The demo runs against an embedded test server on 127.0.0.1 and prints
// every transition of the state machine as it happens: connect, exchange
// messages, a dropped TCP connection and the backoff redial, a forced
// Reconnect, a graceful Close, and a Close against a peer that never answers,
// which is aborted after CloseTimeout.
package main
