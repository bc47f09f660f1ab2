package wsfsm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/internal/closecode"
	"github.com/wsfsm/wsfsm/internal/transport"
)

// ErrClosed is returned by Send, Receive, Close and Reconnect once the Conn
// was closed or aborted. When the connection ended on its own, the returned
// error also wraps the cause, so errors.As finds a *CloseError or
// *HandshakeError.
var ErrClosed = errors.New("wsfsm: connection closed")

// ErrQueueFull is returned by Send when no connection is released to Send and
// Options.SendQueue sends are already waiting for one.
var ErrQueueFull = errors.New("wsfsm: send queue full")

// ErrNotOpen is returned by Send with SendNow when no connection is released
// to Send: the message was not written, nothing waits.
var ErrNotOpen = errors.New("wsfsm: no open connection")

// ErrReconnectRequested is the cause of the abort that Reconnect starts.
var ErrReconnectRequested = errors.New("wsfsm: reconnect requested")

// ErrAbortRequested is the cause of the abort that Abort, or a Close whose
// context ended, starts.
var ErrAbortRequested = errors.New("wsfsm: abort requested")

// ErrCloseRequested is the cause of the transition that Close starts.
var ErrCloseRequested = errors.New("wsfsm: close requested")

// ErrAttemptsExhausted is the cause of the final stop once the retry policy
// allows no more redials: Options.MaxAttempts was spent since the backoff
// last reset, or the Options.Backoff strategy returned backoff.Stop.
var ErrAttemptsExhausted = errors.New("wsfsm: dial attempts exhausted")

// ErrBadMessageType is returned by Send, SendNow, Setup.Send and Step.Send
// for a MessageType other than Text and Binary: nothing was written.
var ErrBadMessageType = errors.New("wsfsm: invalid message type")

// ErrBadCloseCode reports a close code or reason that may not be sent: codes
// other than those RFC 6455 (section 7.4.1) lets a client send, 1000-1003,
// 1007-1010 and 3000-4999, or a reason longer than 123 bytes or not UTF-8.
var ErrBadCloseCode = errors.New("wsfsm: bad close code or reason")

// ErrNoExtension reports a generated machine whose spec adds actions, guards
// or timers, dialed without an Extension implementing them.
var ErrNoExtension = errors.New("wsfsm: the spec adds actions, guards or timers: Dial needs an Extension")

// Errors of the outbox (Options.Outbox).
var (
	// ErrOutboxFull is returned by Send when Options.Outbox is full
	// (MaxMessages or MaxBytes) and FailFast is set, or when one message is
	// larger than MaxBytes.
	ErrOutboxFull = errors.New("wsfsm: outbox full")
	// ErrGivenUp is the error of a Receipt whose message the outbox gave
	// up: no acknowledgement came within AckTimeout (GiveUpOnTimeout), or
	// after MaxResends writes again.
	ErrGivenUp = errors.New("wsfsm: message given up")
	// ErrNotTracked is returned by Deliver for a message that
	// OutboxOptions.Track does not recognise, or when the Conn has no
	// outbox: nothing was written.
	ErrNotTracked = errors.New("wsfsm: message not tracked by the outbox")
	// ErrDuplicateID is returned by Send and Deliver for a tracked message
	// whose id is already waiting in the outbox: nothing was written.
	ErrDuplicateID = errors.New("wsfsm: id already in the outbox")
)

// Errors of Fire (and of the event methods of generated packages), wrapped in
// an error that names the event and the state.
var (
	// ErrEventNotAllowed: the current state has no transition for the event,
	// or the library fires that event itself.
	ErrEventNotAllowed = engine.ErrNotAllowed
	// ErrGuardRejected: the event's guard did not allow it.
	ErrGuardRejected = engine.ErrGuardRejected
)

// StateError reports a call the current state cannot serve, such as
// Reconnect in a state that takes neither abort nor redial.
type StateError struct {
	Op    string // the method: "reconnect"
	State string // the state's name
}

func (e *StateError) Error() string { return e.Op + " is not possible in state " + e.State }

// Is makes a StateError match ErrEventNotAllowed.
func (e *StateError) Is(target error) bool { return target == ErrEventNotAllowed }

// Close codes for CloseWith.
const (
	// CloseNormal (1000): the purpose of the connection was fulfilled.
	CloseNormal = closecode.Normal
	// CloseGoingAway (1001): the client is going away (shutting down,
	// navigating away).
	CloseGoingAway = closecode.GoingAway
)

// Errors reported by the transport, re-exported so callers need not import it.
var (
	// ErrBadURL: the URL is not a ws:// or wss:// URL with a host.
	ErrBadURL = transport.ErrBadURL
	// ErrBadConfig: an option cannot work (a header the handshake sets
	// itself, a compression level out of range).
	ErrBadConfig = transport.ErrBadConfig
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
// TCP connection closed without a close frame. It is transport.CloseError:
//
//	type CloseError struct {
//		Code   int    // close code; 1005 when the frame carried none, 1006 when there was no frame
//		Reason string // the peer's reason text
//	}
//
// Match it with errors.As(err, new(*wsfsm.CloseError)).
type CloseError = transport.CloseError

// HandshakeError is an upgrade the server refused, or answered with a
// response that is not a valid upgrade. It is transport.HandshakeError:
//
//	type HandshakeError struct {
//		StatusCode int           // HTTP status of the response; 0 if its head could not be read
//		RetryAfter time.Duration // parsed Retry-After (seconds or HTTP-date); 0 if absent or invalid
//		Header     http.Header   // response headers (nil if they could not be read)
//		Body       []byte        // the start of the response body
//		Reason     string        // why a response was not a valid upgrade; "" for a refusal
//	}
//
// Match it with errors.As(err, new(*wsfsm.HandshakeError)).
type HandshakeError = transport.HandshakeError

// TimerError is the cause carried by the event of a timer that the spec adds
// (a built-in timer's cause is ErrHandshakeTimeout or ErrCloseTimeout).
type TimerError struct{ Timer string }

func (e *TimerError) Error() string { return "wsfsm: timer " + e.Timer + " expired" }

// closedError wraps ErrClosed together with the cause that ended the Conn.
func closedError(cause error) error {
	if cause == nil {
		return ErrClosed
	}
	return &finalError{cause: cause}
}

// finalError is ErrClosed with the cause that ended the connection.
type finalError struct{ cause error }

func (e *finalError) Error() string   { return ErrClosed.Error() + ": " + trimPrefix(e.cause.Error()) }
func (e *finalError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// opError is the error of an exported call: the call, then what went wrong,
// wrapped once (see wrap).
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "wsfsm: " + e.op + ": " + trimPrefix(e.err.Error()) }
func (e *opError) Unwrap() error { return e.err }

// trimPrefix drops a leading "wsfsm: " so that wrapped messages never stutter.
func trimPrefix(s string) string { return strings.TrimPrefix(s, "wsfsm: ") }

// wrap wraps *err, if any, with the exported call it came from, once.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = &opError{op: fmt.Sprintf(format, args...), err: *err}
	}
}

// redact returns rawURL without user info, query and fragment: those often
// carry secrets, and never reach an error or a log line.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// checkClose validates what CloseWith would send.
func checkClose(code int, reason string) error {
	if !closecode.Of(code).ClientMay {
		return fmt.Errorf("%w: code %d (use %s)", ErrBadCloseCode, code, closecode.ClientMayRanges())
	}
	if err := closecode.CheckReason(reason); err != nil {
		return fmt.Errorf("%w: reason is %v", ErrBadCloseCode, err)
	}
	return nil
}
