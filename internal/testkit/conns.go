package testkit

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

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

// Tunnel relays between a proxy's client connection down, read through
// fromDown (which holds what came past the proxy request), and the
// connection up it opened onwards: down's bytes go up, then up's write side
// is shut; up's come down, then down is closed; Tunnel returns when both
// directions are done. The copies are plain: a TCP-to-TCP io.Copy would
// splice through pooled pipes that outlive the test (CheckFDs).
func Tunnel(down net.Conn, fromDown io.Reader, up *net.TCPConn) {
	var toUp sync.WaitGroup
	toUp.Go(func() {
		_, _ = io.Copy(struct{ io.Writer }{up}, fromDown)
		_ = up.CloseWrite()
	})
	_, _ = io.Copy(struct{ io.Writer }{down}, struct{ io.Reader }{up})
	down.Close()
	toUp.Wait()
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
