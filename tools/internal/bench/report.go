package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Report holds every figure of the suite under the keys of the JSON output
// (see Keys; docs/BENCHMARKS.md documents each): each field is the key of
// the same name in snake case (Throughput64Ratio is throughput_64_ratio),
// Sim and Storm give the keys sim_ROW_COLUMN and storm_ROW_COLUMN. Each
// measured figure is the median of its rounds with min and max; Conns,
// StormClients and SimClients are the sizes used, plain integers.
type Report struct {
	Throughput64Ratio            Figure
	Throughput16kRatio           Figure
	Receive64Ratio               Figure
	Receive16kRatio              Figure
	Receive64HandoffRatio        Figure // Receive ÷ gorilla with the handoff the guarantees need
	RTTP50Ratio                  Figure
	RTTP99Ratio                  Figure
	FailoverVsLoopRatio          Figure
	AbortP99Ratio                Figure
	CloseUnresponsiveOvershootMs Figure
	FSMTransitionRatio           Figure
	MemPerConnRatio              Figure
	GoroutinesPerConn            Figure

	DialP50us         Figure
	FailoverP50us     Figure
	FailoverP99us     Figure
	FailoverLoopP50us Figure
	ReconnectP50us    Figure
	AbortP99us        Figure
	AbortGorillaP99us Figure
	CloseP50us        Figure
	Conns             int
	MemPerConnKiB     Figure
	// The same after one 64 B echo on every connection.
	MemPerConnEchoRatio Figure
	MemPerConnEchoKiB   Figure
	// MemPerConnEchoPooledRatio is wsfsm's after one echo ÷ gorilla's with
	// the same write-buffer pool (KindGorillaPooled).
	MemPerConnEchoPooledRatio Figure

	SimClients int
	// Sim holds the simulation's rows: Strategies, then KeyRetryAfter.
	Sim          []FleetRow
	StormClients int
	// Storm holds the storm's rows, as Sim; a row not measured has NaN
	// figures.
	Storm         []FleetRow
	StormRecoverS Figure
	// Outage holds the outage study's verdicts, one row per strategy of
	// StudyStrategies: keys outage_ROW_worst_regret and
	// outage_ROW_dominates_default.
	Outage []OutageRow

	FailoverRatio        Figure // history: failover ÷ a bare dial
	StormPeakRatio       Figure // history: peak ÷ mean over the recovery
	SimPeakRatio         Figure // history: peak ÷ mean, wsfsm's default
	SimPeakRatioNoJitter Figure // history: peak ÷ mean, no jitter
}

// entry is one key of a Report: a measured Figure, or a size n.
type entry struct {
	key string
	fig *Figure
	n   int
}

// entries lists the keys of r in the order of the table.
func (r *Report) entries() []entry {
	es := []entry{
		{"throughput_64_ratio", &r.Throughput64Ratio, 0}, {"throughput_16k_ratio", &r.Throughput16kRatio, 0},
		{"receive_64_ratio", &r.Receive64Ratio, 0}, {"receive_16k_ratio", &r.Receive16kRatio, 0},
		{"receive_64_handoff_ratio", &r.Receive64HandoffRatio, 0},
		{"rtt_p50_ratio", &r.RTTP50Ratio, 0}, {"rtt_p99_ratio", &r.RTTP99Ratio, 0},
		{"failover_vs_loop_ratio", &r.FailoverVsLoopRatio, 0}, {"abort_p99_ratio", &r.AbortP99Ratio, 0},
		{"close_unresponsive_overshoot_ms", &r.CloseUnresponsiveOvershootMs, 0},
		{"fsm_transition_ratio", &r.FSMTransitionRatio, 0},
		{"mem_per_conn_ratio", &r.MemPerConnRatio, 0}, {"goroutines_per_conn", &r.GoroutinesPerConn, 0},

		{"dial_p50_us", &r.DialP50us, 0}, {"failover_p50_us", &r.FailoverP50us, 0},
		{"failover_p99_us", &r.FailoverP99us, 0}, {"failover_loop_p50_us", &r.FailoverLoopP50us, 0},
		{"reconnect_p50_us", &r.ReconnectP50us, 0},
		{"abort_p99_us", &r.AbortP99us, 0}, {"abort_gorilla_p99_us", &r.AbortGorillaP99us, 0},
		{"close_p50_us", &r.CloseP50us, 0},
		{"conns", nil, r.Conns}, {"mem_per_conn_kib", &r.MemPerConnKiB, 0},
		{"mem_per_conn_echo_ratio", &r.MemPerConnEchoRatio, 0}, {"mem_per_conn_echo_pooled_ratio", &r.MemPerConnEchoPooledRatio, 0}, {"mem_per_conn_echo_kib", &r.MemPerConnEchoKiB, 0},

		{"sim_clients", nil, r.SimClients},
	}
	es = append(es, fleetEntries("sim", r.Sim)...)
	es = append(es, entry{"storm_clients", nil, r.StormClients})
	es = append(es, fleetEntries("storm", r.Storm)...)
	es = append(es, entry{"storm_recover_s", &r.StormRecoverS, 0})
	for i := range r.Outage {
		o := &r.Outage[i]
		es = append(es, entry{"outage_" + o.Key + "_worst_regret", &o.WorstRegret, 0},
			entry{"outage_" + o.Key + "_dominates_default", &o.DominatesDefault, 0})
	}
	return append(es,
		entry{"failover_ratio", &r.FailoverRatio, 0}, entry{"storm_peak_ratio", &r.StormPeakRatio, 0},
		entry{"sim_peak_ratio", &r.SimPeakRatio, 0}, entry{"sim_peak_ratio_nojitter", &r.SimPeakRatioNoJitter, 0},
	)
}

