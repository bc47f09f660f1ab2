package transport

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// serveReads runs the server side's read loop (gorilla answers pings and
// close frames from inside reads) until the connection ends.
func serveReads(s *websocket.Conn) {
	go func() {
		for {
			if _, _, err := s.ReadMessage(); err != nil {
				return
			}
		}
	}()
}

// deadPeerAfter starts l's keepalive (pings every 20 ms, 50 ms for a pong)
// and returns how long it took for l's reader, whose end comes on errc, to
// end with ErrDeadPeer.
func deadPeerAfter(t *testing.T, l *Link, errc chan error) time.Duration {
	t.Helper()
	start := time.Now()
	l.StartKeepalive(20*time.Millisecond, 50*time.Millisecond, nil)
	if err := <-errc; !errors.Is(err, ErrDeadPeer) {
		t.Fatalf("reader ended with %v, want ErrDeadPeer", err)
	}
	return time.Since(start)
}

func TestKeepaliveDeadPeerSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := pipeLink(t, 0) // the server side never reads
		_, errc := reader(l)
		// First ping at 20 ms, declared dead 50 ms later.
		if got := deadPeerAfter(t, l, errc); got != 70*time.Millisecond {
			t.Errorf("dead peer found after %v, want 70ms", got)
		}
		<-l.Done()
	})
}

func TestKeepaliveAlivePeerSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		var pings atomic.Int32
		s.SetPingHandler(func(data string) error {
			pings.Add(1)
			time.Sleep(7 * time.Millisecond) // the pong comes back 7 ms late
			return s.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		serveReads(s)
		_, errc := reader(l)
		var rtts []time.Duration
		l.StartKeepalive(20*time.Millisecond, 50*time.Millisecond, func(d time.Duration) { rtts = append(rtts, d) })
		time.Sleep(time.Second + 10*time.Millisecond)
		testkit.NothingOn(t, errc, "live peer ended the link: %v")
		if n := pings.Load(); n != 50 {
			t.Errorf("%d pings in 1.01 s at a 20 ms interval, want 50", n)
		}
		if len(rtts) > 0 && rtts[len(rtts)-1] != 7*time.Millisecond {
			t.Errorf("last RTT = %v, want 7ms", rtts[len(rtts)-1])
		}
		if len(rtts) != 50 {
			t.Errorf("onRTT called %d times, want 50", len(rtts))
		}
		l.Abort()
		if err := <-errc; !errors.Is(err, ErrAborted) {
			t.Errorf("reader ended with %v, want ErrAborted", err)
		}
	})
}

func TestKeepaliveDataCountsAsLifeSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		// The peer never answers pings but keeps talking for 300 ms.
		s.SetPingHandler(func(string) error { return nil })
		serveReads(s)
		go func() {
			for range 30 {
				if s.WriteMessage(websocket.TextMessage, []byte("tick")) != nil {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		msgs, errc := reader(l)
		go func() {
			for range msgs {
			}
		}()
		// Unanswered pings go out every 50 ms (20, 70, ..., 270, 320): each
		// pong timeout saw a tick, until the one ending at 370 ms (last
		// tick at 290 ms).
		if got := deadPeerAfter(t, l, errc); got != 370*time.Millisecond {
			t.Errorf("dead peer found after %v, want 370ms", got)
		}
		close(msgs)
	})
}

// The reader's Close waits for the peer's close frame as long as nothing
// aborts the link: the caller's close timer does.
func TestCloseWaitsForCallersTimerSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		s.SetCloseHandler(func(int, string) error { return nil }) // never answers
		serveReads(s)
		_, errc := reader(l)
		start := time.Now()
		time.AfterFunc(5*time.Second, func() { l.AbortCause(ErrCloseTimeout) })
		_, err := l.Close(t.Context(), websocket.CloseNormalClosure, "")
		if !errors.Is(err, ErrCloseTimeout) {
			t.Fatalf("Close = %v, want ErrCloseTimeout", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Close took %v, want exactly the caller's 5s", got)
		}
		if err := <-errc; !errors.Is(err, ErrCloseTimeout) {
			t.Errorf("reader ended with %v, want ErrCloseTimeout", err)
		}
	})
}

func TestWriteTimeoutSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := pipeLink(t, 100*time.Millisecond) // the server never reads
		start := time.Now()
		err := l.WriteMessage(t.Context(), websocket.TextMessage, []byte("stuck"))
		if err == nil {
			t.Fatal("write to a peer that never reads succeeded")
		}
		if got := time.Since(start); got != 100*time.Millisecond {
			t.Errorf("write failed after %v, want the 100ms write timeout", got)
		}
		// A write that timed out aborts the link.
		if err := l.WriteMessage(t.Context(), websocket.TextMessage, []byte("x")); !errors.Is(err, ErrAborted) {
			t.Errorf("next write = %v, want ErrAborted", err)
		}
	})
}

// The write deadline moves only once an eighth of WriteTimeout has passed
// since it was set: a write is cut after at least 7/8 of WriteTimeout and at
// most all of it, however long the link was idle before.
func TestWriteTimeoutAfterEarlierWrites(t *testing.T) {
	for _, tc := range []struct {
		idle, want time.Duration
	}{
		{5 * time.Millisecond, 95 * time.Millisecond},   // the first write's deadline still holds
		{30 * time.Millisecond, 100 * time.Millisecond}, // moved: a full timeout
		{time.Hour, 100 * time.Millisecond},             // long idle: a full timeout, not an expired one
	} {
		synctest.Test(t, func(t *testing.T) {
			l, s := pipeLink(t, 100*time.Millisecond)
			go s.ReadMessage() // the peer reads one message, then nothing
			if err := l.WriteMessage(t.Context(), websocket.TextMessage, []byte("read")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tc.idle)
			start := time.Now()
			if err := l.WriteMessage(t.Context(), websocket.TextMessage, []byte("stuck")); err == nil {
				t.Fatal("write to a peer that stopped reading succeeded")
			}
			if got := time.Since(start); got != tc.want {
				t.Errorf("after %v idle: write cut after %v, want %v", tc.idle, got, tc.want)
			}
		})
	}
}

func TestKeepaliveRealSockets(t *testing.T) {
	checkFDs(t)
	s := newServer(t)

	silent := dial(t, s.URL("/silent"), DialConfig{})
	_, errc := reader(silent)
	silent.StartKeepalive(20*time.Millisecond, 50*time.Millisecond, nil)
	err := recv(t, errc, "dead peer")
	if !errors.Is(err, ErrDeadPeer) {
		t.Fatalf("silent peer: reader ended with %v, want ErrDeadPeer", err)
	}

	echo := dial(t, s.URL("/echo"), DialConfig{})
	reader(echo)
	rtt := make(chan time.Duration, 16)
	echo.StartKeepalive(10*time.Millisecond, time.Second, func(d time.Duration) {
		select {
		case rtt <- d:
		default:
		}
	})
	if d := recv(t, rtt, "a ping round trip"); d <= 0 {
		t.Errorf("RTT = %v, want > 0", d)
	}
}
