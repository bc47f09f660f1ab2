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
	"github.com/wsfsm/wsfsm/internal/testspecs/handshake"
	"github.com/wsfsm/wsfsm/internal/wsfsmtest"
)

// within returns f's error, or fails the test if f did not return within d
// (a bound the call must meet, or a safety net for one expected at once).
func within(t testing.TB, d time.Duration, what string, f func() error) error {
	t.Helper()
	res := make(chan error, 1)
	go func() { res <- f() }()
	select {
	case err := <-res:
		return err
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
		return nil
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
				within(t, 10*time.Second, "Done", func() error { <-c.Done(); return nil })
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
	within(t, 5*time.Second, "Abort", c.Abort)
	select {
	case <-c.Done():
		t.Fatal("Done closed while the dialer still runs")
	default:
	}
	close(release)
	within(t, 10*time.Second, "Done", func() error { <-c.Done(); return nil })
}

// ackExt implements the hostile spec's handshake: await_ack sends "ack" and
// reads until the server (an echo) sends it back.
type ackExt struct{}

func (ackExt) AwaitAck(s *handshake.Step) {
	s.Go(func(ctx context.Context) error {
		if err := s.Send(ctx, wsfsm.Text, []byte("ack")); err != nil {
			return err
		}
		for {
			_, data, err := s.Receive(ctx)
			if err != nil {
				return err
			}
			if string(data) == "ack" {
				s.Fire(handshake.EventAcknowledged, nil)
				return nil
			}
		}
	})
}

func hostileOptions(rec *wsfsmtest.Recorder[handshake.State, handshake.Event]) *handshake.Options {
	o := rec.FastOptions()
	o.HandshakeTimeout = 200 * time.Millisecond
	o.CloseTimeout = 200 * time.Millisecond
	return o
}

// Item 1: Close is bounded by CloseTimeout, and a dial by HandshakeTimeout,
// on a spec that has no close_timeout or handshake_timeout timer: the
// operations carry their own bounds. Before, Close(context.Background())
// against a peer that never answers the close, and Dial against a server
// that never answers the upgrade, never returned.
func TestBoundsWithoutTimersInTheSpec(t *testing.T) {
	srv := newServer(t)
	t.Run("Close", func(t *testing.T) {
		rec := wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil)
		c, err := handshake.Dial(testCtx(t), srv.URL("/ignore-close"), hostileOptions(rec), ackExt{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Abort()
		err = within(t, 5*time.Second, "Close", func() error { return c.Close(context.Background()) })
		if !errors.Is(err, wsfsm.ErrCloseTimeout) {
			t.Errorf("Close = %v, want ErrCloseTimeout", err)
		}
	})
	t.Run("Dial", func(t *testing.T) {
		rec := wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil)
		err := within(t, 5*time.Second, "Dial", func() error {
			_, err := handshake.Dial(context.Background(), srv.URL("/stall"), hostileOptions(rec), ackExt{})
			return err
		})
		if !errors.Is(err, wsfsm.ErrHandshakeTimeout) {
			t.Errorf("Dial = %v, want ErrHandshakeTimeout", err)
		}
	})
	t.Run("DialWithHookIgnoringCtx", func(t *testing.T) {
		rec := wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil)
		opts := hostileOptions(rec)
		release := make(chan struct{})
		defer close(release)
		opts.OnConnect = func(context.Context, *wsfsm.Setup) error { <-release; return nil }
		err := within(t, 5*time.Second, "Dial", func() error {
			_, err := handshake.Dial(context.Background(), srv.URL("/echo"), opts, ackExt{})
			return err
		})
		if !errors.Is(err, wsfsm.ErrHandshakeTimeout) {
			t.Errorf("Dial = %v, want ErrHandshakeTimeout", err)
		}
	})
}
