package wsfsm_test

// Regression tests for the runtime's side of issue 17: every guarantee holds
// for every spec, and for every hook. Each failed before its fix.

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/internal/testspecs/handshake"
	"github.com/wsfsm/wsfsm/wsfsmtest"
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

// Item 9: Setup.Send refuses what Conn.Send refuses (only Text and Binary),
// with the same error. Before, types 8, 9 and 10 went out as control frames.
func TestSetupSendRefusesWhatSendRefuses(t *testing.T) {
	srv := newServer(t)
	for _, typ := range []wsfsm.MessageType{0, 3, 8, 9, 10} {
		var setupErr error
		opts := fastOptions(newRecorder())
		opts.OnConnect = func(ctx context.Context, s *wsfsm.Setup) error {
			setupErr = s.Send(ctx, typ, []byte("x"))
			return nil
		}
		c := dial(t, srv.URL("/echo"), opts)
		sendErr := c.Send(testCtx(t), typ, []byte("x"))
		if sendErr == nil || !errors.Is(setupErr, wsfsm.ErrBadMessageType) || !errors.Is(sendErr, wsfsm.ErrBadMessageType) {
			t.Errorf("type %d: Setup.Send = %v, Send = %v; want both ErrBadMessageType", typ, setupErr, sendErr)
		}
		echo(t, c, "still open") // nothing broke the connection
		_ = c.Close(testCtx(t))
	}
}

// fireExt's handshake fires a library event (refused), then acknowledged
// (taken), then acknowledged again (the state was left: not taken).
type fireExt struct{ errs chan [3]error }

func (x fireExt) AwaitAck(s *handshake.Step) {
	var errs [3]error
	errs[0] = s.Fire(handshake.EventRedial, nil)
	errs[1] = s.Fire(handshake.EventAcknowledged, nil)
	errs[2] = s.Fire(handshake.EventAcknowledged, nil)
	x.errs <- errs
}

// Item 7: Step.Fire of an event that cannot be taken returns an error and is
// logged. Before, it was dropped silently.
func TestStepFireReportsEventsNotTaken(t *testing.T) {
	srv := newServer(t)
	var logs strings.Builder
	var mu sync.Mutex
	opts := hostileOptions(wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil))
	opts.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	x := fireExt{make(chan [3]error, 1)}
	c, err := handshake.Dial(testCtx(t), srv.URL("/echo"), opts, x)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	errs := <-x.errs
	if !errors.Is(errs[0], wsfsm.ErrEventNotAllowed) || errs[1] != nil || !errors.Is(errs[2], wsfsm.ErrEventNotAllowed) {
		t.Errorf("Fire(redial), Fire(acknowledged) twice = %v; want ErrEventNotAllowed, nil, ErrEventNotAllowed", errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "event not taken"); n < 2 {
		t.Errorf("%d log lines for the events not taken, want 2:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// waitExt's handshake acknowledges the first connection as ackExt does; on
// later ones it only reads, and an echo server sends nothing unprompted: it
// waits in Step.Receive, and says so on reading once the read is under way.
type waitExt struct {
	calls   *atomic.Int32
	reading chan struct{}
}

func newWaitExt() waitExt { return waitExt{new(atomic.Int32), make(chan struct{}, 1)} }

func (x waitExt) AwaitAck(s *handshake.Step) {
	if x.calls.Add(1) == 1 {
		ackExt{}.AwaitAck(s)
		return
	}
	s.Go(func(ctx context.Context) error {
		_, _, err := s.Receive(&signalCtx{Context: ctx, signal: x.reading})
		return err
	})
}

// signalCtx signals the first time its Done is asked for: the read waits on
// it.
type signalCtx struct {
	context.Context
	once   sync.Once
	signal chan<- struct{}
}

func (c *signalCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.signal <- struct{}{} })
	return c.Context.Done()
}

// dialWaiting dials the hostile spec with waitExt, then reconnects: it
// returns once the new connection's handshake waits in Step.Receive.
func dialWaiting(t *testing.T, url string) (*handshake.Conn, *wsfsmtest.Recorder[handshake.State, handshake.Event]) {
	t.Helper()
	rec := wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil)
	opts := hostileOptions(rec)
	opts.HandshakeTimeout = 5 * time.Second
	opts.CloseTimeout = 5 * time.Second
	x := newWaitExt()
	c, err := handshake.Dial(testCtx(t), url, opts, x)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Abort() })
	go func() { _ = c.Reconnect(testCtx(t)) }() // returns once Open, or with ErrClosed
	<-x.reading
	return c, rec
}

// Item 11: leaving a state whose action waits in Step.Receive does not end
// the Conn: the abandoned read is no abort (before, its context.Canceled
// classified as stop, and the Conn ended Closed), and what it reads reaches
// Receive first.
func TestLeavingAReadingStateKeepsTheConn(t *testing.T) {
	srv := newServer(t)
	for range 5 {
		c, rec := dialWaiting(t, srv.URL("/echo"))
		if err := c.Proceed(testCtx(t)); err != nil {
			t.Fatalf("Proceed: %v (states %s)", err, rec.Path())
		}
		echoOf(t, c.ConnOf, "after the handshake", rec.Path)
		if st, err := c.State(), c.Err(); st != handshake.Open || err != nil {
			t.Errorf("state %s, Err %v; want Open, nil (states %s)", st, err, rec.Path())
		}
		_ = c.Close(testCtx(t))
	}
}

