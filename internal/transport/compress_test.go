package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// deflateServer is a gorilla server with permessage-deflate on (or off)
// that counts the bytes clients put on the wire. Paths: /sink (reads and
// keeps messages), /send?n=&size= (sends n messages of size zero bytes),
// /echo.
type deflateServer struct {
	url    string
	wire   atomic.Int64 // bytes read from clients' connections, handshakes included
	mu     sync.Mutex
	msgs   [][]byte
	seen   chan int      // the close code a /send client answered with
	served testkit.Conns // handlers: httptest does not wait for hijacked ones
}

func newDeflateServer(t *testing.T, compress bool) *deflateServer {
	t.Helper()
	ds := &deflateServer{seen: make(chan int, 1)}
	up := websocket.Upgrader{EnableCompression: compress}
	srv := httptest.NewUnstartedServer(ds.served.Handler(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		switch r.URL.Path {
		case "/sink":
			for {
				_, m, err := ws.ReadMessage()
				if err != nil {
					return
				}
				ds.mu.Lock()
				ds.msgs = append(ds.msgs, m)
				ds.mu.Unlock()
			}
		case "/send":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			size, _ := strconv.Atoi(r.URL.Query().Get("size"))
			for range n {
				if ws.WriteMessage(websocket.BinaryMessage, make([]byte, size)) != nil {
					return
				}
			}
			_, _, err := ws.ReadMessage()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				ds.seen <- ce.Code
			}
		case "/echo":
			testkit.Echo(ws)
		}
	}))
	srv.Listener = countingListener{Listener: srv.Listener, n: &ds.wire}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ds.served.Close()
	})
	ds.url = testkit.WSURL(srv.URL)
	return ds
}

func (ds *deflateServer) messages() [][]byte {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.msgs
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &testkit.CountingConn{Conn: c, In: l.n}, nil
}

// quote is one JSON quote of a market feed, about 240 bytes.
func quote(i int) string {
	return fmt.Sprintf(`{"type":"quote","symbol":"SYM%03d","exchange":"XNAS","bid":{"price":%d.%02d,"size":%d},"ask":{"price":%d.%02d,"size":%d},"last":{"price":%d.%02d,"size":%d,"time":"2026-01-02T03:04:%02d.%03dZ"},"volume":%d,"flags":["regular","open","nbbo"]}`,
		i%50, 100+i%7, i%100, 100*(i%9+1), 100+i%7, (i+1)%100, 100*(i%5+1), 100+i%7, i%100, i%300, i%60, i%1000, 1_000_000+i)
}

// feed returns n messages of a JSON feed, each a batch of batch quotes.
func feed(n, batch int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		qs := make([]string, batch)
		for j := range qs {
			qs[j] = quote(i*batch + j)
		}
		out[i] = []byte("[" + strings.Join(qs, ",") + "]")
	}
	return out
}

// sendAll writes msgs on a fresh link to url and closes it; it returns
// the bytes of payload sent.
func sendAll(t *testing.T, url string, cfg DialConfig, msgs [][]byte) (*Link, int) {
	t.Helper()
	l := dial(t, url, cfg)
	total := 0
	for _, m := range msgs {
		if err := l.WriteMessage(testCtx(t), websocket.TextMessage, m); err != nil {
			t.Fatal(err)
		}
		total += len(m)
	}
	if res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, ""); err != nil || !res.Completed {
		t.Fatalf("Close = %+v, %v", res, err)
	}
	return l, total
}

// With permessage-deflate on, a JSON feed crosses the wire compressed, and
// arrives intact. Each message is compressed on its own (no context
// takeover), so a feed of single ~240-byte quotes gains little and stays
// under the default threshold; batches of 10 gain much.
func TestCompressionOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		batch, threshold int
		maxRatio         float64
	}{
		{10, 0, 0.5},  // ~2.4 KB messages, default threshold: compressed
		{1, 0, 1.1},   // ~240 B messages, default threshold: sent as they are
		{1, -1, 0.85}, // ~240 B messages, all compressed
	} {
		t.Run(fmt.Sprintf("batch=%d,threshold=%d", tc.batch, tc.threshold), func(t *testing.T) {
			checkFDs(t)
			ds := newDeflateServer(t, true)
			msgs := feed(200, tc.batch)
			l, payload := sendAll(t, ds.url+"/sink", DialConfig{EnableCompression: true, CompressionThreshold: tc.threshold}, msgs)
			if !l.Compressed() {
				t.Fatal("Compressed() = false against a server with permessage-deflate")
			}
			got := ds.messages()
			if len(got) != len(msgs) || string(got[7]) != string(msgs[7]) {
				t.Fatalf("server got %d messages, want %d intact", len(got), len(msgs))
			}
			ratio := float64(ds.wire.Load()) / float64(payload)
			t.Logf("%d bytes of JSON in %d messages: %d bytes on the wire (%.0f%%)", payload, len(msgs), ds.wire.Load(), 100*ratio)
			if ratio > tc.maxRatio {
				t.Errorf("%.0f%% of the payload on the wire, want at most %.0f%%", 100*ratio, 100*tc.maxRatio)
			}
			if tc.batch == 1 && tc.threshold == 0 && ratio < 1 {
				t.Errorf("messages under the threshold were compressed (%.0f%% on the wire)", 100*ratio)
			}
		})
	}
}

