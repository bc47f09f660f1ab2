package transport

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
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
// real network and no real time: usable inside a synctest bubble.
func pipeLink(t *testing.T, writeTimeout time.Duration) (*Link, *websocket.Conn) {
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
	d := websocket.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) { return cc, nil }}
	ws, _, err := d.Dial("ws://pipe/", nil)
	s := <-srv
	if err != nil || s == nil {
		t.Fatalf("pipe handshake failed: %v", err)
	}
	l := newLink(ws, cc, writeTimeout, false)
	t.Cleanup(func() {
		l.Abort()
		s.Close()
	})
	return l, s
}
