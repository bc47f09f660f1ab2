package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fig is a Figure over one round.
func fig(x float64) Figure { return summarize([]float64{x}) }

// row is a FleetRow with one round of each figure.
func row(key string, dials, peak, t99, t100 float64) FleetRow {
	return FleetRow{Key: key, Name: key, DialsPerClient: fig(dials), PeakRatio: fig(peak), T99: fig(t99), T100: fig(t100)}
}

func TestFleetGoal(t *testing.T) {
	rivals := []FleetRow{row(KeyFull, 7.6, 1.64, 26.7, 29.96), row(KeyEqual, 7.0, 2.0, 26.8, 29.95), row(KeyDecorrelated, 10.2, 3.9, 28.7, 30)}
	// Equal jitter best on every figure: matching it beats it on none.
	dominant := []FleetRow{row(KeyFull, 7.6, 1.64, 26.7, 29.96), row(KeyEqual, 7.0, 1.6, 26.5, 29.9), row(KeyDecorrelated, 10.2, 3.9, 28.7, 30)}
	for _, tc := range []struct {
		name    string
		rivals  []FleetRow
		def     FleetRow
		met     bool
		because string
	}{
		{"better on three, tied on one", rivals, row(KeyWsfsm, 5.1, 1.61, 26.4, 29.96), true, "better than equal on dials"},
		{"within 2% everywhere, better on dials", rivals, row(KeyWsfsm, 6.9, 1.67, 27.2, 30.5), true, "better than full on dials"},
		{"3% over the best peak", rivals, row(KeyWsfsm, 5.1, 1.69, 26.4, 29.96), false, "peak ÷ (N/cap): 1.690 against 1.640 for full"},
		{"equal to a strategy best everywhere", dominant, row(KeyWsfsm, 7.0, 1.6, 26.5, 29.9), false, "better than equal on no figure"},
	} {
		rows := append(slices.Clone(tc.rivals), tc.def)
		met, checked, why := fleetGoal(rows)
		if met != tc.met || !checked || !strings.Contains(strings.Join(why, "; "), tc.because) {
			t.Errorf("%s: met %v checked %v, why %q; want met %v because %q", tc.name, met, checked, why, tc.met, tc.because)
		}
	}
	if _, checked, _ := fleetGoal(append(slices.Clone(rivals), unmeasuredRow(KeyWsfsm, "d"))); checked {
		t.Error("a goal over unmeasured figures was checked")
	}
	if _, checked, _ := fleetGoal(rivals); checked {
		t.Error("a goal without wsfsm's row was checked")
	}
}

// fullReport is a Report with every row, some figures measured.
func fullReport() (*Report, *Context) {
	r := &Report{Conns: 10, SimClients: 5, StormClients: 3,
		AbortP99us: summarize([]float64{math.NaN()}), DialP50us: summarize([]float64{1, 2, 3}),
		MemPerConnRatio: fig(1.2), AbortP99Ratio: fig(1.5), StormRecoverS: fig(3),
		Throughput64Ratio: fig(0.99)}
	r.Sim = []FleetRow{row(KeyNoJitter, 6, 30, 1.75, 1.75), row(KeyFull, 7.6, 1.64, 26.7, 29.96), row(KeyEqual, 7.0, 2.0, 26.8, 29.95),
		row(KeyDecorrelated, 10.2, 3.9, 28.7, 30), row(KeyWsfsm, 5.1, 1.61, 26.4, 29.96), row(KeyRetryAfter, 1, 1.4, 20.2, 20.25)}
	for _, k := range fleetRowKeys {
		r.Storm = append(r.Storm, unmeasuredRow(k, k))
	}
	cx := &Context{Mode: "quick", Storm: StormContext{DeadlineS: 4}}
	cx.Outages = RunStudy(StudyConfig{Clients: 300, Seed: 1, Cap: simCap, Kinds: OutageKinds, Outages: secs(4, 40),
		Strategies: StudyStrategies(simBase, simCap), DropAfter: StudyDropAfter}, nil)
	r.Outage = outageRows(cx.Outages, cx.Outages.Verdict())
	return r, cx
}

// The JSON report has every key of Keys, in its order, and an unmeasured
// figure is null rather than NaN (which JSON cannot hold).
func TestReportJSON(t *testing.T) {
	r, _ := fullReport()
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
	keys := Keys()
	for _, k := range []string{"failover_vs_loop_ratio", "abort_p99_ratio", "failover_ratio", "abort_p99_us",
		"sim_wsfsm_peak_ratio", "sim_full_outage_dials_per_client", "sim_wsfsm_retry_after_t99_s", "storm_equal_t100_s", "sim_peak_ratio_nojitter"} {
		if !slices.Contains(keys, k) {
			t.Errorf("Keys() lacks %s", k)
		}
	}
	if len(m) != len(keys) {
		t.Errorf("%d keys in the JSON, Keys() has %d", len(m), len(keys))
	}
	// In order: each key appears after the previous one.
	at := -1
	for _, k := range keys {
		i := bytes.Index(b, []byte(`"`+k+`":`))
		if i < 0 {
			t.Errorf("key %s missing", k)
			continue
		}
		if i < at {
			t.Errorf("key %s out of order", k)
		}
		at = i
	}
	if string(m["conns"]) != "10" || !strings.Contains(string(m["abort_p99_us"]), `"median": null`) ||
		!strings.Contains(string(m["dial_p50_us"]), `"median": 2`) || !strings.Contains(string(m["sim_wsfsm_peak_ratio"]), `"median": 1.61`) ||
		!strings.Contains(string(m["storm_wsfsm_peak_ratio"]), `"median": null`) {
		t.Errorf("values: conns %s, abort %s, dial %s, sim %s, storm %s", m["conns"], m["abort_p99_us"], m["dial_p50_us"],
			m["sim_wsfsm_peak_ratio"], m["storm_wsfsm_peak_ratio"])
	}
}

