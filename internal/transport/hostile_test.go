package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

// Servers that break RFC 6455, or use what gorilla does not know (issue 10,
// items 2-7 and 11, and item 1's transport part).

// peerSends serves a raw server that upgrades, writes frames, then reads up
// to the client's close frame and reports its code (-1: none).
func peerSends(t *testing.T, frames ...[]byte) (url string, answered chan int) {
	return peerAnswers(t, "", frames...)
}

// expectAnswer fails the test unless the client's close frame, as a peer
// from peerSends or peerAnswers reports it, has the code want (-1: none).
func expectAnswer(t *testing.T, answered chan int, want int) {
	t.Helper()
	if code := recv(t, answered, "the client's close frame"); code != want {
		t.Errorf("client answered with close code %d, want %d", code, want)
	}
}

// Close code 1014 (Bad Gateway) is a close like any other: reported,
// answered with the same code, retried (gorilla alone answers it with 1002
// "bad close code 1014").
func TestPeerCloseCode1014(t *testing.T) {
	checkFDs(t)
	url, answered := peerSends(t, closeFrame(1014, "upstream down"))
	l := dial(t, url, DialConfig{})
	_, errc := reader(l)
	err := recv(t, errc, "reader end")
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 1014 || ce.Reason != "upstream down" {
		t.Fatalf("reader ended with %v, want *CloseError 1014 \"upstream down\"", err)
	}
	expectAnswer(t, answered, 1014)
	waitDone(t, l)
}

// Over TLS the guard sits above TLS, where the frames are clear: the same
// frames get the same answers.
func TestPeerHostileFramesOverTLS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  []byte
		answer int
		check  func(error) bool
	}{
		{"1014", closeFrame(1014, ""), 1014, func(err error) bool {
			var ce *CloseError
			return errors.As(err, &ce) && ce.Code == 1014
		}},
		{"1-byte close", frame(true, 8, []byte{3}), 1002, func(err error) bool { return errors.Is(err, ErrProtocol) }},
		{"length top bit", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, 1002, func(err error) bool { return errors.Is(err, ErrProtocol) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			answered := make(chan int, 1)
			url, cfg := newRawTLSServer(t, func(c net.Conn, br *bufio.Reader) {
				if upgrade(c, br) != nil {
					answered <- -1
					return
				}
				c.Write(tc.frame)
				answered <- readClose(br)
			})
			l := dial(t, url, DialConfig{TLSConfig: cfg})
			_, errc := reader(l)
			if err := recv(t, errc, "reader end"); !tc.check(err) {
				t.Errorf("reader ended with %v", err)
			}
			expectAnswer(t, answered, tc.answer)
		})
	}
}

// The other codes gorilla refuses stay protocol errors (RFC 6455 7.4).
func TestPeerCloseCodeInvalid(t *testing.T) {
	checkFDs(t)
	url, answered := peerSends(t, closeFrame(1015, ""))
	l := dial(t, url, DialConfig{})
	_, errc := reader(l)
	if err := recv(t, errc, "reader end"); !errors.Is(err, ErrProtocol) {
		t.Fatalf("reader ended with %v, want ErrProtocol", err)
	}
	expectAnswer(t, answered, 1002)
}

// A close frame whose payload is one byte is a protocol error (RFC 6455
// 5.5.1), not an empty close (1005): answered with 1002, stop.
func TestPeerCloseOneBytePayload(t *testing.T) {
	checkFDs(t)
	url, answered := peerSends(t, frame(true, 1, []byte("before")), frame(true, 8, []byte{0x03}))
	l := dial(t, url, DialConfig{})
	msgs, errc := reader(l)
	if m := recv(t, msgs, "the message before"); string(m.Data) != "before" {
		t.Errorf("got %q, want the message sent before the bad frame", m.Data)
	}
	err := recv(t, errc, "reader end")
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "1-byte") {
		t.Fatalf("reader ended with %v, want ErrProtocol saying 1-byte payload", err)
	}
	expectAnswer(t, answered, 1002)
	waitDone(t, l)
}

