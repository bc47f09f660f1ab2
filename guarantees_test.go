package wsfsm_test

// Regression tests for the runtime's side of issue 17: every guarantee holds
// for every spec, and for every hook. Each failed before its fix.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// within fails the test unless f returns within d (a safety net: the call is
// expected to return at once; d only keeps a hang from stalling the suite).
func within(t testing.TB, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// Item 8: a hook that calls Abort or Close returns promptly, and the Conn
// ends. Before, the dial's ticket was held across the hooks, and the
// machine could not end with it outstanding: the hook waited for itself.
func TestHooksMayEndTheConn(t *testing.T) {
	srv := newServer(t)
	for _, hook := range []string{"OnConnect", "Endpoint", "Header"} {
		for _, end := range []string{"Abort", "Close"} {
			t.Run(hook+"/"+end, func(t *testing.T) {
				var conn atomic.Pointer[wsfsm.Conn]
				var calls atomic.Int32
				ended := make(chan error, 1)
				endIt := func() {
					if calls.Add(1) != 2 { // the first dial is Dial's; end it on the reconnect
						return
					}
					c := conn.Load()
					if end == "Abort" {
						ended <- c.Abort()
					} else {
						ended <- c.Close(context.Background())
					}
				}
				opts := fastOptions(newRecorder())
				switch hook {
				case "OnConnect":
					opts.OnConnect = func(context.Context, *wsfsm.Setup) error { endIt(); return nil }
				case "Endpoint":
					opts.Endpoint = func(_ context.Context, a wsfsm.DialAttempt) (wsfsm.Endpoint, error) {
						endIt()
						return wsfsm.Endpoint{URL: a.URL}, nil
					}
				case "Header":
					opts.Header = func() http.Header { endIt(); return nil }
				}
				c := dial(t, srv.URL("/echo"), opts)
				conn.Store(c)
				go func() { _ = c.Reconnect(testCtx(t)) }() // ends with ErrClosed
				select {
				case err := <-ended:
					if end == "Close" && err != nil && !errors.Is(err, wsfsm.ErrClosed) {
						t.Logf("Close from %s: %v", hook, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s from %s never returned", end, hook)
				}
				within(t, 10*time.Second, "Done", func() { <-c.Done() })
				if got := c.State(); got != fsm.Closed {
					t.Errorf("state %s, want Closed", got)
				}
			})
		}
	}
}

// Item 8: a dialer that ignores its ctx never holds Abort: Abort returns at
// once, and Done waits for the dialer.
func TestAbortDoesNotWaitForADialerThatIgnoresItsContext(t *testing.T) {
	srv := newServer(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var calls atomic.Int32
	opts := fastOptions(newRecorder())
	opts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if calls.Add(1) > 1 {
			entered <- struct{}{}
			<-release // ignores ctx
		}
		var d net.Dialer
		return d.DialContext(context.Background(), network, addr)
	}
	c := dial(t, srv.URL("/echo"), opts)
	go func() { _ = c.Reconnect(testCtx(t)) }()
	<-entered
	within(t, 5*time.Second, "Abort", func() { _ = c.Abort() })
	select {
	case <-c.Done():
		t.Fatal("Done closed while the dialer still runs")
	default:
	}
	close(release)
	within(t, 10*time.Second, "Done", func() { <-c.Done() })
}
