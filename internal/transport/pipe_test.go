package transport

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

// hijackRW is the smallest http.ResponseWriter gorilla can upgrade.
type hijackRW struct {
	conn net.Conn
	h    http.Header
}

func (w *hijackRW) Header() http.Header         { return w.h }
func (w *hijackRW) Write(p []byte) (int, error) { return w.conn.Write(p) }
func (w *hijackRW) WriteHeader(int)             {}
func (w *hijackRW) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// pipeLink connects a Link to a gorilla server conn over net.Pipe, with no
// real network and no real time: usable inside a synctest bubble. Both are
// shut when the test ends.
func pipeLink(t *testing.T, writeTimeout time.Duration) (*Link, *websocket.Conn) {
	t.Helper()
	l, s := dialPipe(t, writeTimeout)
	t.Cleanup(func() {
		l.Abort()
		s.Close()
	})
	return l, s
}

// inPipe runs f in a synctest bubble with a link from pipeLink (no write
// timeout) and the server's side of it.
func inPipe(t *testing.T, f func(t *testing.T, l *Link, s *websocket.Conn)) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pipeLink(t, 0)
		f(t, l, s)
	})
}

// dialPipe is pipeLink leaving the link and the server conn to the caller:
// the test keeps no reference to either.
func dialPipe(t *testing.T, writeTimeout time.Duration) (*Link, *websocket.Conn) {
	t.Helper()
	cc, sc := net.Pipe()
	srv := make(chan *websocket.Conn, 1)
	go func() {
		req, err := http.ReadRequest(bufio.NewReader(sc))
		if err != nil {
			srv <- nil
			return
		}
		ws, err := (&websocket.Upgrader{}).Upgrade(&hijackRW{conn: sc, h: http.Header{}}, req, nil)
		if err != nil {
			srv <- nil
			return
		}
		srv <- ws
	}()
	// As Dial does: gorilla reads and writes through a guarding wireConn.
	w := newWireConn(cc, true)
	d := websocket.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) { return w, nil }}
	ws, _, err := d.Dial("ws://pipe/", nil)
	s := <-srv
	if err != nil || s == nil {
		t.Fatalf("pipe handshake failed: %v", err)
	}
	return newLink(ws, cc, w, w, writeTimeout, false), s
}

// countingConn counts the write deadlines that reach the connection.
type countingConn struct {
	net.Conn
	set []time.Time
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.set = append(c.set, t)
	return nil
}

// wireConn passes on a write deadline only when it differs from the one
// set last, whoever set that one (a data frame or a ping).
func TestWireConnSkipsRepeatedDeadlines(t *testing.T) {
	cc := &countingConn{}
	d := newWireConn(cc, false)
	t1, t2 := time.Unix(100, 0), time.Unix(200, 0)
	for _, dl := range []time.Time{t1, t1, t1, t2, t1, {}, {}} {
		d.SetWriteDeadline(dl)
	}
	if want := []time.Time{t1, t2, t1, {}}; !slices.EqualFunc(cc.set, want, time.Time.Equal) {
		t.Errorf("deadlines set %v, want %v", cc.set, want)
	}
}
