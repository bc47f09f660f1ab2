package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// Servers that negotiate what the client never offered, or that break RFC
// 7692 once permessage-deflate is on (issue 19).

// deflateOn is the extension response of a server that accepts gorilla's
// offer as it is.
const deflateOn = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// upgradeWith reads the request and answers a 101 with the extra header
// lines (each ending in \r\n).
func upgradeWith(c net.Conn, br *bufio.Reader, extra string) error {
	key, err := readUpgrade(br)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n", acceptKey(key), extra)
	return err
}

// peerAnswers serves a raw server that upgrades with the extra header
// lines, writes frames, then reads up to the client's close frame and
// reports its code (-1: none).
func peerAnswers(t *testing.T, extra string, frames ...[]byte) (url string, answered chan int) {
	answered = make(chan int, 1)
	url = newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if upgradeWith(c, br, extra) != nil {
			answered <- -1
			return
		}
		for _, f := range frames {
			if _, err := c.Write(f); err != nil {
				answered <- -1
				return
			}
		}
		answered <- readClose(br)
	})
	return url, answered
}

// withRSV1 sets RSV1 on a frame built by frame.
func withRSV1(f []byte) []byte {
	f[0] |= 0x40
	return f
}

// Once permessage-deflate is on, RSV1 on a control frame or on a
// continuation frame fails the connection with 1002 (RFC 7692 6.1: RSV1
// marks the first frame of a compressed message only); nothing of the
// message is delivered.
func TestDeflateRSV1OnlyOnFirstFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"ping", [][]byte{withRSV1(frame(true, 9, []byte("abcd")))}},
		{"pong", [][]byte{withRSV1(frame(true, 10, []byte("abcd")))}},
		{"continuation", [][]byte{frame(false, 1, []byte("ab")), withRSV1(frame(true, 0, []byte("cd")))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url, answered := peerAnswers(t, "Sec-WebSocket-Extensions: "+deflateOn+"\r\n", tc.frames...)
			l := dial(t, url, DialConfig{EnableCompression: true})
			if !l.Compressed() {
				t.Fatal("permessage-deflate not on")
			}
			msgs, errc := reader(l)
			err := recv(t, errc, "reader end")
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "RSV1") {
				t.Errorf("reader ended with %v, want ErrProtocol about RSV1", err)
			}
			expectAnswer(t, answered, 1002)
			select {
			case m := <-msgs:
				t.Errorf("delivered %q", m.Data)
			default:
			}
			waitDone(t, l)
		})
	}
}

// A 101 that selects what the client never offered fails the dial (RFC
// 6455 4.1; RFC 7692 7): an extension when none was offered, a subprotocol
// not offered, a permessage-deflate parameter the client did not offer or
// that RFC 7692 does not define.
func TestDialRefusesWhatWasNotOffered(t *testing.T) {
	for _, tc := range []struct {
		name, head, why string
		cfg             DialConfig
	}{
		{"deflate not offered", "Sec-WebSocket-Extensions: " + deflateOn + "\r\n", "permessage-deflate", DialConfig{}},
		{"unknown extension", "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n", "x-webkit-deflate-frame", DialConfig{EnableCompression: true}},
		{"deflate twice", "Sec-WebSocket-Extensions: " + deflateOn + ", " + deflateOn + "\r\n", "twice", DialConfig{EnableCompression: true}},
		{"subprotocol not offered", "Sec-WebSocket-Protocol: chat\r\n", `"chat"`, DialConfig{}},
		{"other subprotocol", "Sec-WebSocket-Protocol: chat\r\n", `"chat"`, DialConfig{Subprotocols: []string{"v2", "v3"}}},
		{"two subprotocols", "Sec-WebSocket-Protocol: v2, v3\r\n", "v2, v3", DialConfig{Subprotocols: []string{"v2", "v3"}}},
		{"client_max_window_bits", "Sec-WebSocket-Extensions: " + deflateOn + "; client_max_window_bits=9\r\n", "client_max_window_bits", DialConfig{EnableCompression: true}},
		{"unknown parameter", "Sec-WebSocket-Extensions: " + deflateOn + "; x_bogus=1\r\n", "x_bogus", DialConfig{EnableCompression: true}},
		{"bad server_max_window_bits", "Sec-WebSocket-Extensions: " + deflateOn + "; server_max_window_bits=16\r\n", "server_max_window_bits", DialConfig{EnableCompression: true}},
		{"context takeover", "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n", "server_no_context_takeover", DialConfig{EnableCompression: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
				if upgradeWith(c, br, tc.head) == nil {
					io.Copy(io.Discard, br)
				}
			})
			l, err := Dial(testCtx(t), url, tc.cfg)
			if err == nil {
				l.Abort()
				t.Fatalf("Dial succeeded (subprotocol %q, compressed %v), want an invalid handshake response", l.Subprotocol(), l.Compressed())
			}
			var he *HandshakeError
			if !errors.Is(err, errBadHandshakeResponse) || !errors.As(err, &he) || he.StatusCode != 101 || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("Dial = %v, want a *HandshakeError (101) matching errBadHandshakeResponse and saying %q", err, tc.why)
			}
		})
	}
}

// What the client did offer is accepted as RFC 7692 allows it:
// server_max_window_bits (the server's window, any size inflates) and a
// response without client_no_context_takeover (the client compresses
// without context takeover anyway, which it may always do, RFC 7692
// 7.1.1.2; gorilla alone refuses such a response).
func TestDialAcceptsWhatWasOffered(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		cfg        DialConfig
		compressed bool
		sub        string
	}{
		{"server_max_window_bits", "Sec-WebSocket-Extensions: " + deflateOn + "; server_max_window_bits=10\r\n", DialConfig{EnableCompression: true}, true, ""},
		{"no client_no_context_takeover", "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n", DialConfig{EnableCompression: true}, true, ""},
		{"offered subprotocol", "Sec-WebSocket-Protocol: v3\r\n", DialConfig{Subprotocols: []string{"v2", "v3"}}, false, "v3"},
		{"declined", "", DialConfig{EnableCompression: true, Subprotocols: []string{"v2"}}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url, answered := peerAnswers(t, tc.head, frame(true, 1, []byte("hello")))
			l := dial(t, url, tc.cfg)
			if l.Compressed() != tc.compressed || l.Subprotocol() != tc.sub {
				t.Errorf("compressed %v, subprotocol %q; want %v, %q", l.Compressed(), l.Subprotocol(), tc.compressed, tc.sub)
			}
			msgs, _ := reader(l)
			if m := recv(t, msgs, "the message"); string(m.Data) != "hello" {
				t.Errorf("got %q", m.Data)
			}
			l.Abort()
			recv(t, answered, "the end")
			waitDone(t, l)
		})
	}
}

// Once gorilla has read the response head, headCheck keeps none of its
// bytes: an idle Conn held the head's buffer (192 B per connection in a heap
// profile of 300) while headCheck stayed under the connection for its life.
func TestHeadCheckLetsTheHeadGo(t *testing.T) {
	// fill appends what it reads to a buffer with room to spare.
	head := append(make([]byte, 0, 4096), "HTTP/1.1 101 Switching Protocols\r\n\r\n"...)
	h := &headCheck{done: true, buf: head}
	p := make([]byte, 8)
	for len(h.buf) > 0 {
		if _, err := h.Read(p); err != nil {
			t.Fatal(err)
		}
	}
	if cap(h.buf) != 0 {
		t.Errorf("after the head was read, headCheck still holds a buffer of %d bytes", cap(h.buf))
	}
}
