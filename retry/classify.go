package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/closecode"
	"github.com/wsfsm/wsfsm/internal/transport"
)

// Verdict is the retry policy's answer for the error that ended a dial or a
// connection.
type Verdict uint8

// Verdicts. The zero value is Default.
const (
	// Default has no opinion: the next rule decides (see Classifier).
	Default Verdict = iota
	// Retry dials again after the schedule's usual delay.
	Retry
	// Stop dials no more.
	Stop
	// RetryLater dials again after a longer delay, as close code 1013 (Try
	// Again Later) asks; see Schedule.Next.
	RetryLater
)

// String returns the verdict's name, or Verdict(N) for an unknown value.
func (v Verdict) String() string {
	switch v {
	case Default:
		return "Default"
	case Retry:
		return "Retry"
	case Stop:
		return "Stop"
	case RetryLater:
		return "RetryLater"
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// Classify applies the library's rules to err:
//
//   - Retry: network and dial errors, timeouts (transport.ErrHandshakeTimeout,
//     context.DeadlineExceeded), transport.ErrDeadPeer,
//     transport.ErrCloseTimeout, a local abort (transport.ErrAborted), HTTP
//     408, 429 and 5xx, close codes 1001, 1005 (no code), 1006, 1011, 1012,
//     1014, and errors it does not know.
//   - RetryLater: close code 1013 (Try Again Later).
//   - Stop: nil, transport.ErrBadURL, transport.ErrBadConfig, TLS certificate
//     errors, other refused upgrades (400, 401, 403, 404, any other status),
//     close codes 1000, 1002, 1003, 1007-1010, other 1xxx and 3000-3999,
//     transport.ErrMessageTooBig, transport.ErrProtocol, context.Canceled.
//   - Default: close codes 4000-4999, which belong to the application (see
//     Classifier).
//
// A *transport.HandshakeError or a close error (*transport.CloseError or
// gorilla's *websocket.CloseError) anywhere in err's chain decides before
// the sentinels do: the peer's word wins.
func Classify(err error) Verdict {
	if err == nil {
		return Stop
	}
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		return classifyStatus(he.StatusCode)
	}
	if code, ok := closeCode(err); ok {
		return classifyCode(code)
	}
	switch {
	case errors.Is(err, transport.ErrBadURL), errors.Is(err, transport.ErrBadConfig),
		errors.Is(err, transport.ErrMessageTooBig), errors.Is(err, transport.ErrProtocol),
		errors.Is(err, context.Canceled), isCertError(err):
		return Stop
	}
	return Retry
}

func classifyStatus(status int) Verdict {
	switch {
	case status == 408, status == 429, status >= 500 && status <= 599:
		return Retry
	}
	return Stop
}

// classifyCode is what the close code table says about dialing again.
func classifyCode(code int) Verdict {
	switch closecode.Of(code).Retry {
	case closecode.Again:
		return Retry
	case closecode.Later:
		return RetryLater
	case closecode.App:
		return Default
	}
	return Stop
}

// closeCode is the code of the close error in err's chain (the transport's,
// else gorilla's), and whether there is one.
func closeCode(err error) (int, bool) {
	var ce *transport.CloseError
	if errors.As(err, &ce) {
		return ce.Code, true
	}
	var gce *websocket.CloseError
	if errors.As(err, &gce) {
		return gce.Code, true
	}
	return 0, false
}

// isCertError reports TLS failures that retrying cannot fix: our
// verification of the server, the server's refusal of our certificate, or
// a server that does not speak TLS.
func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) ||
		errors.As(err, &ci) || errors.As(err, &rh) {
		return true
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		switch alert {
		case 42, 43, 44, 45, 46, 48, 116: // certificate alerts (RFC 8446 6.2)
			return true
		}
	}
	// crypto/tls reports the peer's alerts as a *net.OpError "remote
	// error" around an unexported alert type; its certificate alerts all
	// say "certificate".
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error" && op.Err != nil &&
		strings.Contains(op.Err.Error(), "certificate")
}

// Classifier is an application's hook: it returns a Verdict for err, or
// Default to leave err to Classify. A nil Classifier is valid and decides
// nothing.
type Classifier func(err error) Verdict

// Classify asks the hook first (if c is not nil), then the package's
// Classify; a Default left after both (close codes 4000-4999 the hook did
// not decide) is Stop. A value the hook returns that is not one of the
// Verdict constants counts as Default. It returns Retry, Stop or RetryLater,
// never Default.
func (c Classifier) Classify(err error) Verdict {
	if c != nil {
		switch v := c(err); v {
		case Retry, Stop, RetryLater:
			return v
		}
	}
	if v := Classify(err); v != Default {
		return v
	}
	return Stop
}
