package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/wstest"
)

func TestEchoRoundTrip(t *testing.T) {
	checkFDs(t)
	s := newServer(t, wstest.Subprotocols("chat"))
	l := dial(t, s.URL("/echo"), DialConfig{Subprotocols: []string{"chat"}})
	if got := l.Subprotocol(); got != "chat" {
		t.Errorf("Subprotocol() = %q, want chat", got)
	}
	msgs, _ := reader(l)
	ctx := testCtx(t)
	sent := []Message{
		{Type: websocket.TextMessage, Data: []byte("hello")},
		{Type: websocket.BinaryMessage, Data: bytes.Repeat([]byte{7}, 100_000)},
		{Type: websocket.TextMessage, Data: []byte{}},
	}
	for _, m := range sent {
		if err := l.WriteMessage(ctx, m.Type, m.Data); err != nil {
			t.Fatalf("WriteMessage: %v", err)
		}
	}
	for i, want := range sent {
		got := recv(t, msgs, "echo")
		if got.Type != want.Type || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("echo %d: type %d len %d, want type %d len %d", i, got.Type, len(got.Data), want.Type, len(want.Data))
		}
	}
}

func TestEachDialIsFresh(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	a := dial(t, s.URL("/echo"), DialConfig{})
	b := dial(t, s.URL("/echo"), DialConfig{})
	if a.ws == b.ws {
		t.Error("two dials share a *websocket.Conn")
	}
	if a.NetConn() == b.NetConn() || a.NetConn().LocalAddr().String() == b.NetConn().LocalAddr().String() {
		t.Error("two dials share a TCP connection")
	}
	if _, ok := a.NetConn().(*net.TCPConn); !ok {
		t.Errorf("NetConn() is %T, want *net.TCPConn", a.NetConn())
	}
	// An echo proves the server registered both before counting.
	for _, l := range []*Link{a, b} {
		msgs, _ := reader(l)
		if err := l.WriteMessage(testCtx(t), websocket.TextMessage, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		recv(t, msgs, "echo")
	}
	if s.Accepted() != 2 {
		t.Errorf("server accepted %d upgrades, want 2", s.Accepted())
	}
}

func TestDropAfterNReports1006(t *testing.T) {
	l := serveAndDial(t, "/drop-after/2")
	msgs, errc := reader(l)
	ctx := testCtx(t)
	for i := range 2 {
		if err := l.WriteMessage(ctx, websocket.TextMessage, []byte{byte('a' + i)}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	for i := range 2 {
		if m := recv(t, msgs, "echo"); string(m.Data) != string(rune('a'+i)) {
			t.Errorf("echo %d = %q", i, m.Data)
		}
	}
	err := recv(t, errc, "reader end")
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("reader ended with %v, want *CloseError 1006", err)
	}
	waitDone(t, l)
}

func TestPeerCloseFrame(t *testing.T) {
	for _, tc := range []struct{ code int }{{1000}, {1012}, {1013}, {4001}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			checkFDs(t)
			s := newServer(t)
			l := dial(t, s.URL(fmt.Sprintf("/close/%d?reason=because", tc.code)), DialConfig{})
			_, errc := reader(l)
			err := recv(t, errc, "reader end")
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code || ce.Reason != "because" {
				t.Fatalf("reader ended with %v, want *CloseError %d because", err, tc.code)
			}
			// The peer closed first: Close only reports it.
			res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
			if err != nil || !res.Completed || res.PeerCode != tc.code || res.PeerReason != "because" {
				t.Errorf("Close after peer close = %+v, %v", res, err)
			}
			waitDone(t, l)
		})
	}
}

func TestReadLimit(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	l := dial(t, s.URL("/echo"), DialConfig{ReadLimit: 1024})
	msgs, errc := reader(l)
	ctx := testCtx(t)
	if err := l.WriteMessage(ctx, websocket.BinaryMessage, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, msgs, "echo at the limit"); len(m.Data) != 1024 {
		t.Fatalf("echo len %d", len(m.Data))
	}
	if err := l.WriteMessage(ctx, websocket.BinaryMessage, make([]byte, 1025)); err != nil {
		t.Fatal(err)
	}
	err := recv(t, errc, "reader end")
	if !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("reader ended with %v, want ErrMessageTooBig", err)
	}
	waitDone(t, l)
}

func TestConcurrentWritesAllArrive(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	l := dial(t, s.URL("/sink"), DialConfig{})
	ctx := testCtx(t)
	const writers, each = 16, 50
	var wg sync.WaitGroup
	var want []string
	for w := range writers {
		for i := range each {
			want = append(want, fmt.Sprintf("w%02d-m%03d", w, i))
		}
		wg.Go(func() {
			for i := range each {
				if err := l.WriteMessage(ctx, websocket.TextMessage, fmt.Appendf(nil, "w%02d-m%03d", w, i)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	res, err := l.Close(ctx, websocket.CloseNormalClosure, "done")
	if err != nil || !res.Completed {
		t.Fatalf("Close = %+v, %v", res, err)
	}
	var got []string
	for _, m := range s.Messages() {
		got = append(got, string(m))
	}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sink got %d messages, want %d (all distinct and intact)", len(got), len(want))
	}
}

func TestWriteAfterCloseOrAbort(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	ctx := testCtx(t)

	l := dial(t, s.URL("/echo"), DialConfig{})
	reader(l)
	if _, err := l.Close(ctx, websocket.CloseNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteMessage(ctx, websocket.TextMessage, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close = %v, want net.ErrClosed", err)
	}

	l2 := dial(t, s.URL("/echo"), DialConfig{})
	l2.Abort()
	if err := l2.WriteMessage(ctx, websocket.TextMessage, []byte("x")); !errors.Is(err, ErrAborted) {
		t.Errorf("write after Abort = %v, want ErrAborted", err)
	}
	if _, err := l2.Close(ctx, websocket.CloseNormalClosure, ""); !errors.Is(err, ErrAborted) {
		t.Errorf("Close after Abort = %v, want ErrAborted", err)
	}
	if err := l2.Abort(); err != nil {
		t.Errorf("second Abort = %v", err)
	}
	waitDone(t, l2)
}

func TestWriteCancelledCtxKeepsLink(t *testing.T) {
	l := serveAndDial(t, "/echo")
	msgs, _ := reader(l)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.WriteMessage(cancelled, websocket.TextMessage, []byte("no")); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with cancelled ctx = %v", err)
	}
	if err := l.WriteMessage(testCtx(t), websocket.TextMessage, []byte("yes")); err != nil {
		t.Fatalf("write after a cancelled one: %v", err)
	}
	if m := recv(t, msgs, "echo"); string(m.Data) != "yes" {
		t.Errorf("echo = %q, want yes", m.Data)
	}
}
