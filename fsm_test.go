package wsfsm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// The seed's scenario: Reconnect while Open shuts the old TCP connection down at
// once and dials a brand-new one.
func TestReconnectWhileOpen(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/echo"), fastOptions(rec))
	echo(t, c, "before")
	before := c.LocalAddr()

	if err := c.Reconnect(testCtx(t)); err != nil {
		t.Fatalf("Reconnect: %v", err)
	}
	echo(t, c, "after")
	if after := c.LocalAddr(); after == nil || before == nil || after.String() == before.String() {
		t.Errorf("local address before %v, after %v: want a new TCP connection", before, after)
	}
	if got := srv.Accepted(); got != 2 {
		t.Errorf("server accepted %d upgrades, want 2", got)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Open>Closing>Closed")
	for _, tr := range rec.Transitions() {
		if tr.To == fsm.Reconnecting && tr.Delay != 0 {
			t.Errorf("Reconnect waited %v before redialing, want 0", tr.Delay)
		}
		if tr.To == fsm.Aborted && !errors.Is(tr.Cause, wsfsm.ErrReconnectRequested) {
			t.Errorf("abort cause %v, want ErrReconnectRequested", tr.Cause)
		}
	}
	if s := c.Stats(); s.Dials != 2 || s.Opens != 2 || s.Aborts != 1 || s.MessagesSent != 2 || s.MessagesReceived != 2 {
		t.Errorf("stats %+v", s)
	}
}

// The server drops TCP without a close frame: the Conn backs off and redials.
func TestPeerDropsTCP(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/1", "/echo")
	rec := newRecorder()
	c := dial(t, srv.URL(), fastOptions(rec))
	echoAcrossDrop(t, c, rec)
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Open>Closing>Closed")
}

// A peer closing with 1001 or 1012 (going away, restarting) is reconnected to;
// the close handshake completes first.
func TestPeerClosesRetryable(t *testing.T) {
	for _, code := range []int{1001, 1012} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newServer(t)
			rec := newRecorder()
			c := dial(t, srv.URL(fmt.Sprintf("/close/%d?after=1", code)), fastOptions(rec))
			echo(t, c, "hello")
			tr := rec.WaitFor(t, fsm.Reconnecting)
			var ce *wsfsm.CloseError
			if tr.From != fsm.Closing || !errors.As(tr.Cause, &ce) || ce.Code != code {
				t.Errorf("into Reconnecting from %s because %v, want from Closing with close code %d", tr.From, tr.Cause, code)
			}
			rec.WaitFor(t, fsm.Open)
			if err := c.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			if got := c.Stats().CloseCode; got != code {
				t.Errorf("Stats().CloseCode = %d, want %d", got, code)
			}
			if got, want := rec.Path()[:len("Connecting>Open>Closing>Reconnecting>Connecting>Open")], "Connecting>Open>Closing>Reconnecting>Connecting>Open"; got != want {
				t.Errorf("states %s, want prefix %s", rec.Path(), want)
			}
		})
	}
}

// A peer closing with 1008 (policy violation) is permanent: Closed, with the
// peer's code as the cause, and Receive says so once drained.
func TestPeerClosesPermanent(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/close/1008?after=1&reason=go+away"), fastOptions(rec))
	echo(t, c, "hello")
	<-c.Done()
	expectPath(t, rec, "Connecting>Open>Closing>Closed")
	var ce *wsfsm.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != 1008 || ce.Reason != "go away" {
		t.Errorf("Err() = %v, want the peer's 1008 'go away'", err)
	}
	_, _, err := c.Receive(testCtx(t))
	if !errors.Is(err, wsfsm.ErrClosed) || !errors.As(err, &ce) {
		t.Errorf("Receive after close = %v, want ErrClosed wrapping the CloseError", err)
	}
	if err := c.Send(testCtx(t), wsfsm.Text, []byte("x")); !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("Send after close = %v, want ErrClosed", err)
	}
}

// A Classify hook may answer RetryLater for the application's own close codes:
// the reconnect then waits at least the 1013 floor (here the 5 ms cap), never the
// short first envelope (1 ms).
func TestClassifyRetryLaterWaitsLonger(t *testing.T) {
	srv := newSeqServer(t, "/close/4000?after=0", "/echo")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.Classify = func(err error) wsfsm.Verdict {
		if ce := (*wsfsm.CloseError)(nil); errors.As(err, &ce) && ce.Code == 4000 {
			return wsfsm.RetryLater
		}
		return wsfsm.Default
	}
	dial(t, srv.URL(), opts)
	tr := rec.WaitFor(t, fsm.Reconnecting)
	if tr.Delay < 5*time.Millisecond || tr.Delay > 10*time.Millisecond {
		t.Errorf("delay after a RetryLater verdict: %v, want in [5ms, 10ms]", tr.Delay)
	}
	rec.WaitFor(t, fsm.Open)
}