// Item 6: Close while a handshake state's action reads returns the clean
// close result. Before, it returned "close: transport: close: connection
// aborted: context canceled", through Closing -> Aborted -> Closed.
func TestCloseWhileAHandshakeReads(t *testing.T) {
	srv := newServer(t)
	for range 5 {
		c, rec := dialWaiting(t, srv.URL("/echo"))
		if err := c.Close(testCtx(t)); err != nil {
			t.Fatalf("Close = %v, want nil (states %s)", err, rec.Path())
		}
		rec.WaitFor(t, handshake.Closed)
		if p := rec.Path(); !strings.HasSuffix(p, "Authenticating>Closing>Closed") {
			t.Errorf("states %s, want ...Authenticating>Closing>Closed", p)
		}
	}
}

// echoOf sends msg on any machine's Conn and expects it back.
func echoOf[S, E wsfsm.Enum](t *testing.T, c *wsfsm.ConnOf[S, E], msg string, path func() string) {
	t.Helper()
	if err := c.Send(testCtx(t), wsfsm.Text, []byte(msg)); err != nil {
		t.Fatalf("Send(%q): %v", msg, err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	if _, got, err := c.Receive(ctx); err != nil || string(got) != msg {
		t.Fatalf("Receive = %q, %v; want %q (states %s, stats %+v)", got, err, msg, path(), c.Stats())
	}
}

// Item 13: each message says which dial's connection read it, and a
// handshake hands what it read past its end on to Receive, in order, before
// the reader's messages. Before, neither was possible.
func TestMessagesSayTheirDialAndHandshakesForward(t *testing.T) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	opts.OnConnect = func(ctx context.Context, s *wsfsm.Setup) error {
		for _, m := range []string{"handshake", "past it 1", "past it 2", "the reader's"} {
			if err := s.Send(ctx, wsfsm.Text, []byte(m)); err != nil {
				return err
			}
		}
		for range 3 { // its own answer, then two messages that are not its own
			typ, data, err := s.Receive(ctx)
			if err != nil {
				return err
			}
			if string(data) != "handshake" {
				if err := s.Forward(typ, data); err != nil {
					return err
				}
			}
		}
		return nil
	}
	c := dial(t, srv.URL("/echo"), opts)
	for dial := 1; dial <= 2; dial++ {
		for _, want := range []string{"past it 1", "past it 2", "the reader's"} {
			m, err := c.ReceiveMessage(testCtx(t))
			if err != nil || string(m.Data) != want || m.Dial != dial {
				t.Fatalf("ReceiveMessage = %q from dial %d, %v; want %q from dial %d", m.Data, m.Dial, err, want, dial)
			}
		}
		if dial == 1 {
			if err := c.Reconnect(testCtx(t)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st := c.Stats(); st.MessagesReceived != 8 {
		t.Errorf("Stats.MessagesReceived = %d, want 8: 2 handshake answers, 6 messages, each forwarded one counted once", st.MessagesReceived)
	}
}

// Item 14: OnTransition reports the initial entry into the initial state, so
// that the dials are the entries into Connecting. Before, the first dial had
// no transition.
func TestObserverSeesTheInitialEntry(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	c := dial(t, srv.URL("/echo"), fastOptions(rec))
	if err := c.Reconnect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close(testCtx(t))
	<-c.Done()
	all := rec.Transitions()
	first := all[0]
	if first.From != fsm.Connecting || first.To != fsm.Connecting || first.Event != fsm.NoEvent || !first.Initial() {
		t.Errorf("first transition %v, want the initial entry into Connecting", first)
	}
	entries := 0
	for _, tr := range all {
		if tr.To == fsm.Connecting {
			entries++
		}
	}
	if dials := c.Stats().Dials; uint64(entries) != dials {
		t.Errorf("%d entries into Connecting, %d dials; want them equal", entries, dials)
	}
}

// Item 14: a server that answers the close frame by resetting TCP ends the
// close as one that shuts TCP with no close frame does: Close returns nil,
// and the close code is 1006. Before, Close returned "connection reset by
// peer", an error its docs did not name.
func TestCloseAnsweredByAReset(t *testing.T) {
	url := testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		ws.SetCloseHandler(func(int, string) error {
			tc := ws.NetConn().(*net.TCPConn)
			tc.SetLinger(0)
			return tc.Close() // RST, no close frame
		})
		testkit.Drain(ws)
	})
	for range 5 {
		c := dial(t, url, fastOptions(newRecorder()))
		if err := c.Close(testCtx(t)); err != nil {
			t.Errorf("Close = %v, want nil", err)
		}
		if st := c.Stats(); st.CloseCode != 1006 {
			t.Errorf("Stats.CloseCode = %d, want 1006", st.CloseCode)
		}
	}
}
