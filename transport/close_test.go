package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestCloseHandshake(t *testing.T) {
	for _, withReader := range []bool{true, false} {
		name := "self-read"
		if withReader {
			name = "with-reader"
		}
		t.Run(name, func(t *testing.T) {
			checkFDs(t)
			s := newServer(t)
			l := dial(t, s.URL("/echo"), DialConfig{})
			var errc chan error
			if withReader {
				_, errc = reader(l)
			}
			res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "bye", 0)
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
			if !res.Completed || res.PeerCode != websocket.CloseNormalClosure {
				t.Errorf("Close = %+v, want Completed with 1000", res)
			}
			if withReader {
				var ce *CloseError
				if err := recv(t, errc, "reader end"); !errors.As(err, &ce) || ce.Code != 1000 {
					t.Errorf("reader ended with %v, want *CloseError 1000", err)
				}
			}
			waitDone(t, l)
		})
	}
}

func TestCloseTimesOutAgainstPeerIgnoringClose(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	l := dial(t, s.URL("/ignore-close"), DialConfig{})
	_, errc := reader(l)
	const timeout = 100 * time.Millisecond
	start := time.Now()
	res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "", timeout)
	if !errors.Is(err, ErrCloseTimeout) {
		t.Fatalf("Close = %v, want ErrCloseTimeout", err)
	}
	if elapsed := time.Since(start); elapsed < timeout {
		t.Errorf("Close returned after %v, before the %v timeout", elapsed, timeout)
	}
	if res.Completed {
		t.Errorf("Close reported a completed handshake: %+v", res)
	}
	rerr := recv(t, errc, "reader end")
	if !errors.Is(rerr, ErrCloseTimeout) || !errors.Is(rerr, ErrAborted) {
		t.Errorf("reader ended with %v, want ErrCloseTimeout and ErrAborted", rerr)
	}
	if v := Classify(rerr); v != Retry {
		t.Errorf("Classify = %v, want Retry", v)
	}
	waitDone(t, l)
}

func TestCloseEndsWithCtx(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	l := dial(t, s.URL("/ignore-close"), DialConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := l.Close(ctx, websocket.CloseNormalClosure, "", time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrAborted) {
		t.Fatalf("Close = %v, want ctx deadline and ErrAborted", err)
	}
	waitDone(t, l)
}

func TestClosePayload(t *testing.T) {
	long := strings.Repeat("é", 70) // 140 bytes; byte 123 is inside a rune
	p := closePayload(1000, long)
	if len(p) > 125 {
		t.Fatalf("payload %d bytes, max 125", len(p))
	}
	if got := string(p[2:]); got != long[:122] /* 61 runes */ {
		t.Errorf("reason cut to %q, want a rune boundary", got)
	}
	if p := closePayload(1006, "x"); len(p) != 0 {
		t.Errorf("code 1006 gave payload %v, want empty (1005)", p)
	}
}