// Close against a peer that never answers the close frame costs CloseTimeout,
// then aborts: it never hangs.
func TestCloseUnresponsivePeer(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.CloseTimeout = 50 * time.Millisecond
	c := dial(t, srv.URL("/ignore-close"), opts)
	echo(t, c, "hello")
	err := c.Close(testCtx(t))
	if !errors.Is(err, wsfsm.ErrCloseTimeout) {
		t.Errorf("Close = %v, want ErrCloseTimeout", err)
	}
	expectPath(t, rec, "Connecting>Open>Closing>Aborted>Closed")
	if c.State() != fsm.Closed {
		t.Errorf("State() = %s after Close", c.State())
	}
}

// Abort during Closing cuts the handshake short.
func TestAbortDuringClosing(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.CloseTimeout = time.Minute
	c := dial(t, srv.URL("/ignore-close"), opts)
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	rec.WaitFor(t, fsm.Closing)
	if err := c.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if err := <-closed; !errors.Is(err, wsfsm.ErrAbortRequested) {
		t.Errorf("Close = %v, want it cut short by ErrAbortRequested", err)
	}
	expectPath(t, rec, "Connecting>Open>Closing>Aborted>Closed")
}

// A silent peer (no pong, no frame) is found by the keepalive, aborted, and
// replaced by a new connection.
func TestSilentPeerKeepalive(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.PingInterval = 10 * time.Millisecond
	opts.PongTimeout = 30 * time.Millisecond
	c := dial(t, srv.URL("/silent"), opts)
	tr := rec.WaitFor(t, fsm.Aborted)
	if !errors.Is(tr.Cause, wsfsm.ErrDeadPeer) {
		t.Errorf("abort cause %v, want ErrDeadPeer", tr.Cause)
	}
	rec.WaitFor(t, fsm.Open)
	_ = c.Abort()
	if got := rec.Path(); len(got) < len("Connecting>Open>Aborted>Reconnecting>Connecting>Open") ||
		got[:len("Connecting>Open>Aborted>Reconnecting>Connecting>Open")] != "Connecting>Open>Aborted>Reconnecting>Connecting>Open" {
		t.Errorf("states %s", got)
	}
}

