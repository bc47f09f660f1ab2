// Package transport does the I/O of one WebSocket link over
// github.com/gorilla/websocket: it dials a brand-new connection per attempt
// (through any dialer and proxy, with TLS), runs one reader goroutine with
// backpressure, serializes writes bounded by progress, watches the peer with
// pings, closes politely until told to stop, or cuts TCP at once.
//
// It guards what gorilla reads: a bounded handshake response, close frames
// and payload lengths RFC 6455 forbids, text that is not UTF-8 (each failed
// with the right close code and an error that says why). It knows nothing of
// the state machine that drives it, nor of the retry policy (package retry):
// each call does its I/O and reports what happened.
package transport
