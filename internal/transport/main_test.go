package transport

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/wstest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Start the network poller before any test counts descriptors.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	goleak.VerifyTestMain(m)
}

// safety bounds every wait in socket tests; it is a net, not an assertion.
const safety = 10 * time.Second

// fds lists this process's open file descriptors and what they point to.
func fds(t testing.TB) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list descriptors: %v", err)
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		m[e.Name()], _ = os.Readlink("/proc/self/fd/" + e.Name())
	}
	return m
}

// checkFDs fails the test if it leaves descriptors open. Call it first so
// that its cleanup runs last, after servers and links are closed.
func checkFDs(t *testing.T) {
	t.Helper()
	before := fds(t)
	t.Cleanup(func() {
		// A peer's side may close a moment after the test's own cleanups
		// (its handler returns on our FIN): wait for that, within a bound.
		var leaked []string
		for deadline := time.Now().Add(safety); ; runtime.Gosched() {
			leaked = leaked[:0]
			for fd, what := range fds(t) {
				if old, ok := before[fd]; !ok || old != what {
					leaked = append(leaked, "file descriptor "+fd+" left open: "+what)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		for _, l := range leaked {
			t.Error(l)
		}
	})
}

func newServer(t *testing.T, opts ...wstest.Option) *wstest.Server {
	t.Helper()
	s := wstest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	t.Cleanup(cancel)
	return ctx
}

// dial dials url and registers an abort at cleanup.
func dial(t *testing.T, url string, cfg DialConfig) *Link {
	t.Helper()
	l, err := Dial(testCtx(t), url, cfg)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() {
		l.Abort()
		<-l.Done()
	})
	return l
}

// reader starts the link's reader; messages arrive on the first channel,
// the terminal error on the second. Its stop channel is never closed: the
// tests consume what they expect and the buffer holds the rest.
func reader(l *Link) (chan Message, chan error) {
	msgs := make(chan Message, 64)
	errc := make(chan error, 1)
	l.StartReader(msgs, nil, Turn{}, func(err error, _ uint64) { errc <- err })
	return msgs, errc
}

// recv waits for one value, failing the test after the safety bound.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(safety):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// waitDone waits for the link to finish.
func waitDone(t *testing.T, l *Link) {
	t.Helper()
	select {
	case <-l.Done():
	case <-time.After(safety):
		t.Fatal("link never finished")
	}
}

// newHTTPServer serves h on 127.0.0.1 and returns its ws:// URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}
