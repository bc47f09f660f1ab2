package wstest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// pipeDial connects a gorilla client to r over net.Pipe, with no socket and
// no real clock: inside a synctest bubble, time is fake and "nothing happens"
// is something synctest.Wait can prove. The router serves on a goroutine of
// its own; the test must end the connection (Router.Shutdown does).
func pipeDial(t *testing.T, r *Router, path string) *websocket.Conn {
	t.Helper()
	client, server := net.Pipe()
	go r.ServeConn(server)
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

// inBubble runs f in a synctest bubble with a Router, shut down when f
// returns, on failure too: no goroutine may outlive the bubble.
func inBubble(t *testing.T, f func(t *testing.T, r *Router)) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRouter()
		defer r.Shutdown()
		f(t, r)
	})
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
	inBubble(t, func(t *testing.T, r *Router) {
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
		testkit.NothingOn(t, read, "after our close frame: read = %v, want no answer and the connection open")
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
	inBubble(t, func(t *testing.T, r *Router) {
		ws := pipeDial(t, r, "/silent?for=30s")
		start := time.Now()
		err := ws.WriteControl(websocket.PingMessage, nil, start.Add(time.Second))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("ping to a silent server: %v, want a write timeout (it never reads)", err)
		}
		read := readAsync(ws)
		time.Sleep(start.Add(30*time.Second - time.Nanosecond).Sub(time.Now()))
		testkit.NothingOn(t, read, "before 30s: read = %v, want nothing yet")
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

// pipeRequest sends a bare GET for path to r over a net.Pipe and returns the
// client's end, for paths that never complete the upgrade.
func pipeRequest(t *testing.T, r *Router, path string) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	go r.ServeConn(server)
	t.Cleanup(func() { client.Close() })
	if _, err := client.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: pipe\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	return client
}

// readAllAsync reads c to its end on a goroutine; the channel gets what was
// read and the error that ended it.
func readAllAsync(c net.Conn) <-chan string {
	done := make(chan string, 1)
	go func() {
		b, err := io.ReadAll(c)
		done <- fmt.Sprintf("%q, %v", b, err)
	}()
	return done
}

// /stall holds the connection without a byte of answer: with ?for=, exactly
// that long; without, until the router drops it. It is no upgrade.
func TestStallNeverAnswers(t *testing.T) {
	inBubble(t, func(t *testing.T, r *Router) {
		start := time.Now()
		read := readAllAsync(pipeRequest(t, r, "/stall?for=30s"))
		time.Sleep(30*time.Second - time.Nanosecond)
		testkit.NothingOn(t, read, "before 30s: read %s, want nothing yet")
		if r.Conns() != 1 || r.Accepted() != 0 {
			t.Errorf("while stalled: Conns %d, Accepted %d; want 1 held, 0 upgrades", r.Conns(), r.Accepted())
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		select {
		case got := <-read:
			if got != `"", <nil>` {
				t.Errorf("after 30s: read %s, want no byte, then EOF", got)
			}
		default:
			t.Fatalf("still open %v after ?for=30s", time.Since(start))
		}

		read = readAllAsync(pipeRequest(t, r, "/stall"))
		time.Sleep(24 * time.Hour)
		testkit.NothingOn(t, read, "without ?for=: read %s after a day, want nothing")
		r.Shutdown()
		if got := <-read; got != `"", <nil>` {
			t.Errorf("after Shutdown: read %s, want no byte, then EOF", got)
		}
	})
}

// /ping pings every ?every=, reports each pong at the instant it came, and
// closes after ?count= of them; a client that does not answer gets no report.
func TestPingEveryInterval(t *testing.T) {
	inBubble(t, func(t *testing.T, r *Router) {
		ws := pipeDial(t, r, "/ping?every=2s&count=3")
		start := time.Now()
		for k := 1; k <= 3; k++ {
			_, got, err := ws.ReadMessage() // gorilla answers pings inside reads
			if err != nil || string(got) != fmt.Sprintf("pong %d", k) {
				t.Fatalf("message %d = %q, %v; want pong %d", k, got, err, k)
			}
			if at := time.Since(start); at != time.Duration(k)*2*time.Second {
				t.Errorf("pong %d reported at %v, want %v", k, at, time.Duration(k)*2*time.Second)
			}
		}
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 1000 || ce.Text != "pings answered" {
			t.Errorf("after 3 pongs: %v, want close 1000 %q", err, "pings answered")
		}

		mute := pipeDial(t, r, "/ping?every=1s")
		mute.SetPingHandler(func(string) error { return nil }) // never answers
		read := readAsync(mute)
		time.Sleep(time.Minute)
		testkit.NothingOn(t, read, "a client that never answers got %v, want no report")
		r.Shutdown()
		<-read
	})
}

// /ping-flood against a client that answers no ping reports none, after
// DefaultCloseWait and not before.
func TestPingFloodUnanswered(t *testing.T) {
	inBubble(t, func(t *testing.T, r *Router) {
		ws := pipeDial(t, r, "/ping-flood?count=10")
		ws.SetPingHandler(func(string) error { return nil })
		start := time.Now()
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != "ping-flood: sent 11 pings, received 0 pongs" {
			t.Fatalf("summary = %q, %v", got, err)
		}
		if waited := time.Since(start); waited != DefaultCloseWait {
			t.Errorf("summary after %v, want DefaultCloseWait (%v)", waited, DefaultCloseWait)
		}
	})
}
