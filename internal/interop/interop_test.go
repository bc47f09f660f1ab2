package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// safety bounds every socket operation so a broken peer fails the test
// instead of hanging it; no assertion depends on it.
const safety = 10 * time.Second

// dial opens a raw gorilla connection to peer+path, closed when the test ends.
func dial(t *testing.T, peer Peer, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	dialer := websocket.Dialer{HandshakeTimeout: safety} // Proxy nil: never leave loopback
	conn, _, err := dialer.DialContext(ctx, peer.BaseURL+path, nil)
	if err != nil {
		t.Fatalf("dial %s%s: %v", peer.BaseURL, path, err)
	}
	t.Cleanup(func() { conn.Close() })
	deadline := time.Now().Add(safety)
	conn.SetReadDeadline(deadline)
	conn.SetWriteDeadline(deadline)
	return conn
}

// echoOnce writes one message and requires the same type and bytes back.
func echoOnce(t *testing.T, conn *websocket.Conn, typ int, data []byte) {
	t.Helper()
	if err := conn.WriteMessage(typ, data); err != nil {
		t.Fatalf("write: %v", err)
	}
	gotType, got, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if gotType != typ || !bytes.Equal(got, data) {
		t.Fatalf("echo = type %d, %d bytes; want type %d, %d bytes", gotType, len(got), typ, len(data))
	}
}

// requireCloseFrame requires err to be the peer's close frame with code and text.
func requireCloseFrame(t *testing.T, err error, code int, text string) {
	t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("read = %v (%T); want the peer's close frame", err, err)
	}
	if ce.Code != code || ce.Text != text {
		t.Fatalf("close frame = %d %q; want %d %q", ce.Code, ce.Text, code, text)
	}
}

// requirePeerShutsTCP requires the peer to close TCP (EOF) once the close
// handshake is complete.
func requirePeerShutsTCP(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	n, err := conn.NetConn().Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the close handshake, TCP read = %d, %v; want EOF", n, err)
	}
}

func TestPeers(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			peer := Start(t, name)
			t.Run("EchoText", func(t *testing.T) { testEcho(t, peer, websocket.TextMessage) })
			t.Run("EchoBinary", func(t *testing.T) { testEcho(t, peer, websocket.BinaryMessage) })
			for _, code := range []int{websocket.CloseNormalClosure, websocket.CloseServiceRestart} {
				t.Run("ServerClose"+strconv.Itoa(code), func(t *testing.T) { testServerClose(t, peer, code) })
			}
			t.Run("DropAfter2", func(t *testing.T) { testDropAfter(t, peer) })
			t.Run("ClientClose", func(t *testing.T) { testClientClose(t, peer) })
			t.Run("IgnoreClose", func(t *testing.T) { testIgnoreClose(t, peer) })
			t.Run("RefusedPaths", func(t *testing.T) { testRefusedPaths(t, peer) })
			t.Run("Deflate", func(t *testing.T) { testDeflate(t, peer) })
		})
	}
}

func testEcho(t *testing.T, peer Peer, typ int) {
	conn := dial(t, peer, "/echo")
	large := bytes.Repeat([]byte("0123456789abcdef"), 70_000/16) // 64-bit length header
	for _, data := range [][]byte{[]byte("hello from gorilla"), {}, large} {
		if typ == websocket.BinaryMessage {
			data = append([]byte{0x00, 0xff, 0x80}, data...) // not valid UTF-8
		}
		echoOnce(t, conn, typ, data)
	}
}

func testServerClose(t *testing.T, peer Peer, code int) {
	conn := dial(t, peer, "/close/"+strconv.Itoa(code))
	// gorilla's default close handler answers inside ReadMessage.
	_, _, err := conn.ReadMessage()
	requireCloseFrame(t, err, code, CloseReason(code))
	requirePeerShutsTCP(t, conn)
}

func testDropAfter(t *testing.T, peer Peer) {
	conn := dial(t, peer, "/drop-after/2")
	echoOnce(t, conn, websocket.TextMessage, []byte("one"))
	echoOnce(t, conn, websocket.BinaryMessage, []byte("two"))
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		if ce.Code != websocket.CloseAbnormalClosure {
			t.Fatalf("read after drop = close frame %d %q; want 1006 (no close frame)", ce.Code, ce.Text)
		}
	case errors.As(err, &ne):
		if ne.Timeout() {
			t.Fatalf("read after drop timed out: the peer did not drop TCP")
		}
	default:
		t.Fatalf("read after drop = %v (%T); want a 1006 CloseError or a network error", err, err)
	}
}

