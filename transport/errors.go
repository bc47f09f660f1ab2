package transport

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Sentinel errors, matchable with errors.Is.
var (
	// ErrBadURL reports a URL that cannot be dialed; it is wrapped with the
	// URL and the reason (scheme not ws/wss, no host, parse error).
	ErrBadURL = errors.New("transport: bad URL")
	// ErrBadConfig reports a DialConfig that cannot work, such as a request
	// header gorilla must set itself.
	ErrBadConfig = errors.New("transport: bad dial configuration")
	// ErrHandshakeTimeout reports a dial (TCP, TLS, HTTP upgrade) that did
	// not finish within DialConfig.HandshakeTimeout.
	ErrHandshakeTimeout = errors.New("transport: handshake timed out")
	// ErrAborted reports a link ended by a local Abort (or AbortCause, whose
	// cause is wrapped alongside).
	ErrAborted = errors.New("transport: connection aborted")
	// ErrDeadPeer reports a peer that sent nothing within the pong timeout
	// after a ping.
	ErrDeadPeer = errors.New("transport: peer did not answer keepalive in time")
	// ErrCloseTimeout reports a peer that did not answer our close frame
	// within the close timeout; the link was aborted.
	ErrCloseTimeout = errors.New("transport: peer did not answer the close frame in time")
	// ErrMessageTooBig reports a received message over the read limit; the
	// peer was sent close code 1009.
	ErrMessageTooBig = errors.New("transport: message exceeds read limit")
	// ErrProtocol reports a frame that breaks RFC 6455; the peer was sent
	// close code 1002.
	ErrProtocol = errors.New("transport: protocol error")
)

// MaxBodyBytes is how much of a refused upgrade's body HandshakeError keeps.
const MaxBodyBytes = 1024

// HandshakeError reports that the server answered the HTTP upgrade with
// something other than 101 Switching Protocols.
type HandshakeError struct {
	StatusCode int           // HTTP status of the refusal
	RetryAfter time.Duration // parsed Retry-After (seconds or HTTP-date); 0 if absent or invalid
	Header     http.Header   // response headers
	Body       []byte        // at most MaxBodyBytes of the response body
}

// Error describes the refusal.
func (e *HandshakeError) Error() string {
	s := "transport: server refused upgrade: " + strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

// Unwrap returns websocket.ErrBadHandshake.
func (e *HandshakeError) Unwrap() error { return websocket.ErrBadHandshake }

// CloseError is the peer's close frame, or Code 1006 (websocket.CloseAbnormalClosure)
// when TCP closed with no close frame received.
type CloseError struct {
	Code   int    // close code; 1005 when the frame carried none, 1006 when there was no frame
	Reason string // the peer's reason text
}

// Error describes the close.
func (e *CloseError) Error() string {
	if e.Code == websocket.CloseAbnormalClosure {
		return "transport: connection closed without a close frame (1006)"
	}
	s := "transport: peer closed with code " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		s += " (" + strconv.Quote(e.Reason) + ")"
	}
	return s
}

// DialError reports a network-level failure while dialing URL: TCP connect,
// TLS handshake, or the connection breaking during the HTTP upgrade.
type DialError struct {
	URL string
	Err error
}

// Error describes the failure.
func (e *DialError) Error() string { return "transport: dial " + e.URL + ": " + e.Err.Error() }

// Unwrap returns the underlying error (*net.OpError, TLS errors, ...).
func (e *DialError) Unwrap() error { return e.Err }

// abortError is what a reader or writer reports after AbortCause(cause): it
// matches both ErrAborted and cause.
type abortError struct{ cause error }

func (e *abortError) Error() string {
	return "transport: connection aborted: " + strings.TrimPrefix(e.cause.Error(), "transport: ")
}

func (e *abortError) Unwrap() []error { return []error{ErrAborted, e.cause} }

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date.
// It returns 0 when absent, invalid or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
