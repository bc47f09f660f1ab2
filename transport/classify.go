package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"
)

// Verdict is the retry policy's answer for one error.
type Verdict uint8

// Verdicts.
const (
	Default    Verdict = iota // no opinion: the next rule decides
	Retry                     // dial again after the usual backoff
	Stop                      // do not dial again
	RetryLater                // dial again after a longer wait (close 1013, Try Again Later)
)

// String returns the verdict's name.
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

// Classify applies the defaults of the design to err:
//
//   - Retry: network and dial errors, timeouts (ErrHandshakeTimeout,
//     context.DeadlineExceeded), ErrDeadPeer, ErrCloseTimeout, a local
//     abort, HTTP 408, 429 and 5xx, close codes 1001, 1005 (no code), 1006,
//     1011, 1012, 1014, and errors it does not know.
//   - RetryLater: close code 1013 (Try Again Later).
//   - Stop: nil, ErrBadURL, ErrBadConfig, TLS certificate errors, other
//     refused upgrades (400, 401, 403, 404, any other status), close codes
//     1000, 1002, 1003, 1007-1010, other 1xxx and 3000-3999,
//     ErrMessageTooBig, ErrProtocol, context.Canceled.
//   - Default: close codes 4000-4999, which belong to the application (see
//     Classifier).
func Classify(err error) Verdict {
	if err == nil {
		return Stop
	}
	var he *HandshakeError
	if errors.As(err, &he) {
		return classifyStatus(he.StatusCode)
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return classifyCode(ce.Code)
	}
	var gce *websocket.CloseError
	if errors.As(err, &gce) {
		return classifyCode(gce.Code)
	}
	switch {
	case errors.Is(err, ErrBadURL), errors.Is(err, ErrBadConfig),
		errors.Is(err, ErrMessageTooBig), errors.Is(err, ErrProtocol),
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

func classifyCode(code int) Verdict {
	switch {
	case code == websocket.CloseTryAgainLater:
		return RetryLater
	case code == websocket.CloseGoingAway, code == websocket.CloseNoStatusReceived,
		code == websocket.CloseAbnormalClosure, code == websocket.CloseInternalServerErr,
		code == websocket.CloseServiceRestart, code == 1014:
		return Retry
	case code >= 4000 && code <= 4999:
		return Default
	}
	return Stop
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

// Classifier is an application hook: it returns a Verdict for err, or
// Default to fall back to Classify.
type Classifier func(err error) Verdict

// Classify asks the hook first (if c is not nil), then Classify; a Default
// left after both (close codes 4000-4999 the hook did not decide) is Stop.
func (c Classifier) Classify(err error) Verdict {
	if c != nil {
		if v := c(err); v != Default {
			return v
		}
	}
	if v := Classify(err); v != Default {
		return v
	}
	return Stop
}
