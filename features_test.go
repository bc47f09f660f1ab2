package wsfsm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// looplab/fsm holds the state: at every transition, while the machine is
// still on it (the Logger is called from inside the machine), the Conn's
// State is the transition's target, read from looplab/fsm.
func TestLooplabHoldsTheState(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/1", "/echo")
	var c *wsfsm.Conn
	h := &stateCheck{c: &c}
	opts := fastOptions(newRecorder())
	opts.Logger = slog.New(h)
	var err error
	c, err = wsfsm.Dial(testCtx(t), srv.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c, "drop")
	if err := c.Reconnect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close(testCtx(t))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checked < 5 || len(h.bad) > 0 {
		t.Errorf("checked %d transitions; mismatches: %v", h.checked, h.bad)
	}
}

// stateCheck is a slog.Handler that compares each transition line's "to"
// with the Conn's State at that moment.
type stateCheck struct {
	c       **wsfsm.Conn
	mu      sync.Mutex
	checked int
	bad     []string
}

func (h *stateCheck) Enabled(context.Context, slog.Level) bool { return true }
func (h *stateCheck) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *stateCheck) WithGroup(string) slog.Handler            { return h }
func (h *stateCheck) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "wsfsm: transition" || *h.c == nil {
		return nil // the first transitions happen inside Dial, before c is known
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "to" {
			h.mu.Lock()
			h.checked++
			if got := (*h.c).State().String(); got != a.Value.String() {
				h.bad = append(h.bad, fmt.Sprintf("to %s while State() = %s", a.Value, got))
			}
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// The delays come from the backoff.BackOff that Options.Backoff makes: a
// user's policy (here three constant delays) plugs in, and its backoff.Stop
// ends the Conn with ErrAttemptsExhausted.
func TestBackoffStrategyPlugsIn(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/0", "/reject/500")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.Backoff = func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(7*time.Millisecond), 3)
	}
	c := dial(t, srv.URL(), opts)
	<-c.Done() // the observer saw everything
	if !errors.Is(c.Err(), wsfsm.ErrAttemptsExhausted) {
		t.Errorf("Err() = %v, want ErrAttemptsExhausted", c.Err())
	}
	var delays []time.Duration
	for _, tr := range rec.Transitions() {
		if tr.To == fsm.Reconnecting {
			delays = append(delays, tr.Delay)
		}
	}
	if want := []time.Duration{7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 0}; !slices.Equal(delays, want) {
		t.Errorf("delays %v, want %v (three retries, then the stop)", delays, want)
	}
}

// One close timer (the machine's close_timeout): a Close the peer never
// answers fails with the same error every time.
func TestCloseTimeoutErrorIsStable(t *testing.T) {
	srv := newServer(t)
	var first string
	for run := range 10 {
		opts := fastOptions(newRecorder())
		opts.CloseTimeout = 20 * time.Millisecond
		c := dial(t, srv.URL("/ignore-close"), opts)
		err := c.Close(testCtx(t))
		if !errors.Is(err, wsfsm.ErrCloseTimeout) {
			t.Fatalf("run %d: Close = %v", run, err)
		}
		if run == 0 {
			first = err.Error()
		} else if err.Error() != first {
			t.Fatalf("run %d: %q, run 0: %q", run, err, first)
		}
	}
}

// Fire refuses the library's own events, and events the state does not take.
func TestFireRefuses(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL("/echo"), fastOptions(newRecorder()))
	if err := c.Fire(testCtx(t), fsm.EventAbort, nil); !errors.Is(err, wsfsm.ErrEventNotAllowed) {
		t.Errorf("Fire(abort) = %v, want ErrEventNotAllowed", err)
	}
	if c.State() != fsm.Open {
		t.Errorf("state %s", c.State())
	}
}

