package wstest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// checkFDs fails the test if descriptors opened during it are still open at
// its end; call it first so that its cleanup runs last.
func checkFDs(t *testing.T) {
	t.Helper()
	testkit.CheckFDs(t, 0)
}

// deadline bounds every client read; it is a safety net.
func deadline() time.Time { return time.Now().Add(10 * time.Second) }

func start(t *testing.T, opts ...Option) *Server {
	t.Helper()
	checkFDs(t)
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func connect(t *testing.T, url string, d *websocket.Dialer) *websocket.Conn {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{}
	}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(deadline())
	return ws
}

func TestEcho(t *testing.T) {
	s := start(t)
	if !strings.HasPrefix(s.URL("/echo"), "ws://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL("/echo"))
	}
	ws := connect(t, s.URL("/echo"), nil)
	for _, m := range []struct {
		typ  int
		data string
	}{{websocket.TextMessage, "hi"}, {websocket.BinaryMessage, "\x00\x01"}} {
		ws.WriteMessage(m.typ, []byte(m.data))
		typ, got, err := ws.ReadMessage()
		if err != nil || typ != m.typ || string(got) != m.data {
			t.Errorf("echo = %d %q %v, want %d %q", typ, got, err, m.typ, m.data)
		}
	}
	if s.Conns() != 1 || s.Accepted() != 1 {
		t.Errorf("Conns %d Accepted %d, want 1 1", s.Conns(), s.Accepted())
	}
}

// With Compression, /echo accepts permessage-deflate and echoes
// compressed messages; without it, it declines.
func TestCompression(t *testing.T) {
	for _, on := range []bool{false, true} {
		var opts []Option
		if on {
			opts = append(opts, Compression())
		}
		s := start(t, opts...)
		d := &websocket.Dialer{EnableCompression: true}
		ws, resp, err := d.Dial(s.URL("/echo"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ext := resp.Header.Get("Sec-WebSocket-Extensions")
		if strings.Contains(ext, "permessage-deflate") != on {
			t.Errorf("Compression %v: Sec-WebSocket-Extensions %q", on, ext)
		}
		msg := strings.Repeat("compressible ", 100)
		ws.SetReadDeadline(deadline())
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
			t.Errorf("Compression %v: echo %d bytes, %v", on, len(got), err)
		}
		ws.Close()
	}
}

func TestCloseWithCode(t *testing.T) {
	s := start(t)
	ws := connect(t, s.URL("/close/1012?reason=restart&after=1"), nil)
	ws.WriteMessage(websocket.TextMessage, []byte("one"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "one" {
		t.Fatalf("echo before close = %q, %v", got, err)
	}
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, 1012) || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("read = %v, want close 1012 restart", err)
	}

	ws = connect(t, s.URL("/close/1006"), nil)
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
		t.Errorf("/close/1006: read = %v, want 1006 (TCP closed, no frame)", err)
	}
}

func TestDropAfter(t *testing.T) {
	s := start(t)
	ws := connect(t, s.URL("/drop-after/1"), nil)
	ws.WriteMessage(websocket.TextMessage, []byte("a"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "a" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
		t.Errorf("read after N = %v, want 1006", err)
	}
}

// DropAll cuts every live connection (here two silent ones) with no close
// frame, and the server keeps accepting. (What /silent and /ignore-close do
// not do is proven without sockets or a real clock in pipe_test.go.)
func TestSilentAndDropAll(t *testing.T) {
	s := start(t)
	ws := connect(t, s.URL("/silent"), nil)
	ws2 := connect(t, s.URL("/silent"), nil)
	s.DropAll()
	for _, c := range []*websocket.Conn{ws, ws2} {
		if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			t.Errorf("after DropAll: read = %v, want 1006", err)
		}
	}
	ws3 := connect(t, s.URL("/echo"), nil) // still listening
	ws3.WriteMessage(websocket.TextMessage, []byte("ok"))
	if _, got, err := ws3.ReadMessage(); err != nil || string(got) != "ok" {
		t.Errorf("echo after DropAll = %q, %v", got, err)
	}
	s.Close()
	if s.Conns() != 0 || s.Accepted() != 3 {
		t.Errorf("after Close: Conns %d Accepted %d, want 0 3", s.Conns(), s.Accepted())
	}
}

// A range of Retry-After spreads the clients a server refuses together over
// the window: every value in it comes up, and nothing outside it.
func TestRejectRetryAfterRange(t *testing.T) {
	s := start(t)
	seen := map[string]int{}
	for range 200 {
		_, resp, err := websocket.DefaultDialer.Dial(s.URL("/reject/503?retry_after=10-13"), nil)
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
			t.Fatalf("dial = %v, want a refused handshake", err)
		}
		seen[resp.Header.Get("Retry-After")]++
	}
	if len(seen) != 4 || seen["10"] == 0 || seen["11"] == 0 || seen["12"] == 0 || seen["13"] == 0 {
		t.Errorf("Retry-After values over 200 refusals: %v, want each of 10..13", seen)
	}
}

func TestReject(t *testing.T) {
	s := start(t)
	for path, want := range map[string][2]string{
		"/reject/503":                     {"503", "2"},
		"/reject/429?retry_after=9":       {"429", "9"},
		"/reject/503?retry_after=7-7":     {"503", "7"},
		"/reject/503?retry_after=9-3":     {"400", ""},
		"/reject/503?retry_after=1-99999": {"400", ""},
		"/reject/401":                     {"401", ""},
		"/reject/abc":                     {"400", ""},
		"/close/99":                       {"400", ""},
		"/drop-after/x":                   {"400", ""},
		"/unknown":                        {"404", ""},
	} {
		_, resp, err := websocket.DefaultDialer.Dial(s.URL(path), nil)
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
			t.Errorf("%s: dial = %v, want a refused handshake", path, err)
			continue
		}
		if got := resp.Status[:3]; got != want[0] {
			t.Errorf("%s: status %s, want %s", path, got, want[0])
		}
		if got := resp.Header.Get("Retry-After"); got != want[1] {
			t.Errorf("%s: Retry-After %q, want %q", path, got, want[1])
		}
	}
}

