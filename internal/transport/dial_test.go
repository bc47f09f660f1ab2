package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

func TestDialRefusedUpgrade(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		path       string
		status     int
		retryAfter time.Duration // exact, or a lower bound for HTTP-dates
	}{
		{"/reject/503", 503, 2 * time.Second},
		{"/reject/429?retry_after=7", 429, 7 * time.Second},
		{"/reject/429?retry_after=" + url.QueryEscape(date), 429, 80 * time.Second},
		{"/reject/403", 403, 0},
		{"/reject/404", 404, 0},
		{"/reject/500", 500, 0},
		{"/nowhere", 404, 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			checkFDs(t)
			s := newServer(t)
			_, err := Dial(testCtx(t), s.URL(tc.path), DialConfig{})
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("Dial = %v, want *HandshakeError", err)
			}
			if !errors.Is(err, websocket.ErrBadHandshake) {
				t.Error("HandshakeError does not unwrap to websocket.ErrBadHandshake")
			}
			if he.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", he.StatusCode, tc.status)
			}
			if strings.Contains(tc.path, "GMT") {
				if he.RetryAfter < tc.retryAfter || he.RetryAfter > 90*time.Second {
					t.Errorf("RetryAfter = %v from an HTTP-date 90 s ahead", he.RetryAfter)
				}
			} else if he.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", he.RetryAfter, tc.retryAfter)
			}
			if len(he.Body) == 0 || len(he.Body) > maxBodyBytes {
				t.Errorf("Body has %d bytes, want 1..%d", len(he.Body), maxBodyBytes)
			}
		})
	}
}

func TestDialBodyIsCappedAt1KiB(t *testing.T) {
	checkFDs(t)
	srv := testkit.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(strings.Repeat("x", 10_000)))
	}))
	_, err := Dial(testCtx(t), srv, DialConfig{})
	var he *HandshakeError
	if !errors.As(err, &he) || len(he.Body) != maxBodyBytes {
		t.Fatalf("Dial = %v (body %d bytes), want a HandshakeError with %d bytes", err, len(bodyOf(he)), maxBodyBytes)
	}
}

func bodyOf(he *HandshakeError) []byte {
	if he == nil {
		return nil
	}
	return he.Body
}

func TestDialNotListening(t *testing.T) {
	checkFDs(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(testCtx(t), "ws://"+addr+"/echo", DialConfig{})
	var de *DialError
	if !errors.As(err, &de) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial = %v, want *DialError wrapping ECONNREFUSED", err)
	}
	if de.URL != "ws://"+addr+"/echo" {
		t.Errorf("DialError.URL = %q", de.URL)
	}
}

func TestDialTLS(t *testing.T) {
	checkFDs(t)
	s := wstest.NewTLSServer()
	t.Cleanup(s.Close)

	l := dial(t, s.URL("/echo"), DialConfig{TLSConfig: s.ClientTLSConfig()})
	if _, ok := l.NetConn().(*net.TCPConn); !ok {
		t.Errorf("NetConn() under TLS is %T, want the raw *net.TCPConn", l.NetConn())
	}
	msgs, _ := reader(l)
	if err := l.WriteMessage(testCtx(t), websocket.TextMessage, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, msgs, "echo over TLS"); string(m.Data) != "secret" {
		t.Errorf("echo = %q", m.Data)
	}
	res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
	if err != nil || !res.Completed {
		t.Errorf("Close over TLS = %+v, %v", res, err)
	}

	_, err = Dial(testCtx(t), s.URL("/echo"), DialConfig{})
	var de *DialError
	if !errors.As(err, &de) || !isCertError(err) {
		t.Fatalf("Dial without trusting the cert = %v, want a *DialError with a certificate error", err)
	}
}

func TestDialCancelledDuringUpgrade(t *testing.T) {
	checkFDs(t)
	bh := wstest.NewBlackHole()
	t.Cleanup(bh.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once TCP is connected: gorilla then waits for an HTTP
	// response that never comes.
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true); cancel() },
	})
	done := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, bh.URL("/"), DialConfig{HandshakeTimeout: -1})
		done <- err
	}()
	err := recv(t, done, "cancelled Dial to return")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want context.Canceled", err)
	}
	if !connected.Load() {
		t.Error("Dial never reached the HTTP upgrade")
	}
}

func TestDialHandshakeTimeout(t *testing.T) {
	checkFDs(t)
	bh := wstest.NewBlackHole()
	t.Cleanup(bh.Close)
	_, err := Dial(testCtx(t), bh.URL("/"), DialConfig{HandshakeTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrHandshakeTimeout) {
		t.Fatalf("Dial = %v, want ErrHandshakeTimeout", err)
	}
}

func TestDialBadInput(t *testing.T) {
	for _, tc := range []struct {
		url    string
		header http.Header
		protos []string
		want   error
	}{
		{"http://127.0.0.1/", nil, nil, ErrBadURL},
		{"ws:///path", nil, nil, ErrBadURL},
		{"ws://user:pw@127.0.0.1/", nil, nil, ErrBadURL},
		{"ws://[::1", nil, nil, ErrBadURL},
		{"ws://127.0.0.1:1/", http.Header{"Sec-WebSocket-Key": {"x"}}, nil, ErrBadConfig},
		// gorilla refuses both, as a plain error: a configuration error,
		// not a failed dial to retry.
		{"ws://127.0.0.1:1/", http.Header{"Sec-WebSocket-Protocol": {"x"}}, []string{"y"}, ErrBadConfig},
	} {
		_, err := Dial(context.Background(), tc.url, DialConfig{Header: tc.header, Subprotocols: tc.protos})
		if !errors.Is(err, tc.want) {
			t.Errorf("Dial(%q) = %v, want %v", tc.url, err, tc.want)
		}
	}
}

func TestDialProxy(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	// nil Proxy ignores the environment.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	dial(t, s.URL("/echo"), DialConfig{})

	// A configured Proxy is consulted.
	boom := errors.New("no proxy for you")
	_, err := Dial(testCtx(t), s.URL("/echo"), DialConfig{
		Proxy: func(*http.Request) (*url.URL, error) { return nil, boom },
	})
	if !errors.Is(err, boom) {
		t.Errorf("Dial with failing Proxy = %v, want its error", err)
	}
}

func TestDialSendsHeader(t *testing.T) {
	checkFDs(t)
	got := make(chan string, 1)
	srv := testkit.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	_, _ = Dial(testCtx(t), srv, DialConfig{Header: http.Header{"Authorization": {"Bearer t1"}}})
	if h := recv(t, got, "request header"); h != "Bearer t1" {
		t.Errorf("server saw Authorization %q", h)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-3":                            0,
		"120":                           2 * time.Minute,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:05:05 GMT": time.Minute,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0, // in the past
		"99999999":                      24 * time.Hour,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// isCertError reports a TLS certificate verification failure.
func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	return errors.As(err, &cv) || errors.As(err, &ua)
}
