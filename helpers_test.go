package wsfsm_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// TestMain checks, after the whole suite, that every (event, from-state) pair of
// the generated transition table was taken by some test, and that no goroutine
// was left behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && fullRun() {
		if missing := coverage.missing(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "transition coverage: pairs never taken: %s\n", strings.Join(missing, ", "))
			code = 1
		} else {
			fmt.Fprintf(os.Stderr, "transition coverage: all %d (event, from) pairs of fsm.Table() taken\n", len(fsm.Table()))
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fullRun reports whether no -run, -skip or -short narrowed the suite, so that
// the coverage check is meaningful.
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

// pairs records which (event, from) pairs the suite took.
type pairs struct {
	mu    sync.Mutex
	taken map[string]bool
}

var coverage = &pairs{taken: map[string]bool{}}

func pairKey(e fsm.Event, from fsm.State) string { return e.String() + " from " + from.String() }

func (p *pairs) add(t wsfsm.Transition) {
	p.mu.Lock()
	p.taken[pairKey(t.Event, t.From)] = true
	p.mu.Unlock()
}

func (p *pairs) missing() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range fsm.Table() {
		if !p.taken[pairKey(e.Event, e.From)] {
			out = append(out, pairKey(e.Event, e.From))
		}
	}
	sort.Strings(out)
	return out
}

// recorder collects a Conn's transitions for assertions.
type recorder struct {
	mu  sync.Mutex
	all []wsfsm.Transition
	ch  chan wsfsm.Transition
}

func newRecorder() *recorder { return &recorder{ch: make(chan wsfsm.Transition, 4096)} }

func (r *recorder) on(t wsfsm.Transition) {
	coverage.add(t)
	r.mu.Lock()
	r.all = append(r.all, t)
	r.mu.Unlock()
	r.ch <- t
}

// waitFor consumes transitions until one enters state to, and returns it.
func (r *recorder) waitFor(t testing.TB, to fsm.State) wsfsm.Transition {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second) // a safety net, not a measurement
	defer deadline.Stop()
	for {
		select {
		case tr := <-r.ch:
			if tr.To == to {
				return tr
			}
		case <-deadline.C:
			t.Fatalf("no transition into %s; so far: %s", to, r.path())
		}
	}
}

// path renders every transition so far as "Connecting>Open>Aborted...".
func (r *recorder) path() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.all) == 0 {
		return ""
	}
	parts := []string{r.all[0].From.String()}
	for _, t := range r.all {
		parts = append(parts, t.To.String())
	}
	return strings.Join(parts, ">")
}

func (r *recorder) transitions() []wsfsm.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wsfsm.Transition(nil), r.all...)
}

// fastOptions are options for tests: short timers so that a scenario takes
// milliseconds, and a recorder.
func fastOptions(rec *recorder) *wsfsm.Options {
	return &wsfsm.Options{
		HandshakeTimeout: 5 * time.Second,
		CloseTimeout:     2 * time.Second,
		PingInterval:     -1,
		BackoffInitial:   time.Millisecond,
		BackoffMax:       5 * time.Millisecond,
		MinUptime:        -1,
		OnTransition:     rec.on,
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newServer(t testing.TB, opts ...wstest.Option) *wstest.Server {
	s := wstest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func dial(t testing.TB, url string, opts *wsfsm.Options) *wsfsm.Conn {
	t.Helper()
	c, err := wsfsm.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.Abort() })
	return c
}

func expectPath(t testing.TB, rec *recorder, want string) {
	t.Helper()
	if got := rec.path(); got != want {
		t.Errorf("states:\n got %s\nwant %s", got, want)
	}
}

// echo sends msg and expects it back.
func echo(t testing.TB, c *wsfsm.Conn, msg string) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Send(ctx, wsfsm.Text, []byte(msg)); err != nil {
		t.Fatalf("Send(%q): %v", msg, err)
	}
	typ, got, err := c.Receive(ctx)
	if err != nil || typ != wsfsm.Text || string(got) != msg {
		t.Fatalf("Receive = %v %q %v, want text %q", typ, got, err, msg)
	}
}

// seqServer serves its i-th request as if it asked for paths[i] (the last path
// repeats) on a wstest router; the path "hold" accepts the request and never
// answers it, so that a dial stays in Connecting.
type seqServer struct {
	router  *wstest.Router
	srv     *httptest.Server
	count   atomic.Int64
	held    chan struct{} // receives once per held request
	release chan struct{}
}

func newSeqServer(t testing.TB, paths ...string) *seqServer {
	g := &seqServer{router: wstest.NewRouter(), held: make(chan struct{}, 1024), release: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(g.count.Add(1)) - 1
		path := paths[min(i, len(paths)-1)]
		if path == "hold" {
			g.held <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-g.release:
			}
			return
		}
		u, err := url.Parse(path)
		if err != nil {
			panic(err)
		}
		r.URL.Path, r.URL.RawQuery = u.Path, u.RawQuery
		g.router.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(g.release)
		g.router.Shutdown()
		g.srv.Close()
	})
	return g
}

// URL is the server's ws:// URL; the path is chosen by the sequence.
func (g *seqServer) URL() string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/" }
