package transport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/wstest"
)

func TestAbortUnblocksRead(t *testing.T) {
	l := serveAndDial(t, "/silent")
	_, errc := reader(l)
	go l.Abort()
	err := recv(t, errc, "reader end after Abort")
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("reader ended with %v, want ErrAborted", err)
	}
	waitDone(t, l)
}

func TestAbortCauseReachesReader(t *testing.T) {
	l := serveAndDial(t, "/silent")
	_, errc := reader(l)
	l.AbortCause(ErrDeadPeer)
	l.AbortCause(ErrCloseTimeout) // later causes are ignored
	err := recv(t, errc, "reader end")
	if !errors.Is(err, ErrDeadPeer) || !errors.Is(err, ErrAborted) || errors.Is(err, ErrCloseTimeout) {
		t.Fatalf("reader ended with %v, want ErrDeadPeer+ErrAborted only", err)
	}
}

func TestAbortUnblocksWrite(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		checkFDs(t)
		abortBlockedWrite(t, newServer(t), nil)
	})
	t.Run("tls", func(t *testing.T) {
		checkFDs(t)
		s := wstest.NewTLSServer()
		t.Cleanup(s.Close)
		abortBlockedWrite(t, s, s)
	})
}

// abortBlockedWrite fills the kernel buffers towards a /silent peer until a
// write blocks, then aborts from another goroutine.
func abortBlockedWrite(t *testing.T, s *wstest.Server, tlsSrv *wstest.Server) {
	cfg := DialConfig{WriteTimeout: -1}
	if tlsSrv != nil {
		cfg.TLSConfig = tlsSrv.ClientTLSConfig()
	}
	l := dial(t, s.URL("/silent"), cfg)
	progress := make(chan int, 1024)
	werr := make(chan error, 1)
	go func() {
		msg := make([]byte, 1<<20)
		for i := range 512 { // 512 MiB: far beyond any socket buffer
			if err := l.WriteMessage(context.Background(), websocket.BinaryMessage, msg); err != nil {
				werr <- err
				return
			}
			progress <- i
		}
		werr <- nil
	}()
	// Wait until writes stop making progress: the writer is then blocked
	// in the kernel. (If it were not yet, the test would still pass.)
	for quiet := false; !quiet; {
		select {
		case <-progress:
		case err := <-werr:
			t.Fatalf("writer ended before blocking: %v", err)
		case <-time.After(100 * time.Millisecond):
			quiet = true
		}
	}
	go l.Abort()
	err := recv(t, werr, "blocked writer after Abort")
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("blocked write ended with %v, want ErrAborted", err)
	}
	waitDone(t, l)
}

// TestAbortFINorRST checks what the peer sees: a FIN (EOF, gorilla's 1006)
// by default, a reset with AbortWithRST.
func TestAbortFINorRST(t *testing.T) {
	for _, rst := range []bool{false, true} {
		name := map[bool]string{false: "fin", true: "rst"}[rst]
		t.Run(name, func(t *testing.T) {
			checkFDs(t)
			seen := make(chan error, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
				if err != nil {
					return
				}
				_, _, err = ws.ReadMessage()
				ws.Close()
				seen <- err
			}))
			t.Cleanup(srv.Close)
			l := dial(t, "ws"+srv.URL[len("http"):], DialConfig{AbortWithRST: rst})
			l.Abort()
			err := recv(t, seen, "server read error")
			if rst {
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("server saw %v, want connection reset", err)
				}
			} else if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
				t.Errorf("server saw %v, want 1006 (EOF)", err)
			}
			waitDone(t, l)
		})
	}
}
