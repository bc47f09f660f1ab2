package extend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsfsm/wsfsm/examples/extend/machine"
	"github.com/wsfsm/wsfsm/transport"
	"github.com/wsfsm/wsfsm/wstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a wstest router on 127.0.0.1 that also says when it saw a
// connection go: ended gets a value each time a handler returns.
type server struct {
	*wstest.Router
	url   string
	ended chan struct{}
}

func newServer(t *testing.T) *server {
	r := wstest.NewRouter()
	s := &server{Router: r, ended: make(chan struct{}, 64)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.ServeHTTP(w, req)
		s.ended <- struct{}{}
	}))
	s.url = "ws" + strings.TrimPrefix(hs.URL, "http")
	t.Cleanup(func() { r.Shutdown(); hs.Close() })
	return s
}

// waitEnded waits until the server saw a connection go.
func (s *server) waitEnded(ctx context.Context, t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
	case <-ctx.Done():
		t.Fatal("the server never saw the connection go")
	}
}

// recorder collects transitions from Options.OnTransition, which runs on the
// loop goroutine and must not block: the buffer is larger than any test needs.
type recorder struct {
	ch   chan machine.Transition
	seen []string
}

func newRecorder() *recorder { return &recorder{ch: make(chan machine.Transition, 64)} }

func (r *recorder) hook(t machine.Transition) { r.ch <- t }