// An echoing peer answers pings, so the keepalive measures a round trip and
// never declares it dead.
func TestKeepaliveMeasuresRTT(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.PingInterval = 5 * time.Millisecond
	opts.PongTimeout = 5 * time.Second
	c := dial(t, srv.URL("/echo"), opts)
	ctx := testCtx(t) // bounds the wait for the first pong
	for i := 0; c.Stats().RTT == 0; i++ {
		if ctx.Err() != nil {
			t.Fatalf("no round trip measured after %d echoes: %v", i, context.Cause(ctx))
		}
		echo(t, c, fmt.Sprint(i)) // keeps the reader busy while pings go out
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectPath(t, rec, "Connecting>Open>Closing>Closed")
}

// 503 with Retry-After: the delay honours it (clamped by MaxRetryAfter); Close
// during Reconnecting stops at once instead of waiting it out.
func TestRetryAfterAndCloseWhileReconnecting(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/0", "/reject/503?retry_after=3600")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.MaxRetryAfter = time.Hour
	c := dial(t, srv.URL(), opts)
	rec.WaitFor(t, fsm.Reconnecting) // the drop
	tr := rec.WaitFor(t, fsm.Reconnecting)
	var he *wsfsm.HandshakeError
	if !errors.As(tr.Cause, &he) || he.StatusCode != http.StatusServiceUnavailable || he.RetryAfter != time.Hour {
		t.Fatalf("cause %v, want a 503 HandshakeError with Retry-After 1h", tr.Cause)
	}
	if tr.Delay < time.Hour {
		t.Errorf("delay %v, want at least the Retry-After of 1h", tr.Delay)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Errorf("Close during Reconnecting: %v", err)
	}
	expectPath(t, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Aborted>Reconnecting>Closed")
}

// Retry-After is clamped by MaxRetryAfter, and 429 is retried too.
func TestRetryAfterClamped(t *testing.T) {
	srv := newSeqServer(t, "/reject/429?retry_after=3600", "/echo")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.RetryFirstDial = true
	opts.MaxRetryAfter = 20 * time.Millisecond
	c := dial(t, srv.URL(), opts)
	echo(t, c, "through")
	_ = c.Abort()
	for _, tr := range rec.Transitions() {
		if tr.To == fsm.Reconnecting && (tr.Delay < 20*time.Millisecond || tr.Delay > time.Second) {
			t.Errorf("delay %v, want the 20ms clamp of a 1h Retry-After", tr.Delay)
		}
	}
	expectPath(t, rec, "Connecting>Aborted>Reconnecting>Connecting>Open>Aborted>Closed")
}

// Without RetryFirstDial, Dial reports the first failure itself: a refused
// upgrade keeps its status; a permanent refusal is not retried even with it.
func TestFirstDialFailure(t *testing.T) {
	srv := newServer(t)
	_, err := wsfsm.Dial(testCtx(t), srv.URL("/reject/503"), nil)
	var he *wsfsm.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 503 {
		t.Errorf("Dial = %v, want a 503 HandshakeError", err)
	}
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.RetryFirstDial = true
	_, err = wsfsm.Dial(testCtx(t), srv.URL("/reject/403"), opts)
	if !errors.As(err, &he) || he.StatusCode != 403 {
		t.Errorf("Dial = %v, want a 403 HandshakeError", err)
	}
	expectPath(t, rec, "Connecting>Aborted>Closed")
	if _, err := wsfsm.Dial(testCtx(t), "http://127.0.0.1:1/", nil); !errors.Is(err, wsfsm.ErrBadURL) {
		t.Errorf("Dial(http://) = %v, want ErrBadURL", err)
	}
}

// MaxAttempts bounds consecutive failed dials.
func TestMaxAttempts(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/0", "/reject/500")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.MaxAttempts = 3
	c := dial(t, srv.URL(), opts)
	<-c.Done()
	if err := c.Err(); !errors.Is(err, wsfsm.ErrAttemptsExhausted) {
		t.Errorf("Err() = %v, want ErrAttemptsExhausted", err)
	}
	if got := c.Stats().Dials; got != 4 {
		t.Errorf("dials = %d, want 1 + 3 attempts", got)
	}
}

// Close while a redial is in flight aborts the dial and ends in Closed.
func TestCloseDuringConnecting(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/0", "hold")
	rec := newRecorder()
	c := dial(t, srv.URL(), fastOptions(rec))
	<-srv.Held() // the redial reached the server and waits there
	if err := c.Close(testCtx(t)); err != nil {
		t.Errorf("Close during Connecting: %v", err)
	}
	expectPath(t, rec, "Connecting>Open>Aborted>Reconnecting>Connecting>Aborted>Closed")
}

// The handshake timer aborts a dial that never completes.
func TestHandshakeTimeout(t *testing.T) {
	srv := newSeqServer(t, "hold")
	opts := fastOptions(newRecorder())
	opts.HandshakeTimeout = 20 * time.Millisecond
	_, err := wsfsm.Dial(testCtx(t), srv.URL(), opts)
	if !errors.Is(err, wsfsm.ErrHandshakeTimeout) {
		t.Errorf("Dial = %v, want ErrHandshakeTimeout", err)
	}
}

// Cancelling Dial's context ends the dial promptly and leaves nothing behind.
func TestDialContextCancelled(t *testing.T) {
	srv := newSeqServer(t, "hold")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-srv.Held(); cancel() }()
	_, err := wsfsm.Dial(ctx, srv.URL(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial = %v, want context.Canceled", err)
	}
}

// Receive spans reconnects; cancelling one call's context tears nothing down.
func TestReceiveSpansReconnects(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/echo"), fastOptions(rec))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive(cancelled) = %v", err)
	}
	if err := c.Send(ctx, wsfsm.Text, []byte("x")); err == nil || c.State() != fsm.Open {
		t.Errorf("Send(cancelled) = %v in %s, want an error and still Open", err, c.State())
	}
	if err := c.Send(testCtx(t), wsfsm.Binary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if typ, got, err := c.Receive(testCtx(t)); err != nil || typ != wsfsm.Binary || string(got) != "\x01\x02\x03" {
		t.Errorf("Receive = %v %q %v, want the binary echo", typ, got, err)
	}
	// A Receive blocked across a forced reconnect gets the next connection's message.
	got := make(chan string, 1)
	go func() {
		_, data, err := c.Receive(testCtx(t))
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(data)
	}()
	if err := c.Reconnect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(testCtx(t), wsfsm.Text, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if msg := <-got; msg != "after" {
		t.Errorf("blocked Receive got %q, want the message of the new connection", msg)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(testCtx(t)); !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := c.Abort(); err != nil {
		t.Errorf("Abort after Close = %v, want nil (idempotent)", err)
	}
	if err := c.Reconnect(testCtx(t)); !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("Reconnect after Close = %v, want ErrClosed", err)
	}
}

// Messages the peer sends before answering Close still reach Receive, in
// order, and then Receive reports ErrClosed; nothing was discarded.
func TestCloseDeliversMessagesInFlight(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/echo"), fastOptions(rec))
	want := []string{"one", "two", "three"}
	for _, m := range want {
		if err := c.Send(testCtx(t), wsfsm.Text, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, m := range want {
		if _, got, err := c.Receive(testCtx(t)); err != nil || string(got) != m {
			t.Fatalf("Receive after Close = %q %v, want %q", got, err, m)
		}
	}
	if _, _, err := c.Receive(testCtx(t)); !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("Receive once drained = %v, want ErrClosed", err)
	}
	if st := c.Stats(); st.MessagesReceived != 3 || st.MessagesDiscarded != 0 {
		t.Errorf("stats: %d received, %d discarded; want 3 and 0", st.MessagesReceived, st.MessagesDiscarded)
	}
	expectPath(t, rec, "Connecting>Open>Closing>Closed")
}

// Sends from many goroutines through forced reconnects: every Send that
// returned nil reached the server, exactly once; the others returned an error.
func TestConcurrentSendsThroughReconnects(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/sink"), fastOptions(rec))
	const senders, each = 8, 150
	var mu sync.Mutex
	sent := map[string]bool{}
	var failed int
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				msg := fmt.Sprintf("%d-%d", g, i)
				err := c.Send(testCtx(t), wsfsm.Text, []byte(msg))
				mu.Lock()
				if err == nil {
					sent[msg] = true
				} else {
					failed++
					if !errors.Is(err, wsfsm.ErrClosed) {
						t.Errorf("Send: %v", err)
					}
				}
				mu.Unlock()
			}
		})
	}
	for range 3 {
		if err := c.Reconnect(testCtx(t)); err != nil {
			t.Fatalf("Reconnect: %v", err)
		}
	}
	wg.Wait()
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	srv.Close() // waits for the sink to read everything the kernel delivered
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[string(m)]++
	}
	for msg := range sent {
		if seen[msg] == 0 {
			t.Errorf("Send(%s) returned nil but the server never got it", msg)
		}
	}
	for msg, n := range seen {
		if n > 1 {
			t.Errorf("server got %s %d times", msg, n)
		}
	}
	if len(sent)+failed != senders*each {
		t.Errorf("%d sent + %d failed != %d", len(sent), failed, senders*each)
	}
	t.Logf("%d sent, %d failed, %d reconnects", len(sent), failed, c.Stats().Reconnects)
}

