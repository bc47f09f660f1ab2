// Package testkit is the scaffolding the library's tests share: the goroutine
// and file-descriptor leak checks, loopback test servers, and the bookkeeping
// of connections a test server takes over. Only tests import it.
package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
func fds(tb testing.TB) map[string]string {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("cannot list descriptors: %v", err)
	}
	m := make(map[string]string, len(ents))
	for _, e := range ents {
		m[e.Name()], _ = os.Readlink("/proc/self/fd/" + e.Name())
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

// LoopbackTLS is httptest's certificate for 127.0.0.1 as a server
// configuration that presents it and a client configuration that trusts it.
func LoopbackTLS() (server, client *tls.Config) {
	cert := httptest.NewUnstartedServer(http.NotFoundHandler())
	cert.StartTLS()
	defer cert.Close()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Certificate())
	return &tls.Config{Certificates: cert.TLS.Certificates}, &tls.Config{RootCAs: pool}
}

// WSURL is the ws:// (or wss://) URL of an httptest server's http:// (or
// https://) URL.
func WSURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// Serve serves h on 127.0.0.1 until the test ends and returns its ws:// URL.
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return WSURL(srv.URL)
}

// ServeWS serves on 127.0.0.1 until the test ends a WebSocket endpoint that
// upgrades each request with up and hands the connection to serve, closing
// it when serve returns, and returns its ws:// URL. A request that fails to
// upgrade is answered by up and goes no further.
func ServeWS(tb testing.TB, up *websocket.Upgrader, serve func(ws *websocket.Conn)) string {
	tb.Helper()
	return Serve(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		serve(ws)
	}))
}

// Echo sends back every message ws reads, until reading or writing fails.
func Echo(ws *websocket.Conn) {
	for {
		typ, m, err := ws.ReadMessage()
		if err != nil || ws.WriteMessage(typ, m) != nil {
			return
		}
	}
}

// CountingConn is a net.Conn that adds the bytes it reads to In and the
// bytes it writes to Out; a nil counter counts nothing.
type CountingConn struct {
	net.Conn
	In, Out *atomic.Int64
}

// Read reads from the connection and adds what it read to In.
func (c *CountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.In != nil {
		c.In.Add(int64(n))
	}
	return n, err
}

// Write writes to the connection and adds what it wrote to Out.
func (c *CountingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.Out != nil {
		c.Out.Add(int64(n))
	}
	return n, err
}

// Drain reads and discards ws's messages until reading fails.
func Drain(ws *websocket.Conn) {
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}

// Conns keeps the connections a test server took over (hijacked, accepted
// from its own listener or dialled onwards) and the goroutines serving them,
// which httptest does not wait for. The zero value is ready to use.
type Conns struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// Add keeps c, to be closed by Close.
func (cs *Conns) Add(c net.Conn) {
	cs.mu.Lock()
	cs.conns = append(cs.conns, c)
	cs.mu.Unlock()
}

// Go runs f on a goroutine that Close waits for.
func (cs *Conns) Go(f func()) { cs.wg.Go(f) }

// Accept takes each connection ln accepts, until ln is closed, keeps it and
// runs serve on it, on goroutines that Close waits for.
func (cs *Conns) Accept(ln net.Listener, serve func(c net.Conn)) {
	cs.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cs.Add(c)
			cs.Go(func() { serve(c) })
		}
	})
}

// Handler is h with each request it serves counted as a goroutine that
// Close waits for: httptest does not wait for hijacked connections' handlers.
func (cs *Conns) Handler(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.wg.Add(1)
		defer cs.wg.Done()
		h(w, r)
	})
}

// Close closes every connection kept and waits for the goroutines started
// by Go to return.
func (cs *Conns) Close() {
	cs.mu.Lock()
	for _, c := range cs.conns {
		c.Close()
	}
	cs.mu.Unlock()
	cs.wg.Wait()
}