// Messages at or above the threshold are compressed, smaller ones are not.
func TestCompressionThreshold(t *testing.T) {
	checkFDs(t)
	big := []byte(strings.Repeat(`{"k":"v"},`, 100)) // 1000 bytes
	for _, tc := range []struct {
		threshold  int
		compressed bool
	}{{0, true}, {1001, false}, {1000, true}, {-1, true}} {
		ds := newDeflateServer(t, true)
		_, payload := sendAll(t, ds.url+"/sink", DialConfig{EnableCompression: true, CompressionThreshold: tc.threshold}, [][]byte{big, big, big, big, big})
		if got := ds.wire.Load() < int64(payload); got != tc.compressed {
			t.Errorf("threshold %d: %d bytes on the wire for %d of payload: compressed %v, want %v", tc.threshold, ds.wire.Load(), payload, got, tc.compressed)
		}
	}
}

// Off unless asked for, on only if the server agrees; either way messages
// flow.
func TestCompressionNegotiation(t *testing.T) {
	for _, tc := range []struct {
		client, server bool
	}{{false, true}, {true, false}, {false, false}} {
		t.Run(fmt.Sprintf("client=%v,server=%v", tc.client, tc.server), func(t *testing.T) {
			checkFDs(t)
			ds := newDeflateServer(t, tc.server)
			l := dial(t, ds.url+"/echo", DialConfig{EnableCompression: tc.client})
			if l.Compressed() {
				t.Error("Compressed() = true without both sides agreeing")
			}
			msgs, _ := reader(l)
			if err := l.WriteMessage(testCtx(t), websocket.TextMessage, feed(1, 1)[0]); err != nil {
				t.Fatal(err)
			}
			if m := recv(t, msgs, "echo"); string(m.Data) != string(feed(1, 1)[0]) {
				t.Errorf("echo = %q", m.Data)
			}
		})
	}
}

// Compressed messages from the server are inflated, and bounded by
// ReadLimit once inflated: 1 MiB of zeros is about 1 KiB on the wire, under
// a 64 KiB limit gorilla checks there.
func TestCompressionReceiveBounded(t *testing.T) {
	checkFDs(t)
	ds := newDeflateServer(t, true)
	l := dial(t, ds.url+"/send?n=3&size=65536", DialConfig{EnableCompression: true, ReadLimit: 64 << 10})
	msgs, errc := reader(l)
	for range 3 {
		if m := recv(t, msgs, "a message at the limit"); len(m.Data) != 65536 {
			t.Fatalf("got %d bytes", len(m.Data))
		}
	}
	res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
	if err != nil || !res.Completed {
		t.Errorf("Close = %+v, %v", res, err)
	}
	recv(t, errc, "reader end")
	if code := recv(t, ds.seen, "the close frame"); code != websocket.CloseNormalClosure {
		t.Errorf("server got close %d, want 1000", code)
	}

	l = dial(t, ds.url+"/send?n=1&size=1048576", DialConfig{EnableCompression: true, ReadLimit: 64 << 10})
	msgs, errc = reader(l)
	err = recv(t, errc, "reader end")
	if !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("reader ended with %v, want ErrMessageTooBig", err)
	}
	if len(msgs) != 0 {
		t.Error("the oversized message was delivered")
	}
	if code := recv(t, ds.seen, "the client's close frame"); code != websocket.CloseMessageTooBig {
		t.Errorf("server got close %d, want 1009", code)
	}
}

func TestCompressionLevel(t *testing.T) {
	if _, err := Dial(testCtx(t), "ws://127.0.0.1:1/", DialConfig{EnableCompression: true, CompressionLevel: 10}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("level 10: Dial = %v, want ErrBadConfig", err)
	}
	checkFDs(t)
	msgs := [][]byte{[]byte(strings.Repeat("abcdefgh", 1000))}
	var wire []int64
	for _, level := range []int{-2, 9} { // Huffman only, best compression
		ds := newDeflateServer(t, true)
		sendAll(t, ds.url+"/sink", DialConfig{EnableCompression: true, CompressionLevel: level}, msgs)
		wire = append(wire, ds.wire.Load())
	}
	if wire[1] >= wire[0] {
		t.Errorf("level 9 put %d bytes on the wire, Huffman only %d: the level was not applied", wire[1], wire[0])
	}
}

// A server accepting permessage-deflate with parameters gorilla cannot
// honour gives an invalid handshake response that says so.
func TestDialInvalidCompressionResponse(t *testing.T) {
	checkFDs(t)
	url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		key, err := readUpgrade(br)
		if err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", acceptKey(key))
		io.Copy(io.Discard, br)
	})
	_, err := Dial(testCtx(t), url, DialConfig{EnableCompression: true})
	if !errors.Is(err, errBadHandshakeResponse) || !strings.Contains(err.Error(), "permessage-deflate") {
		t.Errorf("Dial = %v, want errBadHandshakeResponse about permessage-deflate", err)
	}
}
