package transport

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// The guard follows the stream whatever the read sizes: fed a valid head,
// good frames and then a bad one in chunks of every size from 1 to 64
// bytes, it lets through the bytes before the bad frame, and of the bad
// frame only the header bytes that came in earlier reads (gorilla then
// waits for the rest of that header and gets the error), and reports it.
func TestFrameGuardAnyChunking(t *testing.T) {
	head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	good := bytes.Join([][]byte{
		frame(true, 1, []byte("hello")),
		frame(true, 2, make([]byte, 300)),   // 16-bit length
		frame(true, 9, []byte("ping")),      // a control frame
		frame(false, 1, []byte("frag")),     // fragments
		frame(true, 0, make([]byte, 70000)), // 64-bit length
	}, nil)
	for _, bad := range []struct {
		frame []byte
		at    int // the header byte that shows the violation
		says  string
	}{
		{frame(true, 8, []byte{3}), 1, "1-byte payload"},
		{[]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, 2, "most significant bit"},
	} {
		stream := append(append([]byte(head), good...), bad.frame...)
		for size := 1; size <= 64; size++ {
			g := frameGuard{mode: guardHead}
			kept := 0
			var err error
			for off := 0; off < len(stream) && err == nil; off += size {
				chunk := stream[off:min(off+size, len(stream))]
				var keep int
				keep, err = g.scan(chunk)
				kept += keep
			}
			var v *violation
			if !errors.As(err, &v) || !strings.Contains(v.reason, bad.says) {
				t.Fatalf("chunks of %d: err %v, want a violation saying %q", size, err, bad.says)
			}
			// Up to the bad header, and the bytes of it read before the
			// read in which the guard sees the violation.
			b := len(head) + len(good)
			want := max(b, (b+bad.at)/size*size)
			if kept != want {
				t.Fatalf("chunks of %d: %d bytes let through, want %d", size, kept, want)
			}
		}
	}
}

// 1014 becomes 1011 on its way through, wherever the reads split it; other
// codes are untouched.
func TestFrameGuardRewrites1014(t *testing.T) {
	for _, code := range []int{1014, 1011, 1000, 4000} {
		for size := 1; size <= 5; size++ {
			g := frameGuard{mode: guardFrames}
			stream := closeFrame(code, "x")
			for off := 0; off < len(stream); off += size {
				if _, err := g.scan(stream[off:min(off+size, len(stream))]); err != nil {
					t.Fatal(err)
				}
			}
			got := int(stream[2])<<8 | int(stream[3])
			want := code
			if code == 1014 {
				want = 1011
			}
			if got != want || (g.refused == 1014) != (code == 1014) {
				t.Errorf("code %d in chunks of %d: passed on %d (refused %d), want %d", code, size, got, g.refused, want)
			}
		}
	}
}

// The head is bounded; a refused upgrade's body is not taken for frames.
func TestFrameGuardHead(t *testing.T) {
	g := frameGuard{mode: guardHead}
	big := "HTTP/1.1 101 Switching Protocols\r\nX: " + strings.Repeat("y", maxHandshakeHeaderBytes)
	keep, err := g.scan([]byte(big))
	var htl *headTooLarge
	if !errors.As(err, &htl) || keep != maxHandshakeHeaderBytes || htl.status != 101 {
		t.Errorf("scan = %d, %v (status %d), want the bound and a 101 headTooLarge", keep, err, statusOf(htl))
	}

	g = frameGuard{mode: guardHead}
	refused := "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\n\x88\x01\x03"
	if keep, err := g.scan([]byte(refused)); err != nil || keep != len(refused) || g.mode != guardOff {
		t.Errorf("a refusal's body: scan = %d, %v, mode %d; want all of it passed, guard off", keep, err, g.mode)
	}
}

func statusOf(e *headTooLarge) int {
	if e == nil {
		return 0
	}
	return e.status
}
