package transport

import (
	"context"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// safety bounds every wait in socket tests; it is a net, not an assertion.
const safety = 10 * time.Second

// checkFDs fails the test if it leaves descriptors open, allowing a peer's
// side the safety bound to close after the test's own cleanups (its handler
// returns on our FIN). Call it first so that its cleanup runs last.
func checkFDs(t *testing.T) {
	t.Helper()
	testkit.CheckFDs(t, safety)
}

// eachScheme runs f in subtests "ws" and "wss", each checking descriptors,
// with a server of that scheme and the DialConfig that trusts it.
func eachScheme(t *testing.T, f func(t *testing.T, s *wstest.Server, cfg DialConfig)) {
	t.Run("ws", func(t *testing.T) {
		checkFDs(t)
		f(t, newServer(t), DialConfig{})
	})
	t.Run("wss", func(t *testing.T) {
		checkFDs(t)
		s := wstest.NewTLSServer()
		t.Cleanup(s.Close)
		f(t, s, DialConfig{TLSConfig: s.ClientTLSConfig()})
	})
}

func newServer(t *testing.T, opts ...wstest.Option) *wstest.Server {
	t.Helper()
	s := wstest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// serveAndDial checks the test's descriptors, starts a wstest server and
// dials path on it.
func serveAndDial(t *testing.T, path string) *Link {
	t.Helper()
	checkFDs(t)
	return dial(t, newServer(t).URL(path), DialConfig{})
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
