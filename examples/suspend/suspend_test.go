package suspend_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/examples/suspend"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

var pairs wsfsmtest.Set

// TestMain fails the run unless the suite took every (event, from) pair of
// the generated table, and checks for leaked goroutines.
func TestMain(m *testing.M) {
	var table []wsfsmtest.Edge
	for _, e := range suspend.Table() {
		table = append(table, wsfsmtest.Edge{Event: e.Event, From: e.From})
	}
	os.Exit(wsfsmtest.Main(m, &pairs, table))
}

type recorder = wsfsmtest.Recorder[suspend.State, suspend.Event]

func newRecorder() *recorder { return wsfsmtest.NewRecorder[suspend.State, suspend.Event](&pairs) }

func options(rec *recorder) *suspend.Options { return rec.FastOptions() }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, url string, opts *suspend.Options) *suspend.Conn {
	t.Helper()
	c, err := suspend.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Abort() })
	return c
}

func echo(t *testing.T, c *suspend.Conn, msg string) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Send(ctx, 1, []byte(msg)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, got, err := c.Receive(ctx); err != nil || string(got) != msg {
		t.Fatalf("Receive = %q, %v; want %q", got, err, msg)
	}
}

// expectPath waits for c to end, by when the observer has seen every
// transition, and compares the states it went through with want.
func expectPath(t *testing.T, c *suspend.Conn, rec *recorder, want string) {
	t.Helper()
	<-c.Done()
	if got := rec.Path(); got != want {
		t.Errorf("path %s, want %s", got, want)
	}
}

// Suspend while Open shuts the connection (the server sees it go) and dials
// nothing; Resume dials a brand-new one at once, and messages flow again.
func TestSuspendWhileOpenThenResume(t *testing.T) {
	srv := wstest.NewSequence("/echo")
	defer srv.Close()
	rec := newRecorder()
	c := dial(t, srv.URL(), options(rec))
	echo(t, c, "before")
	before := c.LocalAddr().String()

	if err := c.Suspend(testCtx(t)); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if c.State() != suspend.Suspended || c.LocalAddr() != nil {
		t.Fatalf("after Suspend: state %v, local address %v", c.State(), c.LocalAddr())
	}
	// Sends wait while suspended, and go out on the connection Resume opens.
	sent := make(chan error, 1)
	go func() { sent <- c.Send(testCtx(t), 1, []byte("queued")) }()
	wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == 1 })
	if got := srv.Requests(); got != 1 {
		t.Errorf("%d dials while suspended, want the first only", got)
	}
	if err := c.Resume(testCtx(t)); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	rec.WaitFor(t, suspend.Open)
	if err := <-sent; err != nil {
		t.Fatalf("queued Send: %v", err)
	}
	if _, got, err := c.Receive(testCtx(t)); err != nil || string(got) != "queued" {
		t.Fatalf("Receive = %q, %v", got, err)
	}
	if after := c.LocalAddr().String(); after == before {
		t.Errorf("Resume reused local address %s: not a fresh connection", after)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, c, rec, "Connecting>Open>Suspended>Connecting>Open>Closing>Closed")
}

// Suspend while Reconnecting cancels the backoff (the server said 1013: try
// again later, a wait of seconds); Resume dials at once.
func TestSuspendWhileReconnectingCancelsTheBackoff(t *testing.T) {
	srv := wstest.NewSequence("/close/1013", "/echo")
	defer srv.Close()
	rec := newRecorder()
	opts := options(rec)
	opts.BackoffMax = time.Hour
	c := dial(t, srv.URL(), opts)
	tr := rec.WaitFor(t, suspend.Reconnecting)
	if tr.Delay < time.Second {
		t.Fatalf("backoff after 1013 is %v; the test needs a long one", tr.Delay)
	}
	if err := c.Suspend(testCtx(t)); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	start := time.Now()
	if err := c.Resume(testCtx(t)); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	rec.WaitFor(t, suspend.Open)
	if waited := time.Since(start); waited >= tr.Delay {
		t.Errorf("Resume waited %v, the backoff was %v", waited, tr.Delay)
	}
	echo(t, c, "back")
	_ = c.Abort() // abort from Open, then stop from Aborted
	expectPath(t, c, rec, "Connecting>Open>Closing>Reconnecting>Suspended>Connecting>Open>Aborted>Closed")
}

// Suspend while Connecting cancels the dial in flight; Close while Suspended
// ends the Conn.
func TestSuspendWhileConnectingCancelsTheDial(t *testing.T) {
	srv := wstest.NewSequence("/echo", "hold")
	defer srv.Close()
	rec := newRecorder()
	c := dial(t, srv.URL(), options(rec))
	go func() { _ = c.Reconnect(context.Background()) }() // answered by Close below
	<-srv.Held()
	if err := c.Suspend(testCtx(t)); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, c, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Suspended>Closed")
}

// The reference machine's timers, in this machine: a handshake that times
// out, and a Close the peer never answers.
func TestHandshakeAndCloseTimeouts(t *testing.T) {
	srv := wstest.NewSequence("/echo", "hold", "/ignore-close")
	defer srv.Close()
	rec := newRecorder()
	opts := options(rec)
	opts.HandshakeTimeout = 50 * time.Millisecond
	opts.CloseTimeout = 50 * time.Millisecond
	c := dial(t, srv.URL(), opts)
	if err := c.Reconnect(testCtx(t)); err != nil { // hold times out, then ignore-close opens
		t.Fatalf("Reconnect: %v", err)
	}
	if err := c.Close(testCtx(t)); !errors.Is(err, wsfsm.ErrCloseTimeout) {
		t.Errorf("Close against a peer that never answers = %v, want ErrCloseTimeout", err)
	}
	expectPath(t, c, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Aborted>Reconnecting>Connecting>Open>Closing>Aborted>Closed")
}

// Close while waiting out a backoff ends the Conn at once.
func TestCloseWhileReconnecting(t *testing.T) {
	srv := wstest.NewSequence("/close/1013")
	defer srv.Close()
	rec := newRecorder()
	c := dial(t, srv.URL(), options(rec))
	rec.WaitFor(t, suspend.Reconnecting) // 1013: seconds to wait
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, c, rec, "Connecting>Open>Closing>Reconnecting>Closed")
}
