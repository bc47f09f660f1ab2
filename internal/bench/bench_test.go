package bench

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/wsfsm/wsfsm/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

// Without jitter every client replays the same envelope: all dial in the
// same buckets, the recovery is one spike, and each client dials exactly as
// many times as the envelope needs to pass the outage.
func TestSimulateWithoutJitterIsOneSpike(t *testing.T) {
	cfg := SimConfig{Clients: 1000, Outage: 2 * time.Second, Seed: 1}
	r := Simulate(cfg)
	// Envelopes 250ms, 500ms, 1s: dials at 0.25, 0.75, 1.75 fail; 3.75 s succeeds.
	if r.Dials != 4*cfg.Clients {
		t.Errorf("%d dials, want %d", r.Dials, 4*cfg.Clients)
	}
	if r.LastSuccess != 3750*time.Millisecond {
		t.Errorf("last success at %v, want 3.75s", r.LastSuccess)
	}
	for _, i := range []int{2, 7, 17, 37} {
		if r.Buckets[i] != cfg.Clients {
			t.Errorf("bucket %d holds %d dials, want all %d", i, r.Buckets[i], cfg.Clients)
		}
	}
	// The window from the outage (bucket 20) to the last success (37) has one
	// full bucket among 18.
	if r.PeakRatio != 18 {
		t.Errorf("peak ratio %v, want 18", r.PeakRatio)
	}
}

// With jitter the same outage spreads the dials: a far lower peak ratio,
// every client back after the outage, and the run is reproducible.
func TestSimulateWithJitterSpreads(t *testing.T) {
	cfg := SimConfig{Clients: 20_000, Outage: 30 * time.Second, Jitter: true, Seed: 3}
	r := Simulate(cfg)
	nj := Simulate(SimConfig{Clients: cfg.Clients, Outage: cfg.Outage, Seed: 3})
	if r.PeakRatio >= nj.PeakRatio/4 {
		t.Errorf("peak ratio %v with jitter, %v without: jitter does not spread the storm", r.PeakRatio, nj.PeakRatio)
	}
	if r.LastSuccess < cfg.Outage || r.LastSuccess > cfg.Outage+transport.DefaultBackoffMax {
		t.Errorf("last success at %v, want within the cap after %v", r.LastSuccess, cfg.Outage)
	}
	sum := 0
	for _, b := range r.Buckets {
		sum += b
	}
	if sum != r.Dials || r.Dials < cfg.Clients {
		t.Errorf("buckets hold %d dials, Dials %d, clients %d", sum, r.Dials, cfg.Clients)
	}
	again := Simulate(cfg)
	if again.PeakRatio != r.PeakRatio || again.Dials != r.Dials {
		t.Errorf("same seed, different runs: %v/%d then %v/%d", r.PeakRatio, r.Dials, again.PeakRatio, again.Dials)
	}
}

// A budget makes clients give up: they stop dialing and are not counted as
// back.
func TestSimulateHonoursTheAttemptBudget(t *testing.T) {
	r := Simulate(SimConfig{Clients: 100, Outage: time.Hour, Backoff: transport.BackoffConfig{MaxAttempts: 3}, Jitter: true, Seed: 1})
	if r.Dials != 300 || r.LastSuccess != 0 {
		t.Errorf("%d dials, last success %v; want 300 dials and nobody back", r.Dials, r.LastSuccess)
	}
}

// The delays by attempt stay within the schedule's envelope.
func TestDelaysByAttempt(t *testing.T) {
	cfg := transport.BackoffConfig{Initial: 100 * time.Millisecond, Max: time.Second}
	d := delaysByAttempt(cfg, 6, 200, 1)
	for a, ds := range d {
		env := min(cfg.Initial<<a, cfg.Max)
		if len(ds) != 200 {
			t.Fatalf("attempt %d: %d samples", a+1, len(ds))
		}
		for _, x := range ds {
			if x < 0 || x > env {
				t.Errorf("attempt %d: delay %v outside [0, %v]", a+1, x, env)
			}
		}
	}
}

// The JSON report has exactly the keys of the issue, in its order, and an
// unmeasured figure is null rather than NaN (which JSON cannot hold).
func TestReportJSON(t *testing.T) {
	r := &Report{Conns: 10, SimClients: 5, AbortP99us: summarize([]float64{math.NaN()}), DialP50us: summarize([]float64{1, 2, 3})}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, b)
	}
	want := []string{"throughput_64_ratio", "throughput_16k_ratio", "rtt_p50_ratio", "rtt_p99_ratio", "dial_p50_us",
		"failover_p50_us", "failover_p99_us", "failover_ratio", "reconnect_p50_us", "abort_p99_us", "close_p50_us",
		"close_unresponsive_overshoot_ms", "fsm_transition_ratio", "conns", "mem_per_conn_kib", "mem_per_conn_ratio",
		"goroutines_per_conn", "storm_recover_s", "storm_peak_ratio", "sim_clients", "sim_peak_ratio", "sim_peak_ratio_nojitter"}
	if !slices.Equal(Keys(), want) {
		t.Errorf("Keys() = %v\nwant     %v", Keys(), want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("key %s missing", k)
		}
	}
	if len(m) != len(want) {
		t.Errorf("%d keys, want %d", len(m), len(want))
	}
	if string(m["conns"]) != "10" || !strings.Contains(string(m["abort_p99_us"]), `"median": null`) ||
		!strings.Contains(string(m["dial_p50_us"]), `"median": 2`) {
		t.Errorf("values: conns %s, abort %s, dial %s", m["conns"], m["abort_p99_us"], m["dial_p50_us"])
	}
}

// The table names every key, and says for each goal whether it was met.
func TestReportTable(t *testing.T) {
	r := &Report{MemPerConnRatio: summarize([]float64{1.2}), AbortP99us: summarize([]float64{150})}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf, &Context{Mode: "quick"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, k := range Keys() {
		if !strings.Contains(out, k) {
			t.Errorf("table lacks %s", k)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "mem_per_conn_ratio") && !strings.Contains(line, "<= 1.3: met"):
			t.Errorf("memory goal: %q", line)
		case strings.HasPrefix(line, "abort_p99_us") && !strings.Contains(line, "<= 100: NOT MET"):
			t.Errorf("abort goal: %q", line)
		}
	}
}

// The plots are SVG files.
func TestWritePlots(t *testing.T) {
	cfg := SimConfig{Clients: 200, Outage: 2 * time.Second, Jitter: true, Seed: 1}
	j := Simulate(cfg)
	cfg.Jitter = false
	n := Simulate(cfg)
	cx := &Context{StormMeasured: j.Buckets, StormSimJitter: j.Buckets, StormSimNoJitter: n.Buckets, StormBack: 2,
		Sim: j.Buckets, SimNoJitter: n.Buckets, SimOutageS: 2}
	dir := t.TempDir()
	if err := WritePlots(dir, cx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{StormSVG, BackoffSVG} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s is not SVG", name)
		}
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "10.0.0.1:80", "nonsense"} {
		if err := Serve(t.Context(), addr, strings.NewReader(""), &bytes.Buffer{}); !errors.Is(err, ErrNotLoopback) {
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
	go func() { served <- Serve(t.Context(), "127.0.0.1:0", stdinR, outW) }()
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
