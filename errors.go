package wsfsm

import (
	"errors"

	"github.com/wsfsm/wsfsm/transport"
)

// ErrClosed is returned by Send, Receive, Close and Reconnect once the Conn was
// closed or aborted. When the connection ended on its own, the returned error
// also wraps the cause, so errors.As finds a *CloseError or *HandshakeError.
var ErrClosed = errors.New("wsfsm: connection closed")

// ErrQueueFull is returned by Send when the connection is not Open and
// Options.SendQueue sends are already waiting for it.
var ErrQueueFull = errors.New("wsfsm: send queue full")

// ErrReconnectRequested is the cause of the abort that Reconnect starts.
var ErrReconnectRequested = errors.New("wsfsm: reconnect requested")

// ErrAbortRequested is the cause of the abort that Abort, or a Close whose
// context ended, starts.
var ErrAbortRequested = errors.New("wsfsm: abort requested")

// ErrCloseRequested is the cause of the Open to Closing transition that Close
// starts.
var ErrCloseRequested = errors.New("wsfsm: close requested")

// ErrAttemptsExhausted is the cause of the final stop once Options.MaxAttempts
// redials since the backoff last reset were spent.
var ErrAttemptsExhausted = errors.New("wsfsm: dial attempts exhausted")

// Errors reported by the transport, re-exported so callers need not import it.
var (
	// ErrBadURL: the URL is not a ws:// or wss:// URL with a host.
	ErrBadURL = transport.ErrBadURL
	// ErrHandshakeTimeout: the dial and upgrade took longer than HandshakeTimeout.
	ErrHandshakeTimeout = transport.ErrHandshakeTimeout
	// ErrCloseTimeout: the peer did not answer the close frame within CloseTimeout.
	ErrCloseTimeout = transport.ErrCloseTimeout
	// ErrDeadPeer: no pong or other frame arrived within PongTimeout of a ping.
	ErrDeadPeer = transport.ErrDeadPeer
	// ErrMessageTooBig: the peer sent a message larger than ReadLimit.
	ErrMessageTooBig = transport.ErrMessageTooBig
)

// CloseError is the peer's close frame: its code and reason. Code 1006 means the
// TCP connection closed without a close frame.
type CloseError = transport.CloseError

// HandshakeError is a refused upgrade: the HTTP status, the parsed Retry-After
// and the start of the body.
type HandshakeError = transport.HandshakeError

// closedError wraps ErrClosed together with the cause that ended the Conn.
func closedError(cause error) error {
	if cause == nil {
		return ErrClosed
	}
	return &finalError{cause: cause}
}

// finalError is ErrClosed with the cause that ended the connection.
type finalError struct{ cause error }

func (e *finalError) Error() string   { return ErrClosed.Error() + ": " + e.cause.Error() }
func (e *finalError) Unwrap() []error { return []error{ErrClosed, e.cause} }
