package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// goal is a bound issue 13 sets on one key: its text, whether the report
// meets it (ok false when it could not be checked), and what a miss means
// for a user.
type goal struct {
	text string
	met  func(r *Report, c *Context) (met, ok bool)
	miss string
}

func atMost(f *Figure, b float64) func(*Report, *Context) (bool, bool) {
	return func(*Report, *Context) (bool, bool) { return f.Median <= b, measured(*f) }
}

func atLeast(f *Figure, b float64) func(*Report, *Context) (bool, bool) {
	return func(*Report, *Context) (bool, bool) { return f.Median >= b, measured(*f) }
}

// measured reports whether f holds at least one round.
func measured(f Figure) bool { return f.Rounds > 0 && !math.IsNaN(f.Median) }

// med is f's median, or n/a.
func med(f Figure) string {
	if !measured(f) {
		return "n/a"
	}
	return num(f.Median)
}

// goals returns the goals by key.
func (r *Report) goals() map[string]goal {
	return map[string]goal{
		"throughput_64_ratio": {">= 0.95", atLeast(&r.Throughput64Ratio, 0.95),
			"wsfsm sends fewer than 95% of the 64 B messages per second gorilla sends"},
		"throughput_16k_ratio": {">= 0.95", atLeast(&r.Throughput16kRatio, 0.95),
			"wsfsm sends fewer than 95% of the 16 KiB messages per second gorilla sends"},
		"receive_64_ratio": {">= 0.95", atLeast(&r.Receive64Ratio, 0.95),
			"wsfsm's Receive returns fewer than 95% of the 64 B messages per second gorilla's ReadMessage does"},
		"receive_64_handoff_ratio": {">= 0.95", atLeast(&r.Receive64HandoffRatio, 0.95),
			"wsfsm's Receive returns fewer than 95% of the 64 B messages per second that gorilla with only the handoff the guarantees need (a reader goroutine, a channel, a select) returns"},
		"receive_16k_ratio": {">= 0.95", atLeast(&r.Receive16kRatio, 0.95),
			"wsfsm's Receive returns fewer than 95% of the 16 KiB messages per second gorilla's ReadMessage does"},
		"rtt_p50_ratio": {"<= 1.05", atMost(&r.RTTP50Ratio, 1.05),
			"a typical round trip through wsfsm takes more than 5% longer than through gorilla"},
		"rtt_p99_ratio": {"<= 1.10", atMost(&r.RTTP99Ratio, 1.10),
			"the slowest 1% of round trips through wsfsm take more than 10% longer than gorilla's"},
		"failover_vs_loop_ratio": {"<= 1.10", atMost(&r.FailoverVsLoopRatio, 1.10),
			"after the server drops the connection, wsfsm is Open again more than 10% later than a hand-written gorilla loop is connected"},
		"abort_p99_ratio": {"<= 1.10", atMost(&r.AbortP99Ratio, 1.10),
			"Abort frees a blocked Receive more than 10% later (p99) than closing a gorilla connection frees its ReadMessage"},
		"close_unresponsive_overshoot_ms": {"<= 10", atMost(&r.CloseUnresponsiveOvershootMs, 10),
			"Close against a peer that never answers overruns CloseTimeout by more than 10 ms"},
		"mem_per_conn_ratio": {"<= 1.3", atMost(&r.MemPerConnRatio, 1.3),
			"an idle Conn takes more than 1.3 times the memory of an idle gorilla connection with its reader goroutine"},
		"mem_per_conn_echo_pooled_ratio": {"<= 1.3", atMost(&r.MemPerConnEchoPooledRatio, 1.3),
			"after one echo, a Conn takes more than 1.3 times the memory of a gorilla connection with the same write-buffer pool and its reader goroutine"},
		"goroutines_per_conn": {"<= 1", atMost(&r.GoroutinesPerConn, 1),
			"an idle Conn keeps more than one goroutine"},
		"storm_recover_s": {"<= cap+2 s", func(r *Report, c *Context) (bool, bool) {
			return r.StormRecoverS.Max <= c.Storm.DeadlineS, measured(r.StormRecoverS) // every round
		}, "in some storm a client was Open again later than the backoff cap + 2 s after the server returned"},
	}
}