func testClientClose(t *testing.T, peer Peer) {
	conn := dial(t, peer, "/echo")
	echoOnce(t, conn, websocket.TextMessage, []byte("before close"))
	// Our close frame is already sent: do not answer the peer's.
	conn.SetCloseHandler(func(int, string) error { return nil })
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "client done")
	if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(safety)); err != nil {
		t.Fatalf("write close: %v", err)
	}
	_, _, err := conn.ReadMessage()
	requireCloseFrame(t, err, websocket.CloseNormalClosure, "client done")
	requirePeerShutsTCP(t, conn)
}

// testIgnoreClose checks the peer stays silent after our close frame. Silence
// can only be observed over a window; a peer that answers late makes this pass
// wrongly, never fail wrongly.
func testIgnoreClose(t *testing.T, peer Peer) {
	const window = 300 * time.Millisecond
	conn := dial(t, peer, "/ignore-close")
	echoOnce(t, conn, websocket.TextMessage, []byte("still echoing"))
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(safety)); err != nil {
		t.Fatalf("write close: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(window))
	_, _, err := conn.ReadMessage()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read after our close = %v (%T); want silence (a read timeout), no close frame, no EOF", err, err)
	}
}

func testRefusedPaths(t *testing.T, peer Peer) {
	for path, status := range map[string]int{
		"/nope":       http.StatusNotFound,
		"/close/1006": http.StatusBadRequest, // 1006 must never be sent on the wire
	} {
		ctx, cancel := context.WithTimeout(t.Context(), safety)
		dialer := websocket.Dialer{HandshakeTimeout: safety}
		conn, resp, err := dialer.DialContext(ctx, peer.BaseURL+path, nil)
		cancel()
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s succeeded; want HTTP %d", path, status)
		}
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != status {
			t.Fatalf("dial %s = %v (response %v); want HTTP %d", path, err, resp, status)
		}
		resp.Body.Close()
	}
}

// testDeflate checks that /deflate/ paths, and only they, accept
// permessage-deflate in the one mode gorilla speaks (no context takeover
// either way), that /extensions names what was answered, and that messages
// both ways survive compression.
func testDeflate(t *testing.T, peer Peer) {
	large := bytes.Repeat([]byte(`{"symbol":"WSFSM","price":101.25,"size":300},`), 3000) // ~130 KiB, compressible
	for _, c := range []struct {
		path  string
		offer bool
		want  bool
	}{
		{"/deflate/extensions", true, true},
		{"/deflate/extensions", false, false},
		{"/extensions", true, false},
	} {
		t.Run(fmt.Sprintf("%s/offer=%v", strings.TrimPrefix(c.path, "/"), c.offer), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), safety)
			defer cancel()
			dialer := websocket.Dialer{HandshakeTimeout: safety, EnableCompression: c.offer}
			conn, resp, err := dialer.DialContext(ctx, peer.BaseURL+c.path, nil)
			if err != nil {
				t.Fatalf("dial %s: %v", c.path, err)
			}
			defer conn.Close()
			conn.SetReadDeadline(time.Now().Add(safety))
			conn.SetWriteDeadline(time.Now().Add(safety))
			answered := resp.Header.Get("Sec-WebSocket-Extensions")
			t.Logf("Sec-WebSocket-Extensions: %q", answered)
			_, first, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read the extensions message: %v", err)
			}
			if got, want := string(first), "extensions: "+answered; got != want {
				t.Errorf("the peer says %q, its response header says %q", got, answered)
			}
			negotiated := strings.HasPrefix(answered, "permessage-deflate")
			if negotiated != c.want {
				t.Fatalf("Sec-WebSocket-Extensions %q: negotiated %v, want %v", answered, negotiated, c.want)
			}
			if negotiated && (!strings.Contains(answered, "server_no_context_takeover") || !strings.Contains(answered, "client_no_context_takeover")) {
				t.Errorf("Sec-WebSocket-Extensions %q lacks the no_context_takeover gorilla asked for", answered)
			}
			echoOnce(t, conn, websocket.TextMessage, []byte("small"))
			echoOnce(t, conn, websocket.TextMessage, large)
			echoOnce(t, conn, websocket.BinaryMessage, append([]byte{0x00, 0xff}, large...))
		})
	}
}
