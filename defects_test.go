package wsfsm_test

// Regression tests for the defects of issue 10 that live in the connection's
// life cycle (the frame-level ones are in package transport, the generator's
// in package gen). Each failed before its fix.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// Item 1: the peer's permanent close code wins over a write that fails at the
// same moment. The server closes with 1008 (1000, 4001) while 4 goroutines
// send flat out: the Conn ends Closed with Err() = that *CloseError, every
// time, and never redials.
func TestPermanentCloseWinsOverFailedWrites(t *testing.T) {
	runs := 30
	if testing.Short() {
		runs = 5
	}
	for _, code := range []int{1008, 1000, 4001} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newServer(t)
			for run := range runs {
				rec := newRecorder()
				c := dial(t, srv.URL(fmt.Sprintf("/close/%d?after=20", code)), fastOptions(rec))
				var wg sync.WaitGroup
				wg.Go(func() { // take the echoes, so that the reader reaches the close frame
					for {
						if _, _, err := c.Receive(testCtx(t)); err != nil {
							return
						}
					}
				})
				for range 4 {
					wg.Go(func() {
						for c.Send(testCtx(t), wsfsm.Text, []byte("flat out")) == nil {
						}
					})
				}
				wg.Wait() // every Send failed: the Conn ended
				<-c.Done()
				var ce *wsfsm.CloseError
				if err := c.Err(); !errors.As(err, &ce) || ce.Code != code {
					t.Fatalf("run %d: Err() = %v, want the peer's close %d; path %s", run, err, code, rec.Path())
				}
				if s := c.Stats(); s.Dials != 1 || s.Reconnects != 0 {
					t.Fatalf("run %d: %d dials, %d reconnects; path %s", run, s.Dials, s.Reconnects, rec.Path())
				}
			}
		})
	}
}

// Item 9: no URL query or password reaches an error, a transition's cause or
// a log line: refused upgrades, handshake timeouts, ended contexts, bad
// schemes, user info.
func TestNoSecretsInErrors(t *testing.T) {
	srv := newServer(t)
	hole := wstest.NewBlackHole()
	t.Cleanup(func() { hole.Close() })
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const secret = "SECRET"
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	cases := []struct {
		name string
		url  string
		ctx  context.Context
		opts wsfsm.Options
	}{
		{"401", srv.URL("/reject/401?token=" + secret), testCtx(t), wsfsm.Options{}},
		{"handshake timeout", hole.URL("/?token=" + secret), testCtx(t), wsfsm.Options{HandshakeTimeout: 20 * time.Millisecond}},
		{"ctx end", hole.URL("/?token=" + secret), short(), wsfsm.Options{}},
		{"bad scheme", "http://user:" + secret + "@127.0.0.1/?token=" + secret, testCtx(t), wsfsm.Options{}},
		{"user info", "ws://user:" + secret + "@" + strings.TrimPrefix(srv.URL("/echo"), "ws://") + "?token=" + secret, testCtx(t), wsfsm.Options{}},
		{"unparsable", "ws://127.0.0.1:%zz/?token=" + secret, testCtx(t), wsfsm.Options{}},
	}
	for _, tc := range cases {
		var causes []string
		var mu sync.Mutex
		tc.opts.Logger = logger
		tc.opts.OnTransition = func(tr wsfsm.Transition) {
			if tr.Cause != nil {
				mu.Lock()
				causes = append(causes, tr.Cause.Error())
				mu.Unlock()
			}
		}
		_, err := wsfsm.Dial(tc.ctx, tc.url, &tc.opts)
		if err == nil {
			t.Errorf("%s: Dial succeeded", tc.name)
			continue
		}
		mu.Lock()
		all := append([]string{err.Error()}, causes...)
		mu.Unlock()
		for _, s := range all {
			if strings.Contains(s, secret) {
				t.Errorf("%s: %q carries the secret", tc.name, s)
			}
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("a log line carries the secret:\n%s", logs.String())
	}
}

// Item 10: Err() is nil after the user's own Abort, every time, and Send then
// returns plain ErrClosed.
func TestErrNilAfterUserAbort(t *testing.T) {
	srv := newServer(t)
	for run := range 200 {
		c, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), &wsfsm.Options{PingInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Abort()
		if err := c.Err(); err != nil {
			t.Fatalf("run %d: Err() = %v after Abort, want nil", run, err)
		}
		if err := c.Send(testCtx(t), wsfsm.Text, nil); !errors.Is(err, wsfsm.ErrClosed) || strings.Contains(err.Error(), "abort") {
			t.Fatalf("run %d: Send after Abort = %v, want ErrClosed alone", run, err)
		}
	}
}

// Item 12: Dial with a context that has already ended fails with the
// context's error, every time, even when the dial would succeed at once.
func TestDialWithEndedContextFails(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stop := make(chan struct{}) // CPU load makes the old race likelier
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	for run := range 2000 {
		c, err := wsfsm.Dial(ctx, srv.URL("/echo"), nil)
		if c != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: Dial = %v, %v; want context.Canceled", run, c, err)
		}
	}
}

// Item 14: a Classify hook may call Abort or Close: it runs outside the
// machine, which neither waits for it nor deadlocks; the Conn ends, Done
// closes, and a later Abort returns.
func TestClassifyMayEndTheConn(t *testing.T) {
	for _, op := range []string{"Abort", "Close"} {
		t.Run(op, func(t *testing.T) {
			srv := newSeqServer(t, "/drop-after/1", "/echo")
			rec := newRecorder()
			opts := fastOptions(rec)
			var c *wsfsm.Conn
			ready := make(chan struct{})
			called := make(chan error, 4)
			opts.Classify = func(err error) wsfsm.Verdict {
				<-ready
				if op == "Abort" {
					called <- c.Abort()
				} else {
					called <- c.Close(context.Background())
				}
				return wsfsm.Default
			}
			c = dial(t, srv.URL(), opts)
			close(ready)
			if err := c.Send(testCtx(t), wsfsm.Text, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := <-called; err != nil && !errors.Is(err, wsfsm.ErrClosed) {
				t.Errorf("%s from Classify: %v", op, err)
			}
			<-c.Done()
			if c.State() != fsm.Closed {
				t.Errorf("state %s", c.State())
			}
			_ = c.Abort()
		})
	}
}

// A timer's cause is classified outside the machine, so a Classify hook that
// ends the Conn when the close timer expires does not hold up the Close it
// interrupts: Close stays bounded by CloseTimeout.
func TestClassifyMayAbortOnCloseTimeout(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.CloseTimeout = 100 * time.Millisecond
	var c *wsfsm.Conn
	opts.Classify = func(err error) wsfsm.Verdict {
		if errors.Is(err, wsfsm.ErrCloseTimeout) {
			_ = c.Abort()
		}
		return wsfsm.Default
	}
	c = dial(t, srv.URL("/ignore-close"), opts)
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5 s of a 100 ms CloseTimeout")
	}
	if c.State() != fsm.Closed {
		t.Errorf("state %s, want Closed", c.State())
	}
}