// gatedHook makes an OnConnect hook that holds each connection until the
// test sends a token on gate (or the hook's ctx ends), then runs hook. The
// gate starts with one token, for the first connection.
func gatedHook(hook func(ctx context.Context, s *wsfsm.Setup) error) (gate chan<- struct{}, onConnect func(ctx context.Context, s *wsfsm.Setup) error) {
	tokens := make(chan struct{}, 1)
	tokens <- struct{}{}
	return tokens, func(ctx context.Context, s *wsfsm.Setup) error {
		select {
		case <-tokens:
		case <-ctx.Done():
			return ctx.Err()
		}
		return hook(ctx, s)
	}
}

// reconnectRounds waits for c to open, then n times forces a reconnect and,
// once c is Connecting again, runs round.
func reconnectRounds(t *testing.T, c *wsfsm.Conn, rec *recorder, n int, round func(i int)) {
	t.Helper()
	rec.WaitFor(t, fsm.Open) // past the initial entry into Connecting
	for i := range n {
		go func() { _ = c.Reconnect(testCtx(t)) }()
		rec.WaitFor(t, fsm.Connecting)
		round(i)
	}
}

// Issue 11 item 1: OnConnect runs on every new connection before any waiting
// Send is written and before Receive sees its messages. After each of 20
// forced reconnects with Sends waiting, the server's first message on the
// new connection is the hook's; the hook's own answer never reaches Receive.
func TestOnConnectGoesFirst(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	var hooks int
	gate, hook := gatedHook(func(ctx context.Context, s *wsfsm.Setup) error {
		hooks++
		msg := fmt.Appendf(nil, "hello %d", hooks)
		if err := s.Send(ctx, wsfsm.Text, msg); err != nil {
			return err
		}
		_, got, err := s.Receive(ctx) // the echo of the hook's message
		if err != nil || !bytes.Equal(got, msg) {
			return fmt.Errorf("hook read %q, %v", got, err)
		}
		return nil
	})
	opts.OnConnect = hook
	c := dial(t, srv.URL("/echo"), opts)
	reconnectRounds(t, c, rec, 20, func(round int) {
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				if err := c.Send(testCtx(t), wsfsm.Text, fmt.Appendf(nil, "r%d-%d", round, i)); err != nil {
					t.Errorf("Send: %v", err)
				}
			})
			wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == i+1 })
		}
		gate <- struct{}{}
		wg.Wait()
		for i := range 3 { // the echoes, in call order: no hook message among them
			if _, got, err := c.Receive(testCtx(t)); err != nil || string(got) != fmt.Sprintf("r%d-%d", round, i) {
				t.Fatalf("round %d: Receive = %q, %v", round, got, err)
			}
		}
	})
	if hooks != 21 {
		t.Errorf("OnConnect ran %d times, want once per connection (21)", hooks)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// The server side of TestOnConnectGoesFirst's guarantee: on a sink that
// records each connection's messages, the hook's message comes first, before
// a Send that waited for the connection.
func TestOnConnectFirstOnTheWire(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	gate, hook := gatedHook(func(ctx context.Context, s *wsfsm.Setup) error {
		return s.Send(ctx, wsfsm.Text, []byte("subscribe"))
	})
	opts.OnConnect = hook
	c := dial(t, srv.URL("/sink"), opts)
	reconnectRounds(t, c, rec, 20, func(i int) {
		results := make(chan error, 1)
		go func() { results <- c.Send(testCtx(t), wsfsm.Text, fmt.Appendf(nil, "m%d", i)) }()
		wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == 1 })
		gate <- struct{}{}
		if err := <-results; err != nil {
			t.Fatal(err)
		}
		wsfsmtest.Eventually(t, "the sink reads both", func() bool {
			conns := srv.ConnMessages()
			return len(conns) == i+2 && len(conns[i+1]) == 2
		})
	})
	_ = c.Close(testCtx(t))
	for i, msgs := range srv.ConnMessages()[1:] {
		if len(msgs) != 2 || string(msgs[0]) != "subscribe" || string(msgs[1]) != fmt.Sprintf("m%d", i) {
			t.Errorf("connection %d received %q, want the hook's message first", i+1, msgs)
		}
	}
}

