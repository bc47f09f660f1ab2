package wstest

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// ServeConn reads one HTTP request off c and serves it as ServeHTTP does,
// upgrading over c itself: a server for a connection made by other means
// than a listener, such as one end of a net.Pipe. It returns once the
// request was served (for a WebSocket path, once that connection ended).
func (r *Router) ServeConn(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		c.Close()
		return
	}
	r.ServeHTTP(&hijackWriter{c, bufio.NewReadWriter(br, bufio.NewWriter(c)), http.Header{}}, req)
}

// PipeDialer returns a dialer (a NetDialContext) that connects every dial
// to r over a new net.Pipe, served by ServeConn on a goroutine of its own:
// no socket and no real clock, so that inside a testing/synctest bubble a
// client's timeouts run in fake time. Shutdown ends what it served.
func (r *Router) PipeDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go r.ServeConn(server)
		return client, nil
	}
}

// hijackWriter is the http.ResponseWriter of a request read off a
// connection: the router upgrades by hijacking it.
type hijackWriter struct {
	conn net.Conn
	rw   *bufio.ReadWriter
	hdr  http.Header
}

func (w *hijackWriter) Header() http.Header         { return w.hdr }
func (w *hijackWriter) Write(b []byte) (int, error) { return w.conn.Write(b) }
func (w *hijackWriter) WriteHeader(int)             {}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, w.rw, nil
}
