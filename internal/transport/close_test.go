package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
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
			l := serveAndDial(t, "/echo")
			var errc chan error
			if withReader {
				_, errc = reader(l)
			}
			res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "bye")
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

// Close has no timer of its own: the caller's close timer aborts the link
// (with ErrCloseTimeout as the cause), and Close returns at once with an
// error matching ErrAborted and that cause.
func TestCloseEndsWithCallersAbort(t *testing.T) {
	l := serveAndDial(t, "/ignore-close")
	_, errc := reader(l)
	const timeout = 100 * time.Millisecond
	start := time.Now()
	timer := time.AfterFunc(timeout, func() { l.AbortCause(ErrCloseTimeout) })
	defer timer.Stop()
	res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
	if !errors.Is(err, ErrCloseTimeout) || !errors.Is(err, ErrAborted) {
		t.Fatalf("Close = %v, want ErrAborted and ErrCloseTimeout", err)
	}
	if elapsed := time.Since(start); elapsed < timeout {
		t.Errorf("Close returned after %v, before the caller's %v abort", elapsed, timeout)
	}
	if strings.Count(err.Error(), "transport:") != 1 {
		t.Errorf("error %q names the package more than once", err)
	}
	if res.Completed {
		t.Errorf("Close reported a completed handshake: %+v", res)
	}
	rerr := recv(t, errc, "reader end")
	if !errors.Is(rerr, ErrCloseTimeout) || !errors.Is(rerr, ErrAborted) {
		t.Errorf("reader ended with %v, want ErrCloseTimeout and ErrAborted", rerr)
	}
	waitDone(t, l)
}

// Without a reader, Close reads by itself; an abort ends that read too.
func TestCloseSelfReadEndsWithAbort(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		s.SetCloseHandler(func(int, string) error { return nil }) // never answers
		serveReads(s)
		time.AfterFunc(5*time.Second, func() { l.AbortCause(ErrCloseTimeout) })
		start := time.Now()
		_, err := l.Close(context.Background(), websocket.CloseNormalClosure, "")
		if !errors.Is(err, ErrCloseTimeout) || !errors.Is(err, ErrAborted) {
			t.Fatalf("Close = %v, want ErrAborted and ErrCloseTimeout", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Close took %v, want the 5s until the abort", got)
		}
		<-l.Done()
	})
}

func TestCloseEndsWithCtx(t *testing.T) {
	l := serveAndDial(t, "/ignore-close")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := l.Close(ctx, websocket.CloseNormalClosure, "")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrAborted) {
		t.Fatalf("Close = %v, want ctx deadline and ErrAborted", err)
	}
	waitDone(t, l)
}

// Close waiting behind a blocked write returns as soon as the caller's timer
// aborts the link.
func TestCloseBehindBlockedWriteSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := pipeLink(t, 0) // no write timeout; the peer never reads
		werr := make(chan error, 1)
		go func() { werr <- l.WriteMessage(context.Background(), websocket.BinaryMessage, make([]byte, 1<<20)) }()
		synctest.Wait()
		time.AfterFunc(time.Second, func() { l.AbortCause(ErrCloseTimeout) })
		start := time.Now()
		_, err := l.Close(context.Background(), websocket.CloseNormalClosure, "")
		if !errors.Is(err, ErrCloseTimeout) || time.Since(start) != time.Second {
			t.Errorf("Close = %v after %v, want ErrCloseTimeout after 1s", err, time.Since(start))
		}
		if err := <-werr; !errors.Is(err, ErrAborted) {
			t.Errorf("blocked write = %v, want ErrAborted", err)
		}
	})
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