// fleetMiss is what a miss of the fleet goal means.
const fleetMiss = "wsfsm's default strategy loads a returning server more than the best published strategy (by over 2% on some figure), or beats none of them on anything"

// legend heads the table.
const legend = `How to read this: each figure is the median of its rounds, then [min, max] over the rounds.
A ratio divides wsfsm's figure by raw gorilla/websocket's (or by a hand-written gorilla
reconnect loop's), both measured in the same round against the same server process:
1.00 = the same cost. Throughput: higher is better; every other figure: lower is better.
goal: the bound issue 13 (or 21) sets. ok: met. MISSED: the median is on the wrong side of the
bound, so wsfsm costs more there than promised; the list at the end says what each miss
means for a user, and docs/BENCHMARKS.md what bounds it. n/a: not measured in this run.
`

// WriteTable prints the report for people: a legend, then each section
// with every key, its median, [min, max], the goal and a verdict beside it,
// what the figure is with its reference in the same run, and at the end
// what each missed goal means.
func (r *Report) WriteTable(w io.Writer, c *Context) error {
	var misses []string
	goals := r.goals()
	verdict := func(key string) (string, string) {
		g, ok := goals[key]
		if !ok {
			return "", ""
		}
		met, measured := g.met(r, c)
		switch {
		case !measured:
			return g.text, "n/a"
		case met:
			return g.text, "ok"
		}
		misses = append(misses, fmt.Sprintf("%s %s, goal %s: %s.", key, num(r.figure(key).Median), g.text, g.miss))
		return g.text, "MISSED"
	}
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "bench, %s mode: wsfsm beside raw gorilla/websocket in one run.\nmachine: %s\npinning: %s\n\n%s", c.Mode, c.Machine, c.Pinning, legend)

	section := func(title string, keys []string) {
		fmt.Fprintf(bw, "\n%s\n", title)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "key\tmedian\t[min, max]\tgoal\t\twhat it is (reference in the same run)")
		for _, k := range keys {
			if n, ok := r.size(k); ok {
				fmt.Fprintf(tw, "%s\t%d\t\t\t\t%s\n", k, n, r.what(k, c))
				continue
			}
			f := r.figure(k)
			g, v := verdict(k)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k, med(f), span(f), g, v, r.what(k, c))
		}
		tw.Flush()
	}
	section(fmt.Sprintf("== wsfsm beside gorilla: ratios (pinned; %d rounds, idle connections %d) ==", c.Rounds, c.ConnsRounds), []string{
		"throughput_64_ratio", "throughput_16k_ratio", "receive_64_ratio", "receive_16k_ratio", "receive_64_handoff_ratio", "rtt_p50_ratio", "rtt_p99_ratio",
		"failover_vs_loop_ratio", "abort_p99_ratio", "close_unresponsive_overshoot_ms",
		"fsm_transition_ratio", "mem_per_conn_ratio", "mem_per_conn_echo_ratio", "mem_per_conn_echo_pooled_ratio", "goroutines_per_conn",
	})
	section("== The same, absolute (this machine only: compare ratios, not these) ==", []string{
		"dial_p50_us", "failover_p50_us", "failover_p99_us", "failover_loop_p50_us", "reconnect_p50_us",
		"abort_p99_us", "abort_gorilla_p99_us", "close_p50_us", "conns", "mem_per_conn_kib", "mem_per_conn_echo_kib",
	})

	fmt.Fprintf(bw, "\n== Fleet, simulated: sim_clients = %d clients drop at once, the server is away %gs, then accepts every dial ==\n", r.SimClients, c.Sim.OutageS)
	fmt.Fprintf(bw, "Each client runs the real retry.Schedule on a virtual clock; base %s, cap %s for every strategy; %d seeds.\n", c.Sim.Base, c.Sim.Cap, c.Sim.Seeds)
	r.fleetTable(bw, "sim", r.Sim, &misses)
	fmt.Fprintf(bw, "%s: the server answers 503 while away, Retry-After = seconds until it is back + 0..%gs.\n", KeyRetryAfter, c.Sim.RetryAfterWindowS)

	fmt.Fprintf(bw, "\n== Fleet, real: storm_clients = %d Conns on 127.0.0.1, the server process killed (SIGKILL), back after %s ==\n", r.StormClients, c.Storm.Outage)
	fmt.Fprintf(bw, "Base %s, cap %s for every strategy; %d rounds. Rows: %s.\n", c.Storm.Base, c.Storm.Cap, c.StormRounds, c.Storm.Strategy)
	r.fleetTable(bw, "storm", r.Storm, &misses)
	if c.Storm.RetryAfterNote != "" {
		fmt.Fprintf(bw, "%s: %s\n", KeyRetryAfter, c.Storm.RetryAfterNote)
	}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	f := r.StormRecoverS
	g, v := verdict("storm_recover_s")
	fmt.Fprintf(tw, "storm_recover_s\t%s\t%s\t%s\t%s\t%s\n", med(f), span(f), g, v, r.what("storm_recover_s", c))
	tw.Flush()

	if s := c.Outages; s != nil {
		fmt.Fprintf(bw, "\n== Fleet over outage kinds and lengths: %d simulated clients each, seed %d, base %s, cap %s ==\n", s.Clients, s.Seed, simBase, simCap)
		fmt.Fprintf(bw, "Lengths held out: the strategies' parameters were chosen on others (%v), which interleave with these.\n", TrainingOutages)
		v := s.WriteTable(bw)
		fmt.Fprintf(bw, "JSON: outage_ROW_worst_regret, outage_ROW_dominates_default (outages where ROW is better than %s on all three).\n", s.Keys[s.DefaultIdx])
		if v.Dominated {
			misses = append(misses, "outage study: a rival is better than wsfsm's default on dials, peak and t99 at once after some outage: at that outage, every client and the server are better off with the rival.")
		}
		if !v.LowestRegret {
			misses = append(misses, "outage study: a rival's worst case over the outages is less bad than wsfsm's default's: the default is the further from the best strategy at some outage.")
		}
	}

	section("== Kept for history (superseded; no goal) ==", []string{
		"failover_ratio", "storm_peak_ratio", "sim_peak_ratio", "sim_peak_ratio_nojitter",
	})

	if len(misses) == 0 {
		fmt.Fprintln(bw, "\nEvery goal measured was met.")
	} else {
		fmt.Fprintln(bw, "\nGoals missed, and what each miss means:")
		for _, m := range misses {
			fmt.Fprintf(bw, "  - %s\n", m)
		}
	}
	return bw.err
}