// The table reads without the docs: a legend, every plain key, every fleet
// row and column under the name its JSON key uses, a goal and a verdict
// word beside each goal, and what each miss means.
func TestReportTable(t *testing.T) {
	r, cx := fullReport()
	var buf bytes.Buffer
	if err := r.WriteTable(&buf, cx); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "How to read this") || strings.Contains(out, "NOT MET") {
		t.Errorf("no legend, or a bare NOT MET:\n%s", out)
	}
	fleetKeys := map[string]bool{}
	for _, e := range append(fleetEntries("sim", r.Sim), fleetEntries("storm", r.Storm)...) {
		fleetKeys[e.key] = true
	}
	for _, o := range r.Outage {
		fleetKeys["outage_"+o.Key+"_worst_regret"], fleetKeys["outage_"+o.Key+"_dominates_default"] = true, true
		if !regexp.MustCompile(`(?m)^` + o.Key + ` .*  \d+(\.\d+)?  `).MatchString(out) {
			t.Errorf("table lacks the outage study's verdict row %s", o.Key)
		}
	}
	for _, kind := range OutageKinds {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(kind.String()) + `: .*\n.*\n4s  .*\n40s  `).MatchString(out) {
			t.Errorf("table lacks the outage study's table for %s", kind)
		}
	}
	if !strings.Contains(out, "goal: wsfsm has the lowest worst-case regret: ") || !strings.Contains(out, "goal: no rival better than wsfsm on all three figures at any outage: ") {
		t.Errorf("the outage study's goals are not there:\n%s", out)
	}
	for _, k := range Keys() {
		if fleetKeys[k] {
			continue // checked by row and column below
		}
		if !regexp.MustCompile(`(?m)^`+k+` `).MatchString(out) && !strings.Contains(out, k+" = ") {
			t.Errorf("table lacks a line for %s", k)
		}
	}
	for _, k := range fleetRowKeys {
		if !regexp.MustCompile(`(?m)^` + k + ` `).MatchString(out) {
			t.Errorf("table lacks the fleet row %s", k)
		}
	}
	for _, f := range fleetFigures {
		if !strings.Contains(out, f.suffix) {
			t.Errorf("table lacks the fleet column %s", f.suffix)
		}
	}
	line := func(key string) string {
		m := regexp.MustCompile(`(?m)^` + key + ` .*$`).FindString(out)
		return strings.Join(strings.Fields(m), " ")
	}
	for key, want := range map[string]string{
		"mem_per_conn_ratio":  "<= 1.3 ok",
		"abort_p99_ratio":     "<= 1.10 MISSED",
		"throughput_64_ratio": ">= 0.95 ok",
		"rtt_p50_ratio":       "<= 1.05 n/a",
		"storm_recover_s":     "<= cap+2 s ok",
	} {
		if !strings.Contains(line(key), want) {
			t.Errorf("%s: %q, want %q in it", key, line(key), want)
		}
	}
	if !strings.Contains(out, "abort_p99_ratio 1.500, goal <= 1.10: Abort frees a blocked Receive more than 10% later") {
		t.Errorf("the miss is not explained:\n%s", out)
	}
	if !strings.Contains(out, "better than equal on dials/client while down 5.100 < 7.000") {
		t.Errorf("the fleet goal does not say why:\n%s", out)
	}
	if strings.Count(out, "at least one: ok") != 1 || strings.Count(out, "at least one: n/a") != 1 {
		t.Errorf("want the simulated fleet goal ok and the storm's n/a:\n%s", out)
	}
}

// The plots are SVG files.
func TestWritePlots(t *testing.T) {
	cx := &Context{}
	cx.Sim = SimContext{OutageS: 2, Base: "250ms", Cap: "2s", Seeds: 1}
	for _, s := range Strategies(250*time.Millisecond, 2*time.Second) {
		r := Simulate(SimConfig{Clients: 200, Outage: 2 * time.Second, Strategy: s, Cap: 2 * time.Second, Seed: 1})
		run := SimRun{Key: s.Key, Name: s.Name, Buckets: r.Buckets, Opens: r.Opens}
		cx.Sim.Runs = append(cx.Sim.Runs, run)
		cx.Storm.Runs = append(cx.Storm.Runs, StormRun{SimRun: run, BackS: 2})
		if s.Key == KeyWsfsm {
			cx.Storm.Clients, cx.Storm.Simulated, cx.Storm.Back = 200, r.Buckets, 2
		}
	}
	dir := t.TempDir()
	if err := WritePlots(dir, cx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{StormSVG, StrategiesSVG, BackoffSVG} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s is not SVG", name)
		}
	}
}

func TestOpenCurve(t *testing.T) {
	opens := make([]int, 250)
	opens[0], opens[149] = 1, 3
	got := openCurve(opens)
	want := []float64{0, 25, 100, 100} // at 0, 0.1, 0.2 and 0.25 s
	if len(got) != len(want) {
		t.Fatalf("curve %v", got)
	}
	for i, w := range want {
		if got[i].Y != w {
			t.Errorf("point %d: %v, want %v%%", i, got[i], w)
		}
	}
}