// An OnConnect error aborts the connection and is classified: a permanent
// one (the hook says Stop) ends the Conn with it.
func TestOnConnectErrorIsClassified(t *testing.T) {
	srv := newServer(t)
	denied := errors.New("subscription denied")
	opts := fastOptions(newRecorder())
	opts.RetryFirstDial = true
	opts.OnConnect = func(context.Context, *wsfsm.Setup) error { return denied }
	opts.Classify = func(err error) wsfsm.Verdict {
		if errors.Is(err, denied) {
			return wsfsm.Stop
		}
		return wsfsm.Default
	}
	_, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), opts)
	if !errors.Is(err, denied) {
		t.Errorf("Dial = %v, want the hook's error", err)
	}
}

// Issue 11 item 2: each attempt computes its URL and headers with the
// attempt's context; with RoundRobin over two servers, a Conn whose server
// dies moves to the other, and stays there when the first comes back.
func TestEndpointsMoveAndDoNotFlap(t *testing.T) {
	a, b := newRestartable(t), newRestartable(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.RetryFirstDial = true
	rr := wsfsm.RoundRobin(a.url(), b.url())
	var tokens []string
	opts.Endpoint = func(ctx context.Context, at wsfsm.DialAttempt) (wsfsm.Endpoint, error) {
		if ctx.Err() != nil {
			return wsfsm.Endpoint{}, ctx.Err()
		}
		ep, err := rr(ctx, at)
		tok := fmt.Sprintf("t%d", at.Dial)
		tokens = append(tokens, tok)
		ep.URL += "?token=" + tok
		return ep, err
	}
	c := dial(t, "ws://unused.invalid/", opts)
	echo(t, c, "on a")
	if got := a.accepted(); got != 1 {
		t.Fatalf("a accepted %d", got)
	}
	a.stop() // a dies: the Conn moves to b
	rec.WaitFor(t, fsm.Aborted)
	rec.WaitFor(t, fsm.Open)
	echo(t, c, "on b")
	if got := b.accepted(); got != 1 {
		t.Fatalf("b accepted %d", got)
	}
	dials := c.Stats().Dials
	a.start() // a comes back: nothing flaps
	for i := range 20 {
		echo(t, c, fmt.Sprint("still on b ", i))
	}
	if c.Stats().Dials != dials || a.accepted() != 1 {
		t.Errorf("after a came back: %d dials (was %d), a accepted %d", c.Stats().Dials, dials, a.accepted())
	}
	if got := b.lastQuery(); got != "token="+tokens[len(tokens)-1] {
		t.Errorf("b saw query %q, want the last attempt's token %q", got, tokens[len(tokens)-1])
	}
}

// restartable is a wstest echo server on a fixed 127.0.0.1 port that can be
// stopped (connections dropped, dials refused) and started again.
type restartable struct {
	t      *testing.T
	addr   string
	mu     sync.Mutex
	srv    *http.Server
	router *wstest.Router
	n      int
	query  string
}

func newRestartable(t *testing.T) *restartable {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, addr: ln.Addr().String()}
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) url() string { return "ws://" + r.addr + "/echo" }

func (r *restartable) serve(ln net.Listener) {
	router := wstest.NewRouter()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.n++
		r.query = req.URL.RawQuery
		r.mu.Unlock()
		router.ServeHTTP(w, req)
	})}
	r.mu.Lock()
	r.srv, r.router = srv, router
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (r *restartable) stop() {
	r.mu.Lock()
	srv, router := r.srv, r.router
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		router.Shutdown()
	}
}

func (r *restartable) start() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

func (r *restartable) accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *restartable) lastQuery() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.query
}

