package transport

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/internal/testkit"
)

// A raw server speaks the WebSocket protocol by hand over TCP on 127.0.0.1,
// so that a test can send what gorilla's server never would: broken frames,
// broken handshake responses.

// newRawServer runs serve on every accepted connection (closed when serve
// returns) and returns a ws:// URL for it. Cleanup closes the listener and
// every connection and waits for the serve calls.
func newRawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return "ws://" + serveRaw(t, ln, serve) + "/"
}

// newRawTLSServer is newRawServer over TLS (httptest's certificate for
// 127.0.0.1); it returns a wss:// URL and a client configuration that
// trusts the server.
func newRawTLSServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (string, *tls.Config) {
	t.Helper()
	cfg, client := testkit.LoopbackTLS()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return "wss://" + serveRaw(t, tls.NewListener(ln, cfg), serve) + "/", client
}

// serveRaw runs serve for each connection ln accepts until cleanup, and
// returns ln's address.
func serveRaw(t *testing.T, ln net.Listener, serve func(c net.Conn, br *bufio.Reader)) string {
	var served testkit.Conns
	served.Accept(ln, func(c net.Conn) {
		defer c.Close()
		serve(c, bufio.NewReader(c))
	})
	t.Cleanup(func() {
		ln.Close()
		served.Close()
	})
	return ln.Addr().String()
}

// readUpgrade reads the client's upgrade request and returns its key.
func readUpgrade(br *bufio.Reader) (string, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return "", err
	}
	return req.Header.Get("Sec-WebSocket-Key"), nil
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// upgrade reads the request and answers a valid 101.
func upgrade(c net.Conn, br *bufio.Reader) error { return upgradeWith(c, br, "") }

// frame builds an unmasked (server) frame.
func frame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var b []byte
	switch n := len(payload); {
	case n <= 125:
		b = []byte{b0, byte(n)}
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		b = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	return append(b, payload...)
}

// closeFrame builds a server close frame with code and reason.
func closeFrame(code int, reason string) []byte {
	return frame(true, 8, append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...))
}

// readFrame reads one client (masked) frame and returns its opcode and
// unmasked payload.
func readFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if h[1]&0x80 == 0 {
		return 0, nil, errors.New("client frame not masked")
	}
	var key [4]byte
	if _, err = io.ReadFull(br, key[:]); err != nil {
		return 0, nil, err
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("client frame of %d bytes", n)
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(br, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return h[0] & 0x0f, payload, nil
}

// readClose reads client frames up to a close frame and returns its code
// (1005 for an empty one), or -1 if the connection ended without one.
func readClose(br *bufio.Reader) int {
	for {
		op, p, err := readFrame(br)
		if err != nil {
			return -1
		}
		if op != 8 {
			continue
		}
		if len(p) < 2 {
			return 1005
		}
		return int(binary.BigEndian.Uint16(p))
	}
}

// A peer that resets the connection fails ReadMessage with an error that
// names the operation once.
func TestReadMessageResetSaysReadOnce(t *testing.T) {
	url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if upgrade(c, br) != nil {
			return
		}
		c.(*net.TCPConn).SetLinger(0) // close with a reset
	})
	l, err := Dial(testCtx(t), url, DialConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Abort()
	_, _, err = l.ReadMessage(testCtx(t))
	if err == nil {
		t.Fatal("ReadMessage after a reset succeeded")
	}
	if strings.Contains(err.Error(), "read: read:") {
		t.Errorf("error %q names the operation twice", err)
	}
}
