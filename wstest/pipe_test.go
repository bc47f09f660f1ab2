package wstest

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

// hijackWriter is the http.ResponseWriter of a request read off one end of a
// net.Pipe: the router upgrades by hijacking that end.
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

// pipeDial connects a gorilla client to r over net.Pipe, with no socket and
// no real clock: inside a synctest bubble, time is fake and "nothing happens"
// is something synctest.Wait can prove. The router serves on a goroutine of
// its own; the test must end the connection (Router.Shutdown does).
func pipeDial(t *testing.T, r *Router, path string) *websocket.Conn {
	t.Helper()
	client, server := net.Pipe()
	go func() {
		br := bufio.NewReader(server)
		req, err := http.ReadRequest(br)
		if err != nil {
			server.Close()
			return
		}
		r.ServeHTTP(&hijackWriter{server, bufio.NewReadWriter(br, bufio.NewWriter(server)), http.Header{}}, req)
	}()
	u, err := url.Parse("ws://pipe" + path)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.NewClient(client, u, nil, 1024, 1024)
	if err != nil {
		t.Fatalf("upgrade %s over a pipe: %v", path, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readAsync reads the next message on a goroutine; the channel gets its error.
func readAsync(ws *websocket.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, _, err := ws.ReadMessage()
		done <- err
	}()
	return done
}

// /ignore-close echoes, then neither answers a close frame nor closes TCP,
// however long the client waits.
func TestIgnoreCloseNeverAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRouter()
		defer r.Shutdown() // on failure too: no goroutine may outlive the bubble
		ws := pipeDial(t, r, "/ignore-close")
		if err := ws.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != "x" {
			t.Fatalf("echo = %q, %v", got, err)
		}
		if err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second)); err != nil {
			t.Fatalf("close frame: %v", err)
		}
		read := readAsync(ws)
		time.Sleep(time.Hour) // fake time
		synctest.Wait()
		select {
		case err := <-read:
			t.Fatalf("after our close frame: read = %v, want no answer and the connection open", err)
		default:
		}
		r.Shutdown()
		if err := <-read; !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			t.Errorf("after Shutdown: read = %v, want 1006", err)
		}
	})
}

// /silent reads nothing (a ping cannot even be written to a pipe nobody
// reads) and writes nothing; with ?for= it drops the connection after that
// long, not a moment before.
func TestSilentFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRouter()
		defer r.Shutdown()
		ws := pipeDial(t, r, "/silent?for=30s")
		start := time.Now()
		err := ws.WriteControl(websocket.PingMessage, nil, start.Add(time.Second))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("ping to a silent server: %v, want a write timeout (it never reads)", err)
		}
		read := readAsync(ws)
		time.Sleep(start.Add(30*time.Second - time.Nanosecond).Sub(time.Now()))
		synctest.Wait()
		select {
		case err := <-read:
			t.Fatalf("before 30s: read = %v, want nothing yet", err)
		default:
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		select {
		case err := <-read:
			if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
				t.Errorf("after 30s: read = %v, want 1006 (dropped, no close frame)", err)
			}
		default:
			t.Fatal("still open after ?for=30s")
		}
	})
}
