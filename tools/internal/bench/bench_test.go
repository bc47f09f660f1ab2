package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// TestMain runs the tests, or, when the test binary is started as a server
// process (startServer with self = the test binary), serves.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve-addr" {
		os.Exit(serveChild(os.Args[1:]))
	}
	testkit.Main(m)
}

// serveChild is the server process's body, with the flags of the bench
// command's internal server mode.
func serveChild(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("serve-addr", "", "")
	until := fs.Int64("serve-busy-until", 0, "")
	window := fs.Duration("serve-busy-window", 0, "")
	reuse := fs.Bool("serve-reuseport", false, "")
	if fs.Parse(args) != nil {
		return 2
	}
	cfg := ServeConfig{Addr: *addr, BusyWindow: *window, ReusePort: *reuse}
	if *until != 0 {
		cfg.BusyUntil = time.Unix(0, *until)
	}
	if err := Serve(context.Background(), cfg, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testSelf is the command that starts this test binary as a server
// process.
func testSelf() []string { return []string{os.Args[0]} }

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want Figure
	}{
		{[]float64{3, 1, 2}, Figure{Median: 2, Min: 1, Max: 3, Rounds: 3}},
		{[]float64{4, 1, 3, 2}, Figure{Median: 2.5, Min: 1, Max: 4, Rounds: 4}},
		{[]float64{math.NaN(), 5}, Figure{Median: 5, Min: 5, Max: 5, Rounds: 1}},
	} {
		if got := summarize(tc.in); got != tc.want {
			t.Errorf("summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if got := summarize([]float64{math.NaN()}); !math.IsNaN(got.Median) || got.Rounds != 0 {
		t.Errorf("summarize(NaN) = %+v, want NaN and no rounds", got)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Microsecond // unsorted on purpose
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Microsecond, 0.99: 99 * time.Microsecond, 1: 100 * time.Microsecond, 0: time.Microsecond} {
		if got := percentile(slices.Clone(d), q); got != want {
			t.Errorf("p%v = %v, want %v", q*100, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestPeakOverMean(t *testing.T) {
	b := []int{100, 1, 2, 3, 2, 0}
	if got := peakOverMean(b, 1, 4); got != 1.5 { // peak 3, mean 2
		t.Errorf("peakOverMean = %v, want 1.5", got)
	}
	if got := peakOverMean(b, -5, 99); math.Abs(got-100/(108.0/6)) > 1e-9 {
		t.Errorf("clamped window = %v", got)
	}
	if !math.IsNaN(peakOverMean(b, 5, 5)) || !math.IsNaN(peakOverMean(b, 4, 2)) {
		t.Error("an empty or silent window is not NaN")
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "10.0.0.1:80", "nonsense"} {
		if err := Serve(t.Context(), ServeConfig{Addr: addr}, strings.NewReader(""), &bytes.Buffer{}); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Serve(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
}

// The server process's body: it announces its port, serves DropPath (a
// stamp of the previous drop, then a drop on the first message) and stops
// at the end of its stdin.
func TestServeDropPath(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- Serve(t.Context(), ServeConfig{Addr: "127.0.0.1:0"}, stdinR, outW) }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { io.Copy(io.Discard, outR); close(copied) }()
	defer func() { outW.Close(); <-copied }()
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	url := "ws://127.0.0.1:" + port + DropPath
	stamp := func(ws *websocket.Conn) int64 {
		_, b, err := ws.ReadMessage()
		if err != nil || len(b) != 8 {
			t.Fatalf("stamp: %q, %v", b, err)
		}
		return int64(binary.BigEndian.Uint64(b))
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := stamp(ws); s != 0 {
		t.Errorf("first stamp %d, want 0 (no drop yet)", s)
	}
	before := time.Now().UnixNano()
	ws.WriteMessage(websocket.BinaryMessage, []byte("drop"))
	var ce *websocket.CloseError
	if _, _, err := ws.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.CloseAbnormalClosure {
		t.Errorf("after a message: %v, want TCP closed without a close frame (1006)", err)
	}
	ws.Close()
	ws, _, err = websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := stamp(ws); s < before || s > time.Now().UnixNano() {
		t.Errorf("second stamp %d, want the drop's time, after %d", s, before)
	}
	ws.Close()
	stdinW.Close()
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
}
