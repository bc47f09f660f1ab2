package wstest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Every documented path is routed: its example does not get 404, and its
// pattern and query options appear in the package documentation's list.
func TestPathsAreRoutedAndDocumented(t *testing.T) {
	s := start(t)
	seen := map[string]bool{}
	for _, p := range Paths() {
		if seen[p.Pattern] {
			t.Errorf("%s listed twice", p.Pattern)
		}
		seen[p.Pattern] = true
		if p.Doc == "" || !strings.HasPrefix(p.Example, "/") {
			t.Errorf("%s: doc %q, example %q", p.Pattern, p.Doc, p.Example)
		}
		u, err := url.Parse(p.Example)
		if err != nil {
			t.Fatalf("%s: example %q: %v", p.Pattern, p.Example, err)
		}
		for name := range u.Query() {
			found := false
			for _, q := range p.Query {
				found = found || q.Name == name
			}
			if !found {
				t.Errorf("%s: example uses ?%s=, which Query does not document", p.Pattern, name)
			}
		}
		// A plain GET reaches the route; an upgrade route answers 400
		// (not a WebSocket handshake), /reject its status, /stall nothing.
		if p.Pattern == "/stall" {
			continue
		}
		if status := getStatus(t, s.Addr(), p.Example); status == http.StatusNotFound {
			t.Errorf("%s: 404, the route is not served", p.Example)
		}
	}
}

// getStatus sends a plain GET for path and returns the status. It closes
// its connection itself, before the test counts descriptors (an
// http.Client's connections close on goroutines of their own).
func getStatus(t *testing.T, addr, path string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(deadline())
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: wstest\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// readFrame reads one unmasked server frame: its first header byte and its
// payload.
func readFrame(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	if hdr[1]&0x80 != 0 {
		t.Fatalf("server frame is masked")
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatalf("frame payload: %v", err)
	}
	return hdr[0], payload
}

// rawAfterSend connects with gorilla, sends msg, and returns the raw TCP
// connection to read the server's frames from: the server writes nothing
// before it reads msg, so gorilla has nothing buffered.
func rawAfterSend(t *testing.T, url, msg string) net.Conn {
	t.Helper()
	ws := connect(t, url, nil)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	nc := ws.NetConn()
	nc.SetReadDeadline(deadline())
	return nc
}

func TestFragmentsSplitsEveryMessage(t *testing.T) {
	s := start(t)
	msg := "aébc" // 5 bytes in frames of 2, 2, 1 and 0: the first ends inside "é"
	nc := rawAfterSend(t, s.URL("/fragments/4"), msg)
	var got []byte
	cutInside := false
	for i := range 4 {
		first, part := readFrame(t, nc)
		wantOp := byte(0x0)
		if i == 0 {
			wantOp = 0x1
		}
		if op, fin := first&0x0f, first&0x80 != 0; op != wantOp || fin != (i == 3) || first&0x70 != 0 {
			t.Errorf("frame %d: header %#x, want opcode %d, FIN %v, no RSV", i, first, wantOp, i == 3)
		}
		cutInside = cutInside || !utf8.Valid(part)
		got = append(got, part...)
	}
	if string(got) != msg || !cutInside {
		t.Errorf("frames carry %q (a cut inside a character: %v), want %q cut inside one", got, cutInside, msg)
	}

	// More frames than bytes: the last frames are empty; gorilla reassembles.
	ws := connect(t, s.URL("/fragments/5"), nil)
	ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2})
	if typ, got, err := ws.ReadMessage(); err != nil || typ != websocket.BinaryMessage || !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("/fragments/5 echo = %d %v %v", typ, got, err)
	}
	for _, bad := range []string{"/fragments/0", "/fragments/4097", "/fragments/x"} {
		if _, resp, err := websocket.DefaultDialer.Dial(s.URL(bad), nil); err == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", bad, err)
		}
	}
}

// TestBadNumbersInPathsAre400: a path's number out of its range, or not a
// number, is refused before the upgrade.
func TestBadNumbersInPathsAre400(t *testing.T) {
	s := start(t)
	for _, bad := range []string{"/drop-after/-1", "/drop-after/x", "/close/999", "/close/5000", "/close/x", "/size/x"} {
		if _, resp, err := websocket.DefaultDialer.Dial(s.URL(bad), nil); err == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", bad, err)
		}
	}
}