// waitFor records transitions until one enters s, and returns it.
func (r *recorder) waitFor(ctx context.Context, t *testing.T, s machine.State) machine.Transition {
	t.Helper()
	for {
		select {
		case tr := <-r.ch:
			r.seen = append(r.seen, fmt.Sprintf("%v -> %v (%v)", tr.From, tr.To, tr.Event))
			if tr.To == s {
				return tr
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %v: %v; seen %q", s, ctx.Err(), r.seen)
		}
	}
}

// check compares every transition seen with want.
func (r *recorder) check(t *testing.T, want ...string) {
	t.Helper()
	for len(r.ch) > 0 { // Close returned: every hook already ran
		tr := <-r.ch
		r.seen = append(r.seen, fmt.Sprintf("%v -> %v (%v)", tr.From, tr.To, tr.Event))
	}
	if strings.Join(r.seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("transitions:\n%s\nwant:\n%s", strings.Join(r.seen, "\n"), strings.Join(want, "\n"))
	}
}

// inside returns what only the loop goroutine may read: the current link,
// and whether anything could still move the machine by itself (a timer, a
// dial in flight, or a goroutine that will post).
func inside(ctx context.Context, t *testing.T, c *Client) (link *transport.Link, busy string) {
	t.Helper()
	if err := c.do(ctx, func() {
		link = c.link
		busy = fmt.Sprintf("timer:%v dial:%v link:%v goroutines:%d", c.timer != nil, c.cancelDial != nil, c.link != nil, c.outstanding)
	}); err != nil {
		t.Fatal(err)
	}
	return link, busy
}

const idle = "timer:false dial:false link:false goroutines:0"

func echo(ctx context.Context, t *testing.T, c *Client, msg string) {
	t.Helper()
	if err := c.Send(ctx, []byte(msg)); err != nil {
		t.Fatalf("Send(%q): %v", msg, err)
	}
	got, err := c.Receive(ctx)
	if err != nil || string(got) != msg {
		t.Fatalf("Receive = %q, %v; want %q", got, err, msg)
	}
}

// Open -> Suspended drops the connection and leaves nothing that could dial;
// Resume dials a fresh connection on which messages flow again.
func TestSuspendDropsTheConnectionAndResumeDialsAFreshOne(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // safety net
	defer cancel()
	srv, rec := newServer(t), newRecorder()
	c := New(srv.url+"/echo", Options{OnTransition: rec.hook})
	rec.waitFor(ctx, t, machine.Open)
	echo(ctx, t, c, "before")
	first, _ := inside(ctx, t, c)

	if err := c.Suspend(ctx); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if c.State() != machine.Suspended {
		t.Fatalf("state %v after Suspend, want Suspended", c.State())
	}
	select { // the reader of the old link returned, and the server saw the connection go
	case <-first.Done():
	case <-ctx.Done():
		t.Fatal("the suspended link never finished")
	}
	srv.waitEnded(ctx, t)
	if _, busy := inside(ctx, t, c); busy != idle {
		t.Fatalf("Suspended: %s; want %s (nothing can dial until Resume)", busy, idle)
	}
	srv.DropAll()
	if n := srv.Accepted(); n != 1 || srv.Conns() != 0 {
		t.Fatalf("while Suspended: %d accepted, %d live; want 1, 0", n, srv.Conns())
	}
	if err := c.Send(ctx, []byte("lost?")); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("Send while Suspended = %v, want ErrNotOpen", err)
	}
	if err := c.Suspend(ctx); !errors.Is(err, machine.ErrInvalidEvent) {
		t.Fatalf("second Suspend = %v, want ErrInvalidEvent", err)
	}

	if err := c.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	rec.waitFor(ctx, t, machine.Open)
	if second, _ := inside(ctx, t, c); second == first || srv.Accepted() != 2 {
		t.Fatalf("after Resume: same link %v, %d accepted; want a fresh link, 2", second == first, srv.Accepted())
	}
	echo(ctx, t, c, "after")
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Send(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	rec.check(t,
		"Connecting -> Open (opened)",
		"Open -> Suspended (suspend)",
		"Suspended -> Connecting (resume)",
		"Connecting -> Open (opened)",
		"Open -> Closing (close)",
		"Closing -> Closed (closed)",
	)
}

// A peer that says 1013 (try again later) puts the client in Reconnecting for
// at least RetryLaterMin; Suspend cancels that backoff, and Resume dials now.
func TestSuspendWhileReconnectingCancelsTheBackoff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, rec := newServer(t), newRecorder()
	c := New(srv.url+"/close/1013", Options{
		OnTransition: rec.hook,
		Backoff:      transport.BackoffConfig{Max: time.Hour, RetryLaterMin: time.Hour},
	})
	tr := rec.waitFor(ctx, t, machine.Reconnecting)
	var ce *transport.CloseError
	if !errors.As(tr.Cause, &ce) || ce.Code != 1013 {
		t.Fatalf("Reconnecting because of %v, want the peer's 1013", tr.Cause)
	}
	var delay time.Duration
	if err := c.do(ctx, func() { delay = c.delay }); err != nil {
		t.Fatal(err)
	}
	if _, busy := inside(ctx, t, c); delay < time.Hour || !strings.HasPrefix(busy, "timer:true") {
		t.Fatalf("Reconnecting: delay %v, %s; want a backoff timer of at least 1h", delay, busy)
	}

	if err := c.Suspend(ctx); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	srv.waitEnded(ctx, t) // the server saw the first connection go
	if _, busy := inside(ctx, t, c); busy != idle || srv.Accepted() != 1 {
		t.Fatalf("Suspended: %s, %d accepted; want %s, 1", busy, srv.Accepted(), idle)
	}

	if err := c.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	rec.waitFor(ctx, t, machine.Reconnecting) // at once, not after an hour
	if srv.Accepted() != 2 {
		t.Fatalf("after Resume: %d accepted, want 2", srv.Accepted())
	}
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rec.check(t,
		"Connecting -> Open (opened)",
		"Open -> Aborted (abort)",
		"Aborted -> Reconnecting (retry)",
		"Reconnecting -> Suspended (suspend)",
		"Suspended -> Connecting (resume)",
		"Connecting -> Open (opened)",
		"Open -> Aborted (abort)",
		"Aborted -> Reconnecting (retry)",
		"Reconnecting -> Closed (stop)",
	)
}

// Suspending a dial in flight cancels it; its late result is stale and moves
// nothing, and Close from Suspended ends the Client without dialing.
func TestSuspendWhileConnectingCancelsTheDial(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bh := wstest.NewBlackHole() // accepts TCP, never answers the upgrade
	defer bh.Close()
	rec := newRecorder()
	c := New(bh.URL("/"), Options{OnTransition: rec.hook, HandshakeTimeout: time.Hour})
	if err := c.Suspend(ctx); err != nil { // the loop starts the dial before it takes any call
		t.Fatalf("Suspend: %v", err)
	}
	if err := c.Close(ctx); err != nil { // returns once the cancelled dial reported back
		t.Fatalf("Close: %v", err)
	}
	if err := c.Resume(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Resume after Close = %v, want ErrClosed", err)
	}
	rec.check(t, "Connecting -> Suspended (suspend)", "Suspended -> Closed (stop)")
}