// Issue 11 item 5: CloseWith sends the code and reason the caller chose;
// codes that may not be sent are refused before anything happens.
func TestCloseWithCodeAndReason(t *testing.T) {
	got := make(chan *websocket.CloseError, 1)
	url := testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					got <- ce
				}
				return
			}
		}
	})
	c := dial(t, url, fastOptions(newRecorder()))
	for _, bad := range []struct {
		code   int
		reason string
	}{{1004, ""}, {1005, ""}, {1006, ""}, {1011, ""}, {1015, ""}, {2000, ""}, {1000, strings.Repeat("x", 124)}, {1000, "\xff"}} {
		if err := c.CloseWith(testCtx(t), bad.code, bad.reason); !errors.Is(err, wsfsm.ErrBadCloseCode) {
			t.Errorf("CloseWith(%d, %d bytes) = %v, want ErrBadCloseCode", bad.code, len(bad.reason), err)
		}
	}
	if c.State() != fsm.Open {
		t.Fatalf("a refused CloseWith changed the state to %s", c.State())
	}
	if err := c.CloseWith(testCtx(t), 4000, "bye"); err != nil {
		t.Fatalf("CloseWith: %v", err)
	}
	if ce := <-got; ce.Code != 4000 || ce.Text != "bye" {
		t.Errorf("the server got close %d %q, want 4000 \"bye\"", ce.Code, ce.Text)
	}
}

// Issue 11 item 6: 20 Sends waiting while the Conn reconnects go out in the
// order they were called; SendNow fails fast instead of waiting.
func TestWaitingSendsKeepCallOrder(t *testing.T) {
	srv := newSeqServer(t, "/sink", "hold", "/sink")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.HandshakeTimeout = 300 * time.Millisecond // the held dial gives up, the next opens
	c := dial(t, srv.URL(), opts)
	go func() { _ = c.Reconnect(context.Background()) }()
	<-srv.Held() // Connecting, held by the server: nothing is released
	if err := c.SendNow(testCtx(t), wsfsm.Text, []byte("now")); !errors.Is(err, wsfsm.ErrNotOpen) {
		t.Errorf("SendNow while not open = %v, want ErrNotOpen", err)
	}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := c.Send(testCtx(t), wsfsm.Text, fmt.Appendf(nil, "%02d", i)); err != nil {
				t.Errorf("Send %d: %v", i, err)
			}
		})
		wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == i+1 })
	}
	wg.Wait()
	var last [][]byte
	wsfsmtest.Eventually(t, "the sink reads every message", func() bool {
		conns := srv.Router().ConnMessages()
		last = conns[len(conns)-1]
		return len(last) == n
	})
	var got []string
	for _, m := range last {
		got = append(got, string(m))
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%02d", i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the server got %q, want %q", got, want)
	}
	_ = c.Close(testCtx(t))
}

// Issue 11 item 7: Messages iterates over received messages and ends cleanly
// after Close.
func TestMessagesIterator(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv.URL("/echo"), fastOptions(newRecorder()))
	for i := range 3 {
		if err := c.Send(testCtx(t), wsfsm.Text, fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for msg, err := range c.Messages(testCtx(t)) {
		if err != nil {
			t.Fatalf("Messages: %v", err)
		}
		got = append(got, string(msg.Data))
		if len(got) == 3 {
			go func() { _ = c.Close(context.Background()) }()
		}
	}
	if !slices.Equal(got, []string{"m0", "m1", "m2"}) {
		t.Errorf("got %q", got)
	}
}

// Issue 12: Dial with RetryFirstDial whose context ends against a server that
// answers 503 reports the context's error and what the last attempt saw: the
// *HandshakeError, with its status and Retry-After.
func TestDialContextEndKeepsTheLastAttempt(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := wsfsm.Dial(ctx, srv.URL("/reject/503?retry_after=1"), &wsfsm.Options{RetryFirstDial: true, PingInterval: -1})
	var he *wsfsm.HandshakeError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &he) || he.StatusCode != 503 || he.RetryAfter != time.Second {
		t.Errorf("Dial = %v, want the deadline and the 503 with its Retry-After", err)
	}
}