func TestBadFrames(t *testing.T) {
	s := start(t)
	for kind, want := range map[string]struct {
		first byte
		err   string // what gorilla, as a client, says; "" when it accepts
	}{
		"utf8":   {0x81, ""},
		"rsv":    {0xc1, "RSV1 set"},
		"opcode": {0x83, "bad opcode 3"},
	} {
		t.Run(kind, func(t *testing.T) {
			// The exact bytes, after one echo.
			nc := rawAfterSend(t, s.URL("/bad-frame/"+kind+"?after=1"), "first")
			if first, payload := readFrame(t, nc); first != 0x81 || string(payload) != "first" {
				t.Fatalf("echo frame %#x %q, want 0x81 \"first\"", first, payload)
			}
			first, payload := readFrame(t, nc)
			if first != want.first || !bytes.HasPrefix(payload, []byte("wstest: ")) {
				t.Errorf("bad frame %#x %q, want header %#x", first, payload, want.first)
			}
			if kind == "utf8" && utf8.Valid(payload) {
				t.Errorf("payload %q is valid UTF-8", payload)
			}

			// What a client library sees.
			ws := connect(t, s.URL("/bad-frame/"+kind), nil)
			_, msg, err := ws.ReadMessage()
			switch {
			case want.err == "" && err != nil:
				t.Fatalf("read = %v, want the message (gorilla does not check UTF-8)", err)
			case want.err == "":
				if utf8.Valid(msg) {
					t.Errorf("message %q is valid UTF-8", msg)
				}
				// It echoes afterwards.
				ws.WriteMessage(websocket.TextMessage, []byte("still here"))
				if _, got, err := ws.ReadMessage(); err != nil || string(got) != "still here" {
					t.Errorf("echo after the bad frame = %q, %v", got, err)
				}
			case err == nil || !strings.Contains(err.Error(), want.err):
				t.Errorf("read = %v, want gorilla's %q", err, want.err)
			}
		})
	}
	if _, resp, err := websocket.DefaultDialer.Dial(s.URL("/bad-frame/nope"), nil); err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/bad-frame/nope: %v, want 400", err)
	}
}

func TestSizeSendsExactlyNBytes(t *testing.T) {
	s := start(t)
	ws := connect(t, s.URL("/size/200000?type=text&count=2"), nil)
	for range 2 {
		typ, got, err := ws.ReadMessage()
		if err != nil || typ != websocket.TextMessage || len(got) != 200000 {
			t.Fatalf("read = %d, %d bytes, %v; want text of 200000 bytes", typ, len(got), err)
		}
		for i, b := range got {
			if b != byte('a'+i%26) {
				t.Fatalf("byte %d = %q, want %q", i, b, byte('a'+i%26))
			}
		}
	}
	ws.WriteMessage(websocket.TextMessage, []byte("then echo"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "then echo" {
		t.Errorf("echo after the sized messages = %q, %v", got, err)
	}

	ws = connect(t, s.URL("/size/300"), nil)
	typ, got, err := ws.ReadMessage()
	if err != nil || typ != websocket.BinaryMessage || len(got) != 300 || got[255] != 255 || got[256] != 0 {
		t.Errorf("/size/300 = %d, %d bytes, %v; want binary bytes i%%256", typ, len(got), err)
	}
	ws = connect(t, s.URL("/size/0"), nil)
	if _, got, err := ws.ReadMessage(); err != nil || len(got) != 0 {
		t.Errorf("/size/0 = %d bytes, %v", len(got), err)
	}
	for _, bad := range []string{"/size/-1", "/size/x", "/size/1073741825", "/size/1?type=utf16", "/size/1?count=-1"} {
		if _, resp, err := websocket.DefaultDialer.Dial(s.URL(bad), nil); err == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", bad, err)
		}
	}
}

func TestSubprotocolSelection(t *testing.T) {
	// The router's own option must not get in the way of the path's choice.
	s := start(t, Subprotocols("other"))
	for _, tc := range []struct {
		path    string
		offered []string
		want    string
	}{
		{"/subprotocol?accept=chat,v2", []string{"v1", "v2", "chat"}, "v2"},
		{"/subprotocol", []string{"first", "second"}, "first"},
		{"/subprotocol?accept=chat", []string{"v1"}, ""},
		{"/subprotocol", nil, ""},
	} {
		ws := connect(t, s.URL(tc.path), &websocket.Dialer{Subprotocols: tc.offered})
		if got := ws.Subprotocol(); got != tc.want {
			t.Errorf("%s offering %q: chose %q, want %q", tc.path, tc.offered, got, tc.want)
		}
		say := "subprotocol: " + tc.want
		if tc.want == "" {
			say = "subprotocol: none"
		}
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != say {
			t.Errorf("%s: first message %q, %v; want %q", tc.path, got, err, say)
		}
		ws.WriteMessage(websocket.TextMessage, []byte("echo"))
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != "echo" {
			t.Errorf("%s: echo = %q, %v", tc.path, got, err)
		}
	}
}

// Over real sockets gorilla answers every ping, so every ping is counted.
func TestPingFloodCountsPongs(t *testing.T) {
	s := start(t)
	ws := connect(t, s.URL("/ping-flood?count=500"), nil)
	_, got, err := ws.ReadMessage()
	if err != nil || string(got) != "ping-flood: sent 501 pings, received 501 pongs" {
		t.Fatalf("summary = %q, %v", got, err)
	}
	var ce *websocket.CloseError
	if _, _, err := ws.ReadMessage(); !errors.As(err, &ce) || ce.Code != 1000 {
		t.Errorf("after the summary: %v, want close 1000", err)
	}
	for _, bad := range []string{"/ping-flood?count=-1", "/ping-flood?count=1000001", "/ping?every=0s", "/ping?count=0"} {
		if _, resp, err := websocket.DefaultDialer.Dial(s.URL(bad), nil); err == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", bad, err)
		}
	}
}
