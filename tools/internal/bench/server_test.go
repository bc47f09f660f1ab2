package bench

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// serveInProcess runs Serve with cfg on a goroutine until the test ends and
// returns its base URL, ws://127.0.0.1:PORT.
func serveInProcess(t *testing.T, cfg ServeConfig) string {
	t.Helper()
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- Serve(t.Context(), cfg, stdinR, outW) }()
	r := bufio.NewReader(outR)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { io.Copy(io.Discard, r); close(copied) }()
	t.Cleanup(func() {
		stdinW.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve = %v", err)
		}
		outW.Close()
		<-copied
	})
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	return "ws://127.0.0.1:" + port
}

// Until BusyUntil the server answers every upgrade with 503 and a
// Retry-After of the whole seconds left plus 0..BusyWindow; then it serves.
func TestServeBusyUntil(t *testing.T) {
	until := time.Now().Add(300 * time.Millisecond)
	base := serveInProcess(t, ServeConfig{Addr: "127.0.0.1:0", BusyUntil: until, BusyWindow: 3 * time.Second})
	seen := map[int]bool{}
	for range 40 {
		ws, resp, err := websocket.DefaultDialer.Dial(base+"/echo", nil)
		if err == nil {
			ws.Close()
			if time.Now().Before(until) {
				t.Fatal("the server accepted while busy")
			}
			break
		}
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("while busy: %v (%v), want 503", err, resp)
		}
		ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 1+3 {
			t.Errorf("Retry-After %q, want 1 (the seconds left, rounded up) + 0..3", resp.Header.Get("Retry-After"))
		}
		seen[ra] = true
	}
	if len(seen) < 2 {
		t.Errorf("Retry-After took the values %v: not spread", seen)
	}
	time.Sleep(time.Until(until))
	ws, _, err := websocket.DefaultDialer.Dial(base+"/echo", nil)
	if err != nil {
		t.Fatalf("after BusyUntil: %v", err)
	}
	ws.Close()
}

// The failover round runs both sides against the same server, and the
// figures are consistent: every failover's detection is part of it, so the
// median detection is at most the median failover, on each side.
func TestMeasureFailoverBothSides(t *testing.T) {
	base := serveInProcess(t, ServeConfig{Addr: "127.0.0.1:0"})
	r, err := measureFailover(t.Context(), base+DropPath, 2*failoverSlice, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.p50 <= 0 || r.p99 < r.p50 || r.loopP50 <= 0 || r.detect <= 0 || r.dial <= 0 || r.loopDetect <= 0 || r.loopDial <= 0 {
		t.Errorf("figures %+v: want positive, p99 >= p50", r)
	}
	if r.detect > r.p50 || r.loopDetect > r.loopP50 || r.dial > r.p50 || r.loopDial > r.loopP50 {
		t.Errorf("a phase beyond its total: %+v", r)
	}
}

// The abort round runs both sides and leaves no descriptor open (the
// server runs in a process of its own: its half of each connection closes
// on its own time).
func TestMeasureAbortBothSides(t *testing.T) {
	srv, err := startServer(t.Context(), testSelf(), "127.0.0.1:0", nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	conn, gorilla, err := measureAbort(t.Context(), srv.url("/echo"), abortSlice, 0)
	if err != nil {
		t.Fatal(err)
	}
	if conn <= 0 || gorilla <= 0 {
		t.Errorf("p99 wsfsm %v, gorilla %v: want positive", conn, gorilla)
	}
}

// A storm of a few clients, plain and server-led, in bounded time: every
// client comes back, each dialed during the outage, and the server-led
// storm answers each client's one dial during the outage (from the kill
// on) and sends them back within its window.
func TestRunStorm(t *testing.T) {
	cfg := stormConfig{clients: 20, outage: 600 * time.Millisecond, cap: 500 * time.Millisecond,
		opts: wsfsm.Options{BackoffInitial: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond}}
	r, err := runStorm(t.Context(), testSelf(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.fleet.DialsPerClient < 1 || r.back < cfg.outage || r.fleet.T100 > (cfg.cap+time.Second).Seconds() || r.fleet.T99 > r.fleet.T100 || !(r.fleet.PeakRatio > 0) {
		t.Errorf("plain storm: back %v, %+v", r.back, r.fleet)
	}
	cfg.retryAfterWindow = time.Second
	l, err := runStorm(t.Context(), testSelf(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d := l.back - cfg.outage; d > 0 || d < -50*time.Millisecond || l.fleet.DialsPerClient != 1 || l.fleet.T100 > (2*time.Second+cfg.cap).Seconds() {
		t.Errorf("server-led storm: back %v, %+v", l.back, l.fleet)
	}
}

// With ReusePort, a second server listens on the port of the first (the
// busy server of the server-led storm starts before the kill); without it,
// a server refuses a port in use.
func TestServeReusePort(t *testing.T) {
	stop := make(chan struct{})
	first := serveInProcess(t, ServeConfig{Addr: "127.0.0.1:0", ReusePort: true})
	addr := strings.TrimPrefix(first, "ws://")
	busy := ServeConfig{Addr: addr, ReusePort: true, BusyUntil: time.Now().Add(time.Hour), BusyWindow: time.Second}
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- Serve(t.Context(), busy, stdinR, outW) }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { io.Copy(io.Discard, outR); close(stop) }()
	if want := "LISTENING " + strings.Split(addr, ":")[1] + "\n"; line != want {
		t.Errorf("second server: %q, want %q", line, want)
	}
	stdinW.Close()
	if err := <-served; err != nil {
		t.Errorf("second Serve = %v", err)
	}
	outW.Close()
	<-stop
	if err := Serve(t.Context(), ServeConfig{Addr: addr}, strings.NewReader(""), io.Discard); err == nil {
		t.Error("a server without ReusePort took a port already in use")
	}
}