// A text message that is not UTF-8 fails the connection with 1007 (RFC 6455
// 8.1), whether it comes in one frame or in fragments; it is not delivered.
func TestPeerInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"single", [][]byte{frame(true, 1, []byte("ok")), frame(true, 1, []byte("bad \xff here"))}},
		{"fragmented", [][]byte{frame(true, 1, []byte("ok")), frame(false, 1, []byte("caf\xc3")), frame(true, 0, []byte("\x28"))}},
		{"split rune is fine", [][]byte{frame(true, 1, []byte("ok")), frame(false, 1, []byte("caf\xc3")), frame(true, 0, []byte("\xa9")), frame(true, 1, []byte("bad \xc0\xaf"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url, answered := peerSends(t, tc.frames...)
			l := dial(t, url, DialConfig{})
			msgs, errc := reader(l)
			err := recv(t, errc, "reader end")
			if !strings.Contains(err.Error(), "invalid UTF-8") {
				t.Fatalf("reader ended with %v, want an invalid UTF-8 error", err)
			}
			if !errors.Is(err, ErrInvalidUTF8) || !errors.Is(err, ErrProtocol) { // new API
				t.Errorf("%v does not match ErrInvalidUTF8 and ErrProtocol", err) // new API
			} // new API
			var got []string
			for len(msgs) > 0 {
				got = append(got, string((<-msgs).Data))
			}
			want := []string{"ok"}
			if tc.name == "split rune is fine" {
				want = append(want, "café")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("delivered %q, want %q", got, want)
			}
			expectAnswer(t, answered, 1007)
		})
	}
}

// A 64-bit payload length with its top bit set (2^63) is a protocol error
// (RFC 6455 5.2), not a message over the read limit, and no 1009 was sent.
func TestPeerPayloadLengthTopBit(t *testing.T) {
	checkFDs(t)
	header := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}
	url, answered := peerSends(t, header)
	l := dial(t, url, DialConfig{})
	_, errc := reader(l)
	err := recv(t, errc, "reader end")
	if !errors.Is(err, ErrProtocol) || errors.Is(err, ErrMessageTooBig) || strings.Contains(err.Error(), "1009") {
		t.Fatalf("reader ended with %v, want ErrProtocol (not 1009)", err)
	}
	if !strings.Contains(err.Error(), "most significant bit") {
		t.Errorf("%v does not say what was wrong", err)
	}
	expectAnswer(t, answered, 1002)
	waitDone(t, l)
}

// A frame split across reads is followed correctly: a long close reason in
// tiny writes, then the bad frame's header split too.
func TestPeerFramesSplitAcrossReads(t *testing.T) {
	checkFDs(t)
	msg := frame(true, 2, make([]byte, 70_000)) // 64-bit length form
	bad := frame(true, 8, []byte{0x03})
	url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if upgrade(c, br) != nil {
			return
		}
		for _, b := range append(msg, bad...) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
		}
		readClose(br)
	})
	l := dial(t, url, DialConfig{})
	msgs, errc := reader(l)
	if m := recv(t, msgs, "the long message"); len(m.Data) != 70_000 {
		t.Errorf("got %d bytes, want 70000", len(m.Data))
	}
	if err := recv(t, errc, "reader end"); !errors.Is(err, ErrProtocol) {
		t.Fatalf("reader ended with %v, want ErrProtocol", err)
	}
}