func TestSinkRecordsEveryMessage(t *testing.T) {
	s := start(t)
	var conns []*websocket.Conn
	for c := range 2 {
		ws := connect(t, s.URL("/sink"), nil)
		for i := range 3 {
			ws.WriteMessage(websocket.TextMessage, []byte{byte('a' + c), byte('0' + i)})
		}
		conns = append(conns, ws)
	}
	// A completed close handshake proves everything before it was read.
	for _, ws := range conns {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), deadline())
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, 1000) {
			t.Fatalf("close answer = %v", err)
		}
	}
	if s.Received() != 6 || len(s.Messages()) != 6 {
		t.Errorf("Received %d, Messages %d, want 6", s.Received(), len(s.Messages()))
	}
	per := s.ConnMessages()
	if len(per) != 2 || len(per[0]) != 3 || string(per[1][2]) != "b2" {
		t.Errorf("ConnMessages = %q", per)
	}
}

func TestDiscardSinkAndOptions(t *testing.T) {
	s := start(t, DiscardSink(), Subprotocols("v2"), ReadLimit(4))
	ws := connect(t, s.URL("/sink"), &websocket.Dialer{Subprotocols: []string{"v1", "v2"}})
	if ws.Subprotocol() != "v2" {
		t.Errorf("subprotocol %q, want v2", ws.Subprotocol())
	}
	ws.WriteMessage(websocket.TextMessage, []byte("1234"))
	ws.WriteMessage(websocket.TextMessage, []byte("12345")) // over the limit
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("read = %v, want 1009 from the server's read limit", err)
	}
	if s.Received() != 1 || s.Messages() != nil {
		t.Errorf("Received %d Messages %v, want 1 and nil", s.Received(), s.Messages())
	}
}

func TestTLSServer(t *testing.T) {
	checkFDs(t)
	s := NewTLSServer()
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL("/echo"), "wss://") || s.Certificate() == nil {
		t.Fatalf("URL %q, certificate %v", s.URL("/echo"), s.Certificate())
	}
	ws := connect(t, s.URL("/echo"), &websocket.Dialer{TLSClientConfig: s.ClientTLSConfig()})
	ws.WriteMessage(websocket.TextMessage, []byte("tls"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "tls" {
		t.Errorf("echo over TLS = %q, %v", got, err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(s.URL("/echo"), nil); err == nil {
		t.Error("dial without trusting the certificate succeeded")
	}
	plain := start(t)
	if plain.ClientTLSConfig() != nil || plain.Certificate() != nil {
		t.Error("plain server has TLS material")
	}
}

func TestHandlerOnAnyServer(t *testing.T) {
	checkFDs(t)
	r := NewRouter() // what Handler returns, kept to wait for its handlers
	url := testkit.Serve(t, r)
	// httptest does not track hijacked connections: wait for the handler,
	// which closes its side, before the descriptors are counted.
	t.Cleanup(r.Shutdown)
	ws := connect(t, url+"/echo", nil)
	ws.WriteMessage(websocket.TextMessage, []byte("x"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "x" {
		t.Errorf("echo = %q, %v", got, err)
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), deadline())
	ws.ReadMessage() // the handler answers and returns
}

func TestShutdownRefusesLaterRequests(t *testing.T) {
	checkFDs(t)
	r := NewRouter()
	url := testkit.Serve(t, r)
	r.Shutdown()
	_, resp, err := websocket.DefaultDialer.Dial(url+"/echo", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown = %v, want 503", err)
	}
}

// A BlackHole accepts TCP and never answers: everything the client reads up
// to Close is nothing, and Close ends the connection.
func TestBlackHole(t *testing.T) {
	checkFDs(t)
	b := NewBlackHole()
	c, err := net.Dial("tcp", strings.TrimPrefix(b.URL(""), "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for b.Accepted() == 0 { // the accept goroutine runs at once; the test's timeout is the bound
		runtime.Gosched()
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	b.Close()
	c.SetReadDeadline(deadline()) // a safety net
	got, err := io.ReadAll(c)
	var ne net.Error
	if len(got) != 0 || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("read from the black hole until Close: %q, %v; want nothing, then the connection closed", got, err)
	}
	if b.Accepted() != 1 {
		t.Errorf("Accepted() = %d, want 1", b.Accepted())
	}
}

// AppendServerFrame uses the shortest length encoding at each boundary.
func TestAppendServerFrame(t *testing.T) {
	for _, tc := range []struct {
		n   int
		hdr []byte
	}{
		{0, []byte{0x82, 0}},
		{125, []byte{0x82, 125}},
		{126, []byte{0x82, 126, 0, 126}},
		{0xffff, []byte{0x82, 126, 0xff, 0xff}},
		{0x10000, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		f := AppendServerFrame([]byte("x"), 0x82, make([]byte, tc.n))
		if string(f[1:1+len(tc.hdr)]) != string(tc.hdr) || len(f) != 1+len(tc.hdr)+tc.n || f[0] != 'x' {
			t.Errorf("%d bytes: header % x, length %d; want % x after dst, %d", tc.n, f[1:min(len(f), 11)], len(f), tc.hdr, 1+len(tc.hdr)+tc.n)
		}
	}
}
