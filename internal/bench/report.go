package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
)

// Report holds every figure of the suite under the keys of the JSON output.
// Each measured figure is the median of its rounds with min and max;
// Conns and SimClients are the sizes used, plain integers.
type Report struct {
	Throughput64Ratio            Figure `json:"throughput_64_ratio"`
	Throughput16kRatio           Figure `json:"throughput_16k_ratio"`
	RTTP50Ratio                  Figure `json:"rtt_p50_ratio"`
	RTTP99Ratio                  Figure `json:"rtt_p99_ratio"`
	DialP50us                    Figure `json:"dial_p50_us"`
	FailoverP50us                Figure `json:"failover_p50_us"`
	FailoverP99us                Figure `json:"failover_p99_us"`
	FailoverRatio                Figure `json:"failover_ratio"`
	ReconnectP50us               Figure `json:"reconnect_p50_us"`
	AbortP99us                   Figure `json:"abort_p99_us"`
	CloseP50us                   Figure `json:"close_p50_us"`
	CloseUnresponsiveOvershootMs Figure `json:"close_unresponsive_overshoot_ms"`
	FSMTransitionRatio           Figure `json:"fsm_transition_ratio"`
	Conns                        int    `json:"conns"`
	MemPerConnKiB                Figure `json:"mem_per_conn_kib"`
	MemPerConnRatio              Figure `json:"mem_per_conn_ratio"`
	GoroutinesPerConn            Figure `json:"goroutines_per_conn"`
	StormRecoverS                Figure `json:"storm_recover_s"`
	StormPeakRatio               Figure `json:"storm_peak_ratio"`
	SimClients                   int    `json:"sim_clients"`
	SimPeakRatio                 Figure `json:"sim_peak_ratio"`
	SimPeakRatioNoJitter         Figure `json:"sim_peak_ratio_nojitter"`
}

// entry is one key of a Report: a measured Figure, or a size n.
type entry struct {
	key string
	fig *Figure
	n   int
}

// entries lists the keys of r in the order of the issue.
func (r *Report) entries() []entry {
	return []entry{
		{"throughput_64_ratio", &r.Throughput64Ratio, 0}, {"throughput_16k_ratio", &r.Throughput16kRatio, 0},
		{"rtt_p50_ratio", &r.RTTP50Ratio, 0}, {"rtt_p99_ratio", &r.RTTP99Ratio, 0},
		{"dial_p50_us", &r.DialP50us, 0}, {"failover_p50_us", &r.FailoverP50us, 0},
		{"failover_p99_us", &r.FailoverP99us, 0}, {"failover_ratio", &r.FailoverRatio, 0},
		{"reconnect_p50_us", &r.ReconnectP50us, 0}, {"abort_p99_us", &r.AbortP99us, 0},
		{"close_p50_us", &r.CloseP50us, 0}, {"close_unresponsive_overshoot_ms", &r.CloseUnresponsiveOvershootMs, 0},
		{"fsm_transition_ratio", &r.FSMTransitionRatio, 0}, {"conns", nil, r.Conns},
		{"mem_per_conn_kib", &r.MemPerConnKiB, 0}, {"mem_per_conn_ratio", &r.MemPerConnRatio, 0},
		{"goroutines_per_conn", &r.GoroutinesPerConn, 0}, {"storm_recover_s", &r.StormRecoverS, 0},
		{"storm_peak_ratio", &r.StormPeakRatio, 0}, {"sim_clients", nil, r.SimClients},
		{"sim_peak_ratio", &r.SimPeakRatio, 0}, {"sim_peak_ratio_nojitter", &r.SimPeakRatioNoJitter, 0},
	}
}

// Keys returns the JSON keys of a Report, in the order of the issue.
func Keys() []string {
	var r Report
	var keys []string
	for _, e := range r.entries() {
		keys = append(keys, e.key)
	}
	return keys
}

// MarshalJSON writes NaN (a figure that could not be measured) as null.
func (f Figure) MarshalJSON() ([]byte, error) {
	val := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
		Median *float64 `json:"median"`
		Min    *float64 `json:"min"`
		Max    *float64 `json:"max"`
		Rounds int      `json:"rounds"`
	}{val(f.Median), val(f.Min), val(f.Max), f.Rounds})
}

// Context holds the absolute figures behind the ratios, shown in the table
// (not in the JSON), and what the storm and the plots need.
type Context struct {
	Mode                    string
	Machine                 string
	Pinning                 string
	Throughput64Msgs        [2]Figure // gorilla, wsfsm: messages/s
	Throughput16kMBs        [2]Figure // gorilla, wsfsm: MB/s
	RTTP50us, RTTP99us      [2]Figure // gorilla, wsfsm
	FSMTransitionNs         [2]Figure // looplab Event, generated Machine
	GorillaMemPerConnKiB    Figure
	GorillaAbortP99us       Figure    // raw gorilla Close until a blocked ReadMessage returned
	FailoverPhasesUs        [3]Figure // p50 of detect, loop and dial (see failoverRound)
	GorillaGoroutines       Figure
	StormClients            int
	StormOutage             string
	StormBackoff            string
	StormDeadlineS          float64 // MaxDelay + 2 s
	StormMeasured           []int   // dials per Bucket of the median round
	StormSimJitter          []int   // the same storm simulated
	StormSimNoJitter        []int
	StormBack, StormAllOpen float64 // seconds since the kill, median round
	Sim                     []int   // the 1,000,000-client simulation
	SimNoJitter             []int
	SimOutageS              float64
}

// WriteJSON writes r as one indented JSON object to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encoding the report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	return nil
}