// A 101 that is not a valid upgrade fails the dial with an error that says
// so and why; it is not reported as a refusal, and it stops.
func TestDialInvalidUpgradeResponse(t *testing.T) {
	for _, tc := range []struct {
		name, head, why string
	}{
		{"wrong accept", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n", "Sec-WebSocket-Accept does not match"},
		{"no accept", "Upgrade: websocket\r\nConnection: Upgrade\r\n", "no Sec-WebSocket-Accept"},
		{"no upgrade", "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", `no "Upgrade: websocket"`},
		{"no connection", "Upgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n", `no "Connection: Upgrade"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
				key, err := readUpgrade(br)
				if err != nil {
					return
				}
				head := tc.head
				if strings.Contains(head, "%s") {
					head = fmt.Sprintf(head, acceptKey(key))
				}
				fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\n%s\r\n", head)
				io.Copy(io.Discard, br)
			})
			_, err := Dial(testCtx(t), url, DialConfig{})
			if err == nil || !strings.Contains(err.Error(), "invalid handshake response") || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Dial = %v, want an invalid handshake response saying %q", err, tc.why)
			}
			if !errors.Is(err, errBadHandshakeResponse) { // new API
				t.Errorf("%v does not match errBadHandshakeResponse", err) // new API
			} // new API
			var he *HandshakeError
			if !errors.As(err, &he) || he.StatusCode != 101 {
				t.Errorf("Dial = %v, want a *HandshakeError with status 101", err)
			}
		})
	}
}

// The handshake response's head is bounded: a server that sends megabytes
// of headers fails the dial with a clear error, having been read only up to
// the bound.
func TestDialBoundsResponseHead(t *testing.T) {
	checkFDs(t)
	const pad = 8 << 20 // 8 MiB of headers
	sent := make(chan int64, 1)
	url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		key, err := readUpgrade(br)
		if err != nil {
			sent <- 0
			return
		}
		w := bufio.NewWriterSize(c, 64<<10)
		fmt.Fprintf(w, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", acceptKey(key))
		line := "X-Pad: " + strings.Repeat("x", 1000) + "\r\n"
		var n int64
		for n < pad {
			m, err := w.WriteString(line)
			n += int64(m)
			if err != nil {
				break
			}
		}
		w.WriteString("\r\n")
		w.Flush()
		sent <- n
		io.Copy(io.Discard, br)
	})
	_, err := Dial(testCtx(t), url, DialConfig{})
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("Dial = %v, want an error saying the response head exceeds the bound", err)
	}
	if !errors.Is(err, errBadHandshakeResponse) { // new API
		t.Errorf("%v does not match errBadHandshakeResponse", err) // new API
	} // new API
	if n := recv(t, sent, "the server's writes"); n >= pad {
		t.Errorf("the server wrote all %d bytes of headers: the client read them", n)
	}
}

// A slow reader is not a dead peer: a 16 MiB message to a peer reading about
// 1 MiB/s goes through with WriteTimeout 2 s (the write is bounded by
// progress, not by one deadline for the whole message).
func TestSlowReaderLargeMessageSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pipeLink(t, 2*time.Second)
		const size = 16 << 20
		got := make(chan int64, 1)
		go func() {
			_, r, err := s.NextReader()
			if err != nil {
				got <- -1
				return
			}
			var n int64
			for {
				m, err := io.CopyN(io.Discard, r, 64<<10)
				n += m
				if err != nil {
					break
				}
				time.Sleep(time.Second / 16) // 64 KiB per 1/16 s: 1 MiB/s
			}
			got <- n
		}()
		start := time.Now()
		if err := l.WriteMessage(t.Context(), websocket.BinaryMessage, make([]byte, size)); err != nil {
			t.Fatalf("WriteMessage to a slow reader after %v: %v", time.Since(start), err)
		}
		if n := <-got; n != size {
			t.Errorf("peer read %d bytes, want %d", n, size)
		}
		if d := time.Since(start); d < 15*time.Second {
			t.Errorf("16 MiB at 1 MiB/s took %v: the peer was not slow", d)
		}
	})
}

// A peer that stops reading in the middle of a large message is still cut
// after WriteTimeout without progress.
func TestStalledReaderLargeMessageSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pipeLink(t, 2*time.Second)
		stalledAt := make(chan time.Time, 1)
		go func() {
			_, r, err := s.NextReader()
			if err != nil {
				return
			}
			io.CopyN(io.Discard, r, 1<<20)
			stalledAt <- time.Now() // and reads no more
		}()
		err := l.WriteMessage(t.Context(), websocket.BinaryMessage, make([]byte, 4<<20))
		if !errors.Is(err, ErrAborted) && !isTimeout(err) {
			t.Fatalf("WriteMessage to a stalled reader = %v, want a timeout", err)
		}
		if d := time.Since(<-stalledAt); d < 2*time.Second || d > 4*time.Second {
			t.Errorf("cut %v after the peer stopped reading, want between 2 s and 4 s", d)
		}
	})
}

// When the peer sends a close frame and drops TCP while several goroutines
// write, the writes fail but the peer's close frame decides how the link
// ended, every time (a failed write must not abort the link under the
// reader).
func TestPeerCloseWinsOverFailedWrites(t *testing.T) {
	checkFDs(t)
	url := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if upgrade(c, br) != nil {
			return
		}
		if _, _, err := readFrame(br); err != nil { // the writers are writing
			return
		}
		c.Write(closeFrame(1008, "policy"))
		// and close at once, with the writers' bytes unread (a reset)
	})
	deadline := time.Now().Add(30 * time.Second)
	for run := range 100 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d runs in 30 s", run)
		}
		l := dial(t, url, DialConfig{})
		_, errc := reader(l)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				msg := make([]byte, 32<<10)
				for l.WriteMessage(context.Background(), websocket.BinaryMessage, msg) == nil {
				}
			})
		}
		err := recv(t, errc, "reader end")
		wg.Wait()
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != 1008 {
			t.Fatalf("run %d: reader ended with %v, want *CloseError 1008", run, err)
		}
		waitDone(t, l)
	}
}
