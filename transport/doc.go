// Package transport does the I/O of one WebSocket link over
// github.com/gorilla/websocket: it dials a brand-new connection per attempt,
// closes it politely within a bound or cuts TCP at once, runs one reader
// goroutine with backpressure, serializes writes and watches the peer with
// pings.
//
// It also computes the retry policy: Classify turns an error into a verdict
// (retry, stop, retry later) and a Schedule turns failures into backoff
// delays with full jitter, a reset only after a stable connection and
// Retry-After floors. It knows nothing of the state machine that drives it.
package transport