// Send waits while the connection is re-established, bounded by SendQueue:
// of two Sends while Connecting, one waits and the other gets ErrQueueFull;
// Close ends the wait with ErrClosed.
func TestSendQueueFull(t *testing.T) {
	srv := newSeqServer(t, "/drop-after/0", "hold")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.SendQueue = 1
	c := dial(t, srv.URL(), opts)
	<-srv.Held() // Connecting, and it will stay there
	results := make(chan error, 2)
	for range 2 {
		go func() { results <- c.Send(context.Background(), wsfsm.Text, []byte("waits")) }()
	}
	if err := <-results; !errors.Is(err, wsfsm.ErrQueueFull) {
		t.Errorf("first Send to return = %v, want ErrQueueFull", err)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-results; !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("waiting Send after Close = %v, want ErrClosed", err)
	}
}

// A slow observer blocks neither Abort nor Close (issue 10 item 13: a 3 s
// observer made Abort take 6 s): they return once the Conn is Closed, while
// the observer is still inside its callback; Done closes once it has seen
// every transition, Closed included.
func TestSlowObserverBlocksNeitherAbortNorClose(t *testing.T) {
	for _, op := range []string{"Abort", "Close"} {
		t.Run(op, func(t *testing.T) {
			srv := newServer(t)
			release := make(chan struct{})
			var (
				mu   sync.Mutex
				seen []fsm.State
			)
			opts := &wsfsm.Options{OnTransition: func(tr wsfsm.Transition) {
				coverage.Add(tr.Event, tr.From)
				if tr.To == fsm.Open {
					<-release // the observer waits for what its caller does after Abort
				}
				mu.Lock()
				seen = append(seen, tr.To)
				mu.Unlock()
			}}
			c, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if op == "Abort" {
				_ = c.Abort() // returns although the observer is blocked
			} else if err := c.Close(testCtx(t)); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if c.State() != fsm.Closed {
				t.Errorf("state %s after %s", c.State(), op)
			}
			select {
			case <-c.Done():
				t.Fatal("Done closed while the observer had not seen the last transitions")
			default:
			}
			close(release)
			<-c.Done()
			mu.Lock()
			defer mu.Unlock()
			want := []fsm.State{fsm.Connecting, fsm.Open, fsm.Aborted, fsm.Closed}
			if op == "Close" {
				want = []fsm.State{fsm.Connecting, fsm.Open, fsm.Closing, fsm.Closed}
			}
			if !slices.Equal(seen, want) {
				t.Errorf("observer saw %v by Done, want %v", seen, want)
			}
		})
	}
}