// goal is one goal of the issue: a key, a bound and its direction.
type goal struct {
	text string
	met  func(r *Report, c *Context) bool
}

func (r *Report) goals() map[string]goal {
	le := func(f Figure, b float64) bool { return f.Median <= b }
	return map[string]goal{
		"throughput_64_ratio":             {">= 0.90", func(r *Report, _ *Context) bool { return r.Throughput64Ratio.Median >= 0.90 }},
		"throughput_16k_ratio":            {">= 0.90", func(r *Report, _ *Context) bool { return r.Throughput16kRatio.Median >= 0.90 }},
		"rtt_p50_ratio":                   {"<= 1.10", func(r *Report, _ *Context) bool { return le(r.RTTP50Ratio, 1.10) }},
		"rtt_p99_ratio":                   {"<= 1.10", func(r *Report, _ *Context) bool { return le(r.RTTP99Ratio, 1.10) }},
		"failover_ratio":                  {"<= 1.5", func(r *Report, _ *Context) bool { return le(r.FailoverRatio, 1.5) }},
		"abort_p99_us":                    {"<= 100", func(r *Report, _ *Context) bool { return le(r.AbortP99us, 100) }},
		"close_unresponsive_overshoot_ms": {"<= 10", func(r *Report, _ *Context) bool { return le(r.CloseUnresponsiveOvershootMs, 10) }},
		"mem_per_conn_ratio":              {"<= 1.3", func(r *Report, _ *Context) bool { return le(r.MemPerConnRatio, 1.3) }},
		"goroutines_per_conn":             {"<= 3", func(r *Report, _ *Context) bool { return le(r.GoroutinesPerConn, 3) }},
		"storm_recover_s": {"<= MaxDelay+2 s", func(r *Report, c *Context) bool {
			return r.StormRecoverS.Max <= c.StormDeadlineS // every round
		}},
		"storm_peak_ratio": {"<= 2", func(r *Report, _ *Context) bool { return le(r.StormPeakRatio, 2) }},
		"sim_peak_ratio":   {"<= 1.5", func(r *Report, _ *Context) bool { return le(r.SimPeakRatio, 1.5) }},
	}
}

// WriteTable prints the report as a table: every key with median, min,
// max, the reference figures and the goal.
func (r *Report) WriteTable(w io.Writer, c *Context) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "machine: %s\nmode: %s; %s\n", c.Machine, c.Mode, c.Pinning)
	fmt.Fprintln(tw, "key\tmedian\tmin\tmax\tcontext\tgoal\t")
	goals := r.goals()
	for _, e := range r.entries() {
		if e.fig == nil {
			fmt.Fprintf(tw, "%s\t%d\t\t\t%s\t\t\n", e.key, e.n, r.context(e.key, c))
			continue
		}
		g := ""
		if gl, ok := goals[e.key]; ok {
			verdict := "NOT MET"
			if gl.met(r, c) {
				verdict = "met"
			}
			g = gl.text + ": " + verdict
		}
		f := *e.fig
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", e.key, num(f.Median), num(f.Min), num(f.Max), r.context(e.key, c), g)
	}
	return tw.Flush()
}

// context is the table's context column for key k.
func (r *Report) context(k string, c *Context) string {
	switch k {
	case "throughput_64_ratio":
		return fmt.Sprintf("gorilla %s msg/s, wsfsm %s msg/s", num(c.Throughput64Msgs[0].Median), num(c.Throughput64Msgs[1].Median))
	case "throughput_16k_ratio":
		return fmt.Sprintf("gorilla %s MB/s, wsfsm %s MB/s", num(c.Throughput16kMBs[0].Median), num(c.Throughput16kMBs[1].Median))
	case "rtt_p50_ratio":
		return fmt.Sprintf("gorilla %s us, wsfsm %s us", num(c.RTTP50us[0].Median), num(c.RTTP50us[1].Median))
	case "rtt_p99_ratio":
		return fmt.Sprintf("gorilla %s us, wsfsm %s us", num(c.RTTP99us[0].Median), num(c.RTTP99us[1].Median))
	case "abort_p99_us":
		return fmt.Sprintf("gorilla Close to blocked read returning: %s us", num(c.GorillaAbortP99us.Median))
	case "failover_p50_us":
		f := c.FailoverPhasesUs
		return fmt.Sprintf("p50 phases: detect %s, loop %s, dial %s us", num(f[0].Median), num(f[1].Median), num(f[2].Median))
	case "failover_p99_us", "failover_ratio", "reconnect_p50_us":
		return fmt.Sprintf("gorilla dial + handshake p50: %s us", num(r.DialP50us.Median))
	case "fsm_transition_ratio":
		return fmt.Sprintf("looplab %s ns, Machine %s ns", num(c.FSMTransitionNs[0].Median), num(c.FSMTransitionNs[1].Median))
	case "mem_per_conn_kib", "mem_per_conn_ratio":
		return fmt.Sprintf("gorilla %s KiB/conn", num(c.GorillaMemPerConnKiB.Median))
	case "goroutines_per_conn":
		return fmt.Sprintf("gorilla %s", num(c.GorillaGoroutines.Median))
	case "storm_recover_s", "storm_peak_ratio":
		return fmt.Sprintf("%d clients, outage %s, %s", c.StormClients, c.StormOutage, c.StormBackoff)
	case "sim_peak_ratio", "sim_peak_ratio_nojitter":
		return fmt.Sprintf("outage %gs, default backoff", c.SimOutageS)
	}
	return ""
}

// num formats a figure with 3 significant digits (more for large values).
func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.Abs(x) >= 1000:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.1f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.3f", x)
}
