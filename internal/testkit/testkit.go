package testkit

import (
	"net"
	"os"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// Main runs the package's tests, then fails the run if goroutines are left
// behind. It starts the network poller first, so that the descriptors the
// poller opens on first use are not counted as a test's by CheckFDs.
func Main(m *testing.M) {
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	goleak.VerifyTestMain(m)
}

// fds lists this process's open file descriptors and what they point to.
// The listing's own descriptor is closed by the time its link is read: it
// is left out, as any other that closes meanwhile.
func fds(tb testing.TB) map[string]string {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("cannot list descriptors: %v", err)
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		if what, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			m[e.Name()] = what
		}
	}
	return m
}

// CheckFDs fails the test if it leaves file descriptors open. Call it first,
// so that its cleanup runs last, after servers and connections are closed.
// grace is how long a descriptor may still take to close after the test's
// own cleanups (a peer's side that closes on our FIN); 0 checks at once.
func CheckFDs(tb testing.TB, grace time.Duration) {
	tb.Helper()
	before := fds(tb)
	tb.Cleanup(func() {
		var leaked []string
		for deadline := time.Now().Add(grace); ; runtime.Gosched() {
			leaked = leaked[:0]
			for fd, what := range fds(tb) {
				if old, ok := before[fd]; !ok || old != what {
					leaked = append(leaked, "file descriptor "+fd+" left open: "+what)
				}
			}
			if len(leaked) == 0 || !time.Now().Before(deadline) {
				break
			}
		}
		for _, l := range leaked {
			tb.Error(l)
		}
	})
}

// NothingOn waits until every goroutine of the test's synctest bubble is
// blocked, then fails the test if ch holds a value, formatted by format.
func NothingOn[T any](tb testing.TB, ch <-chan T, format string) {
	tb.Helper()
	synctest.Wait()
	select {
	case v := <-ch:
		tb.Fatalf(format, v)
	default:
	}
}
