package transport

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
)

func TestClassifyTable(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want Verdict
	}{
		{"nil", nil, Stop},
		{"dial error", &DialError{URL: "ws://x", Err: netErr}, Retry},
		{"read error", fmt.Errorf("transport: read: %w", io.ErrUnexpectedEOF), Retry},
		{"handshake timeout", fmt.Errorf("x: %w", ErrHandshakeTimeout), Retry},
		{"deadline", context.DeadlineExceeded, Retry},
		{"dead peer", &abortError{cause: ErrDeadPeer}, Retry},
		{"close timeout", &abortError{cause: ErrCloseTimeout}, Retry},
		{"local abort", ErrAborted, Retry},
		{"unknown", errors.New("something odd"), Retry},
		{"cancelled", context.Canceled, Stop},
		{"bad URL", fmt.Errorf("%w: x", ErrBadURL), Stop},
		{"bad config", ErrBadConfig, Stop},
		{"too big", ErrMessageTooBig, Stop},
		{"protocol", fmt.Errorf("%w: bad opcode", ErrProtocol), Stop},
		{"unknown CA", &DialError{Err: x509.UnknownAuthorityError{}}, Stop},
		{"remote cert alert", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, Stop},
		{"gorilla close 1012", &websocket.CloseError{Code: 1012}, Retry},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}

	statuses := map[int]Verdict{
		400: Stop, 401: Stop, 403: Stop, 404: Stop, 409: Stop, 302: Stop, 200: Stop,
		408: Retry, 429: Retry, 500: Retry, 502: Retry, 503: Retry, 504: Retry,
	}
	for status, want := range statuses {
		if got := Classify(&HandshakeError{StatusCode: status}); got != want {
			t.Errorf("Classify(HTTP %d) = %v, want %v", status, got, want)
		}
	}

	codes := map[int]Verdict{
		1000: Stop, 1001: Retry, 1002: Stop, 1003: Stop, 1005: Retry, 1006: Retry,
		1007: Stop, 1008: Stop, 1009: Stop, 1010: Stop, 1011: Retry, 1012: Retry,
		1013: RetryLater, 1014: Retry, 1015: Stop, 3000: Stop, 4000: Default, 4999: Default,
	}
	for code, want := range codes {
		if got := Classify(&CloseError{Code: code}); got != want {
			t.Errorf("Classify(close %d) = %v, want %v", code, got, want)
		}
	}
}

func TestClassifierHook(t *testing.T) {
	hook := Classifier(func(err error) Verdict {
		var ce *CloseError
		if errors.As(err, &ce) && ce.Code == 4001 {
			return Retry
		}
		if errors.As(err, &ce) && ce.Code == 1000 {
			return Retry // the app wants to come back even after 1000
		}
		return Default
	})
	for _, tc := range []struct {
		err  error
		want Verdict
	}{
		{&CloseError{Code: 4001}, Retry},
		{&CloseError{Code: 4002}, Stop}, // undecided 4xxx: Stop
		{&CloseError{Code: 1000}, Retry},
		{&CloseError{Code: 1012}, Retry},
		{ErrBadURL, Stop},
	} {
		if got := hook.Classify(tc.err); got != tc.want {
			t.Errorf("hook.Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	var none Classifier
	if got := none.Classify(&CloseError{Code: 4000}); got != Stop {
		t.Errorf("nil Classifier on 4000 = %v, want Stop", got)
	}
	if RetryLater.String() != "RetryLater" || Verdict(9).String() != "Verdict(9)" {
		t.Errorf("Verdict.String: %q %q", RetryLater, Verdict(9))
	}
}
