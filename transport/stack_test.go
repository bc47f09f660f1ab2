//go:build !race

package transport

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

// scannedStack returns the bytes of goroutine stacks the last GC scanned.
func scannedStack() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/stack:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// An idle reader's stack stays under the depth past which the runtime
// starts every new goroutine on 4 KiB instead of 2 KiB (round2(average
// scanned stack + 928 B), see StartReader): 1120 bytes. It was 1048 before
// the frame guard (wireConn.Read) joined the read path, 1096 with it. (The
// race detector's frames are larger: not checked under -race.)
func TestIdleReaderStackDepth(t *testing.T) {
	if testing.Short() {
		t.Skip("dials 200 connections")
	}
	s := newServer(t)
	const n = 200
	links := make([]*Link, n)
	for i := range links {
		links[i] = dial(t, s.URL("/echo"), DialConfig{})
	}
	base := scannedStack() // the servers' goroutines wait in their reads
	// Each reader proves it is up, and back in its next read, with one
	// echo; the server's goroutine is back in its read too.
	msgs := make(chan Message, n)
	for _, l := range links {
		l.StartReader(msgs, nil, nil, nil)
		if err := l.WriteMessage(testCtx(t), 1, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		recv(t, msgs, "echo")
	}
	per := (int64(scannedStack()) - int64(base)) / n
	t.Logf("idle reader stack: %d bytes", per)
	if per > 1120 {
		t.Errorf("an idle reader's stack is %d bytes deep, over the 1120-byte budget", per)
	}
}