// fleetEntries are the keys PREFIX_ROW_FIGURE of rows.
func fleetEntries(prefix string, rows []FleetRow) []entry {
	var es []entry
	for i := range rows {
		for _, f := range fleetFigures {
			es = append(es, entry{prefix + "_" + rows[i].Key + "_" + f.suffix, f.get(&rows[i]), 0})
		}
	}
	return es
}

// fleetRowKeys are the row keys of the fleet figures, in their order.
var fleetRowKeys = []string{KeyNoJitter, KeyFull, KeyEqual, KeyDecorrelated, KeyWsfsm, KeyRetryAfter}

// OutageRow is the outage study's verdict on one strategy.
type OutageRow struct {
	Key string
	// WorstRegret is Study.Regret's ratio; DominatesDefault the number of
	// outages (kind and length) where the strategy is better than wsfsm's
	// default on all three figures (0 for the default itself).
	WorstRegret, DominatesDefault Figure
}

// outageRows turns a study's verdict into OutageRows.
func outageRows(s *Study, v Verdict) []OutageRow {
	var rows []OutageRow
	for i, k := range s.Keys {
		rows = append(rows, OutageRow{Key: k, WorstRegret: fig1(v.Regrets[i].Ratio), DominatesDefault: fig1(float64(len(v.DominatedAt[i])))})
	}
	return rows
}

// fig1 is a Figure of one round.
func fig1(x float64) Figure { return summarize([]float64{x}) }

// Keys returns the JSON keys of a complete Report, in the order of the
// table.
func Keys() []string {
	r := Report{Sim: make([]FleetRow, len(fleetRowKeys)), Storm: make([]FleetRow, len(fleetRowKeys))}
	for i, k := range fleetRowKeys {
		r.Sim[i].Key, r.Storm[i].Key = k, k
	}
	for _, st := range StudyStrategies(simBase, simCap) {
		r.Outage = append(r.Outage, OutageRow{Key: st.Key})
	}
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

// MarshalJSON writes r as one object, its keys in the order of Keys.
func (r *Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range r.entries() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		b.Write(k)
		b.WriteByte(':')
		var v []byte
		var err error
		if e.fig != nil {
			v, err = e.fig.MarshalJSON()
		} else {
			v, err = json.Marshal(e.n)
		}
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
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

// Context holds the absolute figures behind the ratios, shown in the table
// (not in the JSON), and what the plots need.
type Context struct {
	Mode                 string
	Machine              string
	Pinning              string
	Rounds, ConnsRounds  int       // rounds of the pinned figures; of idle connections
	StormRounds          int       // rounds of each storm row
	Throughput64Msgs     [2]Figure // gorilla, wsfsm: messages/s
	Throughput16kMBs     [2]Figure // gorilla, wsfsm: MB/s
	Receive64Msgs        [2]Figure // gorilla ReadMessage, wsfsm Receive: messages/s
	Receive16kMBs        [2]Figure // the same, MB/s
	Receive64HandoffMsgs Figure    // gorilla with a reader goroutine's handoff (handoffBaseline): messages/s
	RTTP50us, RTTP99us   [2]Figure // gorilla, wsfsm
	FSMTransitionNs      [2]Figure // looplab Event, generated Machine
	GorillaMemPerConnKiB Figure
	// GorillaMemPerConnEchoKiB is gorilla's after one 64 B echo on each.
	GorillaMemPerConnEchoKiB Figure
	// GorillaPooledMemPerConnEchoKiB is the same with wsfsm's write-buffer
	// pool.
	GorillaPooledMemPerConnEchoKiB Figure
	FailoverPhasesUs               [3]Figure // p50 of detect, loop and dial (see failoverRound)
	LoopPhasesUs                   [2]Figure // the gorilla loop's detect and dial, p50
	GorillaGoroutines              Figure
	UnresponsiveTimeout            string // CloseTimeout of the overshoot figure

	Storm StormContext
	Sim   SimContext
	// Outages is the outage study, nil if it did not run.
	Outages *Study
}

// StormContext describes the storms and holds what their plot needs.
type StormContext struct {
	Clients        int
	Outage         string
	Base, Cap      string  // the strategies' base and ceiling
	CapS           float64 // Cap in seconds
	DeadlineS      float64 // Cap + 2 s
	Strategy       string  // what the clients of the rows ran
	RetryAfterNote string  // how the server-led row was run
	// Runs holds, per row of Report.Storm, its median round: dials per
	// Bucket since the kill, Opens per millisecond since the return.
	Runs []StormRun
	// Simulated is the default row's median round simulated (same clients,
	// strategy, return); Back is that round's return, seconds since the kill.
	Simulated []int
	Back      float64
}

// StormRun is one measured storm kept for the plots.
type StormRun struct {
	SimRun
	BackS float64 // the server's return, seconds since the kill
}

// SimContext describes the simulation and holds what its plots need.
type SimContext struct {
	OutageS           float64
	Base, Cap         string
	Seeds             int
	RetryAfterWindowS float64
	// Runs holds, per row of Report.Sim, the first seed's dials per Bucket
	// and Opens per millisecond since the return.
	Runs []SimRun
}

// SimRun is one simulated outage kept for the plots.
type SimRun struct {
	Key, Name string
	Buckets   []int // dials per Bucket since the drop
	Opens     []int // Opens per millisecond since the server's return
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