// An observer that calls back into the Conn cannot deadlock it.
func TestObserverMayCallBack(t *testing.T) {
	srv := newServer(t)
	var c *wsfsm.Conn
	ready := make(chan struct{})
	done := make(chan error, 1)
	opts := &wsfsm.Options{OnTransition: func(tr wsfsm.Transition) {
		coverage.Add(tr.Event, tr.From)
		if tr.To == fsm.Open {
			<-ready
			done <- c.Close(context.Background())
		}
	}}
	var err error
	c, err = wsfsm.Dial(testCtx(t), srv.URL("/echo"), opts)
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	if err := <-done; err != nil {
		t.Errorf("Close from the observer: %v", err)
	}
	<-c.Done()
}

// Each dial asks for fresh headers, so a token can be refreshed.
func TestHeaderPerAttempt(t *testing.T) {
	srv := newServer(t)
	var n int
	opts := fastOptions(newRecorder())
	opts.Header = func() http.Header {
		n++ // called by the loop only, one call at a time
		return http.Header{"Authorization": {fmt.Sprintf("Bearer %d", n)}}
	}
	c := dial(t, srv.URL("/echo"), opts)
	if err := c.Reconnect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Abort()
	if n != 2 {
		t.Errorf("Header called %d times, want once per dial (2)", n)
	}
}

// Every transition carries the retry schedule's attempt as it stands after
// the transition's actions: a connection dropped before MinUptime keeps the
// count (Open -> Aborted says the redials so far), each schedule_backoff adds
// one (Aborted -> Reconnecting says the redial coming); with MinUptime < 0
// every Open resets it.
func TestTransitionAttempt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		minUptime time.Duration
		aborted   func(n int) int // the attempt of the n-th Open -> Aborted, from 1
	}{
		{"kept", time.Hour, func(n int) int { return n - 1 }},
		{"reset at Open", -1, func(int) int { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			rec := newRecorder()
			opts := fastOptions(rec)
			opts.MinUptime = tc.minUptime
			c := dial(t, srv.URL("/drop-after/0"), opts)
			for n := 1; n <= 3; n++ {
				if tr := rec.WaitFor(t, fsm.Aborted); tr.From != fsm.Open || tr.Attempt != tc.aborted(n) {
					t.Errorf("Aborted %d: %v, attempt %d; want from Open, attempt %d", n, tr, tr.Attempt, tc.aborted(n))
				}
				want := tc.aborted(n) + 1
				if tr := rec.WaitFor(t, fsm.Reconnecting); tr.Attempt != want {
					t.Errorf("Reconnecting %d: attempt %d, want %d", n, tr.Attempt, want)
				}
			}
			_ = c.Abort()
		})
	}
}

// 500 forced reconnect cycles leave no file descriptor behind.
func TestNoFDGrowthOverReconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("500 cycles")
	}
	before := openFDs(t)
	srv := wstest.NewServer()
	c, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), &wsfsm.Options{PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if err := c.Reconnect(testCtx(t)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	if got := c.Stats().Dials; got != 501 {
		t.Errorf("dials = %d, want 501", got)
	}
	_ = c.Close(testCtx(t))
	srv.Close()
	if after := openFDs(t); after > before {
		t.Errorf("open fds: %d before, %d after 500 reconnects", before, after)
	}
}

func openFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(entries)
}
