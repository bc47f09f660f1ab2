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
	// ErrCloseTimeout is the cause a caller gives AbortCause when the peer
	// did not answer its close frame in time. Close has no timer of its
	// own: it ends when its ctx does or when the link is aborted.
	ErrCloseTimeout = errors.New("transport: peer did not answer the close frame in time")
	// ErrMessageTooBig reports a received message over the read limit; the
	// peer was sent close code 1009.
	ErrMessageTooBig = errors.New("transport: message exceeds read limit")
	// ErrProtocol reports a frame or message that breaks RFC 6455; the peer
	// was sent close code 1002 (1007 for ErrInvalidUTF8, which also matches
	// ErrProtocol).
	ErrProtocol = errors.New("transport: protocol error")
	// ErrInvalidUTF8 reports a text message that is not valid UTF-8 (RFC
	// 6455 8.1); the peer was sent close code 1007. An error matching it
	// also matches ErrProtocol.
	ErrInvalidUTF8 = errors.New("transport: invalid UTF-8 in a text message")
	// errBadHandshakeResponse reports a handshake response that is not a
	// valid WebSocket upgrade although it may say 101 (no Upgrade or
	// Connection token, a wrong Sec-WebSocket-Accept, a subprotocol or an
	// extension that was not offered, a permessage-deflate parameter that
	// was not offered or is not defined) or whose head exceeds
	// maxHandshakeHeaderBytes. It comes as a *HandshakeError with Reason
	// set.
	errBadHandshakeResponse = errors.New("transport: invalid handshake response")
	// errReaderRunning reports a ReadMessage on a link whose reader was
	// started (StartReader), or while another ReadMessage is in progress.
	errReaderRunning = errors.New("transport: the link already has a reader")
)

// maxBodyBytes is how much of a refused upgrade's body HandshakeError keeps.
const maxBodyBytes = 1024

// HandshakeError reports that the server did not upgrade the connection:
// it answered with a status other than 101 Switching Protocols (Reason is
// empty), or its response was not a valid upgrade (Reason says why; the
// error then also matches errBadHandshakeResponse).
type HandshakeError struct {
	StatusCode int           // HTTP status of the response; 0 if its head could not be read
	RetryAfter time.Duration // parsed Retry-After (seconds or HTTP-date); 0 if absent or invalid
	Header     http.Header   // response headers (nil if they could not be read)
	Body       []byte        // at most maxBodyBytes of the response body
	Reason     string        // why a response was not a valid upgrade; "" for a refusal
}

// Error describes the refusal or the invalid response.
func (e *HandshakeError) Error() string {
	status := strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	if e.Reason != "" {
		if e.StatusCode == 0 {
			return "transport: invalid handshake response: " + e.Reason
		}
		return "transport: invalid handshake response (" + status + "): " + e.Reason
	}
	s := "transport: server refused upgrade: " + status
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

// Unwrap returns websocket.ErrBadHandshake, and errBadHandshakeResponse
// when Reason is set.
func (e *HandshakeError) Unwrap() []error {
	if e.Reason != "" {
		return []error{websocket.ErrBadHandshake, errBadHandshakeResponse}
	}
	return []error{websocket.ErrBadHandshake}
}

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

// protocolError is a violation of RFC 6455 that this package found and
// answered with a close frame (gorilla answers the ones it finds itself).
type protocolError struct {
	code   int    // the close code sent: 1002, or 1007 for invalid UTF-8
	reason string // what the peer did
}

func (e *protocolError) Error() string {
	return "transport: protocol error: " + e.reason + " (sent close " + strconv.Itoa(e.code) + ")"
}

func (e *protocolError) Unwrap() []error {
	if e.code == websocket.CloseInvalidFramePayloadData {
		return []error{ErrProtocol, ErrInvalidUTF8}
	}
	return []error{ErrProtocol}
}

// opError is an error of one operation ("read", "write", "close"): its text
// names the package once, however many layers of this package's errors it
// wraps.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "transport: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "transport: ")
}

func (e *opError) Unwrap() error { return e.err }

func opErr(op string, err error) error {
	if oe, ok := err.(*opError); ok && oe.op == op {
		return err // already says so (a terminal error of the reader's, say)
	}
	return &opError{op: op, err: err}
}

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
