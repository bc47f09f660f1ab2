package retry_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
)

// aborted is what a link reports after AbortCause(cause): it matches both
// transport.ErrAborted and cause.
func aborted(cause error) error { return fmt.Errorf("%w: %w", transport.ErrAborted, cause) }

func TestClassifyTable(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want retry.Verdict
	}{
		{"nil", nil, retry.Stop},
		{"dial error", &transport.DialError{URL: "ws://x", Err: netErr}, retry.Retry},
		{"read error", fmt.Errorf("transport: read: %w", io.ErrUnexpectedEOF), retry.Retry},
		{"handshake timeout", fmt.Errorf("x: %w", transport.ErrHandshakeTimeout), retry.Retry},
		{"deadline", context.DeadlineExceeded, retry.Retry},
		{"dead peer", aborted(transport.ErrDeadPeer), retry.Retry},
		{"close timeout", aborted(transport.ErrCloseTimeout), retry.Retry},
		{"local abort", transport.ErrAborted, retry.Retry},
		{"unknown", errors.New("something odd"), retry.Retry},
		{"cancelled", context.Canceled, retry.Stop},
		{"bad URL", fmt.Errorf("%w: x", transport.ErrBadURL), retry.Stop},
		{"bad config", transport.ErrBadConfig, retry.Stop},
		{"too big", transport.ErrMessageTooBig, retry.Stop},
		{"protocol", fmt.Errorf("%w: bad opcode", transport.ErrProtocol), retry.Stop},
		{"unknown CA", &transport.DialError{Err: x509.UnknownAuthorityError{}}, retry.Stop},
		{"hostname", &transport.DialError{Err: x509.HostnameError{Host: "x"}}, retry.Stop},
		{"remote cert alert", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, retry.Stop},
		{"gorilla close 1012", &websocket.CloseError{Code: 1012}, retry.Retry},
		{"gorilla close 1013", &websocket.CloseError{Code: 1013}, retry.RetryLater},
		// The peer's word wins over a local error wrapped beside it.
		{"close 1008 beside an abort", fmt.Errorf("%w: %w", transport.ErrAborted, &transport.CloseError{Code: 1008}), retry.Stop},
		{"503 wrapped", fmt.Errorf("dial: %w", &transport.HandshakeError{StatusCode: 503}), retry.Retry},
	} {
		if got := retry.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}

	statuses := map[int]retry.Verdict{
		400: retry.Stop, 401: retry.Stop, 403: retry.Stop, 404: retry.Stop, 409: retry.Stop,
		302: retry.Stop, 200: retry.Stop, 101: retry.Stop,
		408: retry.Retry, 429: retry.Retry, 500: retry.Retry, 502: retry.Retry, 503: retry.Retry,
		504: retry.Retry, 599: retry.Retry, 600: retry.Stop,
	}
	for status, want := range statuses {
		if got := retry.Classify(&transport.HandshakeError{StatusCode: status}); got != want {
			t.Errorf("Classify(HTTP %d) = %v, want %v", status, got, want)
		}
	}

	codes := map[int]retry.Verdict{
		1000: retry.Stop, 1001: retry.Retry, 1002: retry.Stop, 1003: retry.Stop, 1005: retry.Retry,
		1006: retry.Retry, 1007: retry.Stop, 1008: retry.Stop, 1009: retry.Stop, 1010: retry.Stop,
		1011: retry.Retry, 1012: retry.Retry, 1013: retry.RetryLater, 1014: retry.Retry,
		1015: retry.Stop, 3000: retry.Stop, 3999: retry.Stop,
		4000: retry.Default, 4999: retry.Default, 5000: retry.Stop,
	}
	for code, want := range codes {
		if got := retry.Classify(&transport.CloseError{Code: code}); got != want {
			t.Errorf("Classify(close %d) = %v, want %v", code, got, want)
		}
	}
}

func TestClassifierHook(t *testing.T) {
	hook := retry.Classifier(func(err error) retry.Verdict {
		var ce *transport.CloseError
		if !errors.As(err, &ce) {
			return retry.Default
		}
		switch ce.Code {
		case 4001:
			return retry.Retry
		case 4002:
			return retry.RetryLater
		case 1000:
			return retry.Retry // the app wants to come back even after 1000
		case 4003:
			return retry.Verdict(9) // not a verdict: counts as Default
		}
		return retry.Default
	})
	for _, tc := range []struct {
		err  error
		want retry.Verdict
	}{
		{&transport.CloseError{Code: 4001}, retry.Retry},
		{&transport.CloseError{Code: 4002}, retry.RetryLater},
		{&transport.CloseError{Code: 4003}, retry.Stop},
		{&transport.CloseError{Code: 4004}, retry.Stop}, // undecided 4xxx: Stop
		{&transport.CloseError{Code: 1000}, retry.Retry},
		{&transport.CloseError{Code: 1012}, retry.Retry},
		{&transport.CloseError{Code: 1013}, retry.RetryLater},
		{transport.ErrBadURL, retry.Stop},
		{nil, retry.Stop},
	} {
		if got := hook.Classify(tc.err); got != tc.want {
			t.Errorf("hook.Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	var none retry.Classifier
	if got := none.Classify(&transport.CloseError{Code: 4000}); got != retry.Stop {
		t.Errorf("nil Classifier on 4000 = %v, want Stop", got)
	}
	if got := none.Classify(&transport.CloseError{Code: 1006}); got != retry.Retry {
		t.Errorf("nil Classifier on 1006 = %v, want Retry", got)
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[retry.Verdict]string{
		retry.Default: "Default", retry.Retry: "Retry", retry.Stop: "Stop",
		retry.RetryLater: "RetryLater", retry.Verdict(9): "Verdict(9)",
	} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", uint8(v), got, want)
		}
	}
}