// fleetTable prints rows side by side, with the fleet goal and why.
func (r *Report) fleetTable(w io.Writer, prefix string, rows []FleetRow, misses *[]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head, keys := "row\tstrategy", "\t"
	for _, f := range fleetFigures {
		head += "\t" + f.head
		keys += "\t" + f.suffix
	}
	fmt.Fprintf(tw, "%s\n%s\n", head, keys)
	for i := range rows {
		line := rows[i].Key + "\t" + rows[i].Name
		for _, f := range fleetFigures {
			line += "\t" + cell(*f.get(&rows[i]))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintf(w, "JSON: %s_ROW_COLUMN, e.g. %s_%s_%s. ±: half the spread over the rounds, %% of the median.\n",
		prefix, prefix, KeyWsfsm, fleetFigures[1].suffix)
	fmt.Fprintln(w, "dials/client while down: failed dials per client during the outage (load on whatever answers meanwhile).")
	fmt.Fprintf(w, "peak ÷ (N/cap): dials in the busiest %v after the return ÷ the dials of N clients spread evenly over one cap (1.00 = evenly spread).\n", PeakWindow)
	fmt.Fprintln(w, "99% / 100% Open: seconds from the server's return until 99% / all of the clients are Open again.")
	met, checked, why := fleetGoal(rows)
	v := "ok"
	switch {
	case !checked:
		v = "n/a"
	case !met:
		v = "MISSED"
		*misses = append(*misses, fmt.Sprintf("%s fleet goal: %s (%s).", prefix, fleetMiss, strings.Join(why, "; ")))
	}
	fmt.Fprintf(w, "goal: wsfsm default within %.0f%% of the best of full/equal/decorrelated jitter on every column, and better than each on at least one: %s\n", 100*FleetTolerance, v)
	if checked {
		for _, s := range why {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// cell formats a fleet figure: the median and, over several rounds, ±
// half the spread as a percentage of the median.
func cell(f Figure) string {
	if !measured(f) {
		return "n/a"
	}
	s := num(f.Median)
	if f.Rounds > 1 && f.Median != 0 {
		s += fmt.Sprintf(" ±%.1f%%", 100*(f.Max-f.Min)/2/math.Abs(f.Median))
	}
	return s
}

// span formats [min, max].
func span(f Figure) string {
	if !measured(f) {
		return ""
	}
	return "[" + num(f.Min) + ", " + num(f.Max) + "]"
}

// figure returns the Figure of key, or a NaN one.
func (r *Report) figure(key string) Figure {
	for _, e := range r.entries() {
		if e.key == key && e.fig != nil {
			return *e.fig
		}
	}
	return summarize(nil)
}

// size returns the integer of a size key.
func (r *Report) size(key string) (int, bool) {
	for _, e := range r.entries() {
		if e.key == key && e.fig == nil {
			return e.n, true
		}
	}
	return 0, false
}

// what says what key measures, with its reference in the same run.
func (r *Report) what(k string, c *Context) string {
	m := med
	// The ratios whose two figures Context keeps as a pair, gorilla's then
	// wsfsm's: the text has a %s for each.
	pairs := map[string]struct {
		text string
		f    [2]Figure
	}{
		"throughput_64_ratio":  {"one-way 64 B messages/s: gorilla %s, wsfsm %s", c.Throughput64Msgs},
		"throughput_16k_ratio": {"one-way 16 KiB messages, MB/s: gorilla %s, wsfsm %s", c.Throughput16kMBs},
		"receive_64_ratio":     {"64 B messages received/s (server sends flat out): gorilla ReadMessage %s, wsfsm Receive %s", c.Receive64Msgs},
		"receive_16k_ratio":    {"16 KiB messages received, MB/s: gorilla ReadMessage %s, wsfsm Receive %s", c.Receive16kMBs},
		"rtt_p50_ratio":        {"64 B echo round trip, p50: gorilla %s us, wsfsm %s us", c.RTTP50us},
		"rtt_p99_ratio":        {"64 B echo round trip, p99: gorilla %s us, wsfsm %s us", c.RTTP99us},
	}
	if p, ok := pairs[k]; ok {
		return fmt.Sprintf(p.text, m(p.f[0]), m(p.f[1]))
	}
	switch k {
	case "receive_64_handoff_ratio":
		return fmt.Sprintf("64 B messages received/s: gorilla ReadMessage on a reader goroutine, handed over a channel, a yield before each socket read, a select to wait %s, wsfsm Receive %s", m(c.Receive64HandoffMsgs), m(c.Receive64Msgs[1]))
	case "failover_vs_loop_ratio":
		return fmt.Sprintf("server drops TCP -> connected again, p50: gorilla loop %s us, wsfsm %s us", m(r.FailoverLoopP50us), m(r.FailoverP50us))
	case "abort_p99_ratio":
		return fmt.Sprintf("close -> blocked read returned, p99: gorilla Close %s us, wsfsm Abort %s us", m(r.AbortGorillaP99us), m(r.AbortP99us))
	case "close_unresponsive_overshoot_ms":
		return fmt.Sprintf("Close against a peer that never answers: time past CloseTimeout %s, worst of the round", c.UnresponsiveTimeout)
	case "fsm_transition_ratio":
		return fmt.Sprintf("one transition, generated Machine / raw looplab Event: %s ns / %s ns", m(c.FSMTransitionNs[1]), m(c.FSMTransitionNs[0]))
	case "mem_per_conn_ratio":
		return fmt.Sprintf("RSS per idle connection: gorilla with its reader %s KiB, wsfsm %s KiB", m(c.GorillaMemPerConnKiB), m(r.MemPerConnKiB))
	case "mem_per_conn_echo_ratio":
		return fmt.Sprintf("the same after one 64 B echo on each (gorilla's write buffer then resident): gorilla %s KiB, wsfsm %s KiB", m(c.GorillaMemPerConnEchoKiB), m(r.MemPerConnEchoKiB))
	case "mem_per_conn_echo_pooled_ratio":
		return fmt.Sprintf("the same against gorilla with wsfsm's write-buffer pool (a sync.Pool per connection): gorilla %s KiB, wsfsm %s KiB", m(c.GorillaPooledMemPerConnEchoKiB), m(r.MemPerConnEchoKiB))
	case "mem_per_conn_echo_kib":
		return fmt.Sprintf("RSS per idle Conn after one 64 B echo (gorilla %s KiB)", m(c.GorillaMemPerConnEchoKiB))
	case "goroutines_per_conn":
		return fmt.Sprintf("goroutines per idle Conn (gorilla with its reader: %s)", m(c.GorillaGoroutines))
	case "dial_p50_us":
		return "raw gorilla dial + handshake, p50"
	case "failover_p50_us":
		f := c.FailoverPhasesUs
		return fmt.Sprintf("wsfsm, server drop -> Open, p50; phases detect %s, loop %s, dial %s us", m(f[0]), m(f[1]), m(f[2]))
	case "failover_p99_us":
		return "wsfsm, server drop -> Open, p99"
	case "failover_loop_p50_us":
		f := c.LoopPhasesUs
		return fmt.Sprintf("gorilla reconnect loop, server drop -> dial returned, p50; phases detect %s, close+dial %s us", m(f[0]), m(f[1]))
	case "reconnect_p50_us":
		return "Conn.Reconnect() -> Open on a fresh connection, p50"
	case "abort_p99_us":
		return "wsfsm Abort -> blocked Receive returned, p99"
	case "abort_gorilla_p99_us":
		return "gorilla Close -> blocked ReadMessage returned, p99"
	case "close_p50_us":
		return "graceful Close against a peer that answers, p50"
	case "conns":
		return "idle connections per process for the memory figures"
	case "mem_per_conn_kib":
		return fmt.Sprintf("RSS per idle Conn (gorilla %s KiB)", m(c.GorillaMemPerConnKiB))
	case "storm_recover_s":
		return "storm, wsfsm default: the server's return -> the last client Open"
	case "failover_ratio":
		return "failover p50 / a bare gorilla dial: can never reach 1; see failover_vs_loop_ratio"
	case "storm_peak_ratio":
		return "storm, wsfsm default: busiest 100 ms / mean 100 ms from the return to the last Open (rewards a long tail; see peak / (N/cap))"
	case "sim_peak_ratio":
		return "simulation, wsfsm default: the same peak / mean"
	case "sim_peak_ratio_nojitter":
		return "simulation, no jitter: the same peak / mean"
	}
	return ""
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, nil
}
