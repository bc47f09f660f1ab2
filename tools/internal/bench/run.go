package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/retry"
)

// Config configures a run of the suite.
type Config struct {
	// Quick runs the short suite (about two minutes on 2 CPUs) instead of the
	// full one (about 22 minutes: 9 rounds, 10,000 clients, 30 s outages).
	Quick bool
	// Self is the command that runs this program's bench command, used to
	// start server and conns child processes with -serve-addr and
	// -conns-child. Nil means os.Executable().
	Self []string
	// Progress receives a line per phase. Nil: none.
	Progress io.Writer
}

// params are the sizes of one mode.
type params struct {
	rounds, connsRounds, stormRounds    int
	thrDur                              time.Duration
	rttN, dialN, failN, reconnN, abortN int
	closeN, unrespN                     int
	unrespTimeout                       time.Duration
	fsmCycles                           int
	conns                               int
	storm                               stormConfig
	simClients, simSeeds                int
	simOutage, simRetryAfterWindow      time.Duration
	studyClients                        int
	studyOutages                        []time.Duration
}

// The strategies' base and cap in the simulation and the full storm: the
// library's defaults.
const (
	simBase = retry.DefaultInitial
	simCap  = retry.DefaultMax
)

// quickScale divides the full storm's outage, base and cap in -quick mode
// (2 s, 16.7 ms, 2 s): a storm of the same shape, 15 times shorter. The
// Retry-After window is in whole seconds: 2 s in -quick, 20 s in full.
const quickScale = 15

func paramsFor(quick bool) params {
	if quick {
		return params{
			rounds: 3, connsRounds: 3, stormRounds: 3, thrDur: 300 * time.Millisecond,
			rttN: 2000, dialN: 300, failN: 300, reconnN: 300, abortN: 200, closeN: 300,
			unrespN: 5, unrespTimeout: 100 * time.Millisecond, fsmCycles: 100_000, conns: 1000,
			// The full storm's times divided by quickScale: the same shape.
			storm: stormConfig{clients: 1000, outage: 30 * time.Second / quickScale, cap: simCap / quickScale, retryAfterWindow: 2 * time.Second,
				opts: wsfsm.Options{BackoffInitial: simBase / quickScale, BackoffMax: simCap / quickScale}},
			simClients: 1_000_000, simSeeds: 3, simOutage: 30 * time.Second, simRetryAfterWindow: 20 * time.Second,
			studyClients: 10_000, studyOutages: QuickOutages,
		}
	}
	return params{
		rounds: 9, connsRounds: 5, stormRounds: 3, thrDur: time.Second,
		rttN: 10_000, dialN: 2000, failN: 2000, reconnN: 2000, abortN: 1000, closeN: 2000,
		unrespN: 20, unrespTimeout: 100 * time.Millisecond, fsmCycles: 500_000, conns: 10_000,
		storm: stormConfig{clients: 10_000, outage: 30 * time.Second, cap: simCap, retryAfterWindow: 20 * time.Second,
			opts: wsfsm.Options{BackoffInitial: simBase, BackoffMax: simCap}},
		simClients: 1_000_000, simSeeds: 9, simOutage: 30 * time.Second, simRetryAfterWindow: 20 * time.Second,
		studyClients: 50_000, studyOutages: HeldOutOutages,
	}
}

// Run runs the suite and returns the report and its context.
func Run(ctx context.Context, cfg Config) (*Report, *Context, error) {
	p := paramsFor(cfg.Quick)
	self := cfg.Self
	if self == nil {
		var err error
		if self, err = selfCommand(); err != nil {
			return nil, nil, err
		}
	}
	if err := raiseNoFile(); err != nil {
		return nil, nil, err
	}
	if need := uint64(p.conns + 1000); noFileLimit() < need {
		return nil, nil, fmt.Errorf("bench: the open-files limit is %d, %d needed", noFileLimit(), need)
	}
	progress := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: "+format+"\n", a...)
		}
	}
	pin := newPinner()
	rep := &Report{Conns: p.conns, SimClients: p.simClients, StormClients: p.storm.clients}
	cx := &Context{Mode: map[bool]string{true: "quick", false: "full"}[cfg.Quick], Pinning: pin.note, Machine: machine(),
		Rounds: p.rounds, ConnsRounds: p.connsRounds, StormRounds: p.stormRounds, UnresponsiveTimeout: p.unrespTimeout.String()}
	start := time.Now()

	progress("latency and throughput, %d rounds (%s)", p.rounds, pin.note)
	if err := runPinned(ctx, self, pin, p, rep, cx); err != nil {
		return nil, nil, err
	}
	progress("idle connections: %d per process, %d rounds, fresh and after one echo (%v so far)", p.conns, p.connsRounds, time.Since(start).Round(time.Second))
	if err := runConns(ctx, self, p, rep, cx); err != nil {
		return nil, nil, err
	}
	progress("reconnect storms: %d clients, outage %v, cap %v, %d strategies and the server-led row, %d rounds each (%v so far)", p.storm.clients, p.storm.outage, p.storm.cap, len(fleetRowKeys)-1, p.stormRounds, time.Since(start).Round(time.Second))
	if err := runStorms(ctx, self, p, cx, rep, progress); err != nil {
		return nil, nil, err
	}
	progress("simulation: %d virtual clients, outage %v, %d strategies and the server-led row, %d seeds each (%v so far)", p.simClients, p.simOutage, len(fleetRowKeys)-1, p.simSeeds, time.Since(start).Round(time.Second))
	runSims(p, rep, cx)
	progress("outage study: %d virtual clients, %d strategies, %d outage kinds × %d lengths (%v so far)", p.studyClients, len(StudyStrategies(simBase, simCap)), len(OutageKinds), len(p.studyOutages), time.Since(start).Round(time.Second))
	runStudy(p, rep, cx)
	progress("done in %v", time.Since(start).Round(time.Second))
	return rep, cx, nil
}

// runPinned measures the latency pairs, throughput and the machine, with the
// client and the server process pinned to different CPUs.
func runPinned(ctx context.Context, self []string, pin *pinner, p params, rep *Report, cx *Context) (err error) {
	srv, err := startServer(ctx, self, "127.0.0.1:0", pin, pin.serverCPU)
	if err != nil {
		return err
	}
	defer srv.stop()
	if err := pin.pinSelf(); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pin.unpinSelf()) }()

	var thr64, thr16, g64, c64, g16, c16 []float64
	var rcv64, rcv16, rg64, rc64, rg16, rc16, rcvH, rh64 []float64
	var rtt50, rtt99, g50, c50, g99, c99 []float64
	var dial, fail50, fail99, failRatio, loop50, loopRatio, reconn, abort, gAbort, abortRatio, closeP50, overshoot []float64
	var failDetect, failLoop, failDial, loopDetect, loopDial []float64
	var fsmRatio, fsmM, fsmL []float64
	for round := range p.rounds {
		t, err := measureThroughput(ctx, srv.url("/sink"), 64, p.thrDur, round)
		if err != nil {
			return err
		}
		thr64, g64, c64 = append(thr64, t.conn/t.gorilla), append(g64, t.gorilla), append(c64, t.conn)
		if t, err = measureThroughput(ctx, srv.url("/sink"), 16<<10, p.thrDur, round); err != nil {
			return err
		}
		mb := float64(16<<10) / 1e6
		thr16, g16, c16 = append(thr16, t.conn/t.gorilla), append(g16, t.gorilla*mb), append(c16, t.conn*mb)
		if t, err = measureReceive(ctx, srv.url(SourcePath), 64, p.thrDur, round, true); err != nil {
			return err
		}
		rcv64, rg64, rc64 = append(rcv64, t.conn/t.gorilla), append(rg64, t.gorilla), append(rc64, t.conn)
		rcvH, rh64 = append(rcvH, t.conn/t.handoff), append(rh64, t.handoff)
		if t, err = measureReceive(ctx, srv.url(SourcePath), 16<<10, p.thrDur, round, false); err != nil {
			return err
		}
		rcv16, rg16, rc16 = append(rcv16, t.conn/t.gorilla), append(rg16, t.gorilla*mb), append(rc16, t.conn*mb)

		rt, err := measureRTT(ctx, srv.url("/echo"), p.rttN, round)
		if err != nil {
			return err
		}
		rtt50 = append(rtt50, float64(rt.connP50)/float64(rt.gorillaP50))
		rtt99 = append(rtt99, float64(rt.connP99)/float64(rt.gorillaP99))
		g50, c50 = append(g50, us(rt.gorillaP50)), append(c50, us(rt.connP50))
		g99, c99 = append(g99, us(rt.gorillaP99)), append(c99, us(rt.connP99))

		d, err := measureDial(ctx, srv.url("/echo"), p.dialN)
		if err != nil {
			return err
		}
		dial = append(dial, us(d))
		fo, err := measureFailover(ctx, srv.url(DropPath), p.failN, round)
		if err != nil {
			return err
		}
		fail50, fail99, failRatio = append(fail50, us(fo.p50)), append(fail99, us(fo.p99)), append(failRatio, float64(fo.p50)/float64(d))
		failDetect, failLoop, failDial = append(failDetect, us(fo.detect)), append(failLoop, us(fo.loop)), append(failDial, us(fo.dial))
		loop50, loopRatio = append(loop50, us(fo.loopP50)), append(loopRatio, float64(fo.p50)/float64(fo.loopP50))
		loopDetect, loopDial = append(loopDetect, us(fo.loopDetect)), append(loopDial, us(fo.loopDial))
		rc, err := measureReconnect(ctx, srv.url("/echo"), p.reconnN)
		if err != nil {
			return err
		}
		reconn = append(reconn, us(rc))
		ab, gab, err := measureAbort(ctx, srv.url("/echo"), p.abortN, round)
		if err != nil {
			return err
		}
		abort, gAbort, abortRatio = append(abort, us(ab)), append(gAbort, us(gab)), append(abortRatio, float64(ab)/float64(gab))
		cl, err := measureClose(ctx, srv.url("/echo"), p.closeN)
		if err != nil {
			return err
		}
		closeP50 = append(closeP50, us(cl))
		ov, err := measureUnresponsiveClose(ctx, srv.url("/ignore-close"), p.unrespN, p.unrespTimeout)
		if err != nil {
			return err
		}
		overshoot = append(overshoot, float64(ov)/float64(time.Millisecond))
		m, l, err := measureTransition(p.fsmCycles)
		if err != nil {
			return err
		}
		fsmRatio, fsmM, fsmL = append(fsmRatio, float64(m)/float64(l)), append(fsmM, float64(m)), append(fsmL, float64(l))
	}
	rep.Throughput64Ratio, rep.Throughput16kRatio = summarize(thr64), summarize(thr16)
	cx.Throughput64Msgs = [2]Figure{summarize(g64), summarize(c64)}
	cx.Throughput16kMBs = [2]Figure{summarize(g16), summarize(c16)}
	rep.Receive64Ratio, rep.Receive16kRatio = summarize(rcv64), summarize(rcv16)
	cx.Receive64Msgs = [2]Figure{summarize(rg64), summarize(rc64)}
	cx.Receive16kMBs = [2]Figure{summarize(rg16), summarize(rc16)}
	rep.Receive64HandoffRatio, cx.Receive64HandoffMsgs = summarize(rcvH), summarize(rh64)
	rep.RTTP50Ratio, rep.RTTP99Ratio = summarize(rtt50), summarize(rtt99)
	cx.RTTP50us, cx.RTTP99us = [2]Figure{summarize(g50), summarize(c50)}, [2]Figure{summarize(g99), summarize(c99)}
	rep.DialP50us = summarize(dial)
	rep.FailoverP50us, rep.FailoverP99us, rep.FailoverRatio = summarize(fail50), summarize(fail99), summarize(failRatio)
	rep.FailoverLoopP50us, rep.FailoverVsLoopRatio = summarize(loop50), summarize(loopRatio)
	cx.FailoverPhasesUs = [3]Figure{summarize(failDetect), summarize(failLoop), summarize(failDial)}
	cx.LoopPhasesUs = [2]Figure{summarize(loopDetect), summarize(loopDial)}
	rep.ReconnectP50us, rep.AbortP99us = summarize(reconn), summarize(abort)
	rep.AbortGorillaP99us, rep.AbortP99Ratio = summarize(gAbort), summarize(abortRatio)
	rep.CloseP50us, rep.CloseUnresponsiveOvershootMs = summarize(closeP50), summarize(overshoot)
	rep.FSMTransitionRatio = summarize(fsmRatio)
	cx.FSMTransitionNs = [2]Figure{summarize(fsmL), summarize(fsmM)}
	return nil
}

// runConns measures idle connections, each set in a child process of its
// own so that one set's memory does not linger in the other's figures:
// fresh (nothing sent since the upgrade), then after one 64 B echo on every
// connection (gorilla's write buffer, allocated at the dial, is then
// touched, and so resident), the latter also against gorilla with wsfsm's
// write-buffer pool.
func runConns(ctx context.Context, self []string, p params, rep *Report, cx *Context) error {
	srv, err := startServer(ctx, self, "127.0.0.1:0", nil, -1)
	if err != nil {
		return err
	}
	defer srv.stop()
	var kib, ratio, gor, gkib, ggor, skib, sratio, sgkib, pratio, pgkib []float64
	for range p.connsRounds {
		for _, echo := range []bool{false, true} {
			g, err := runConnsChild(ctx, self, KindGorilla, p.conns, srv.url("/echo"), echo)
			if err != nil {
				return err
			}
			c, err := runConnsChild(ctx, self, KindConn, p.conns, srv.url("/echo"), echo)
			if err != nil {
				return err
			}
			if echo {
				skib, sgkib, sratio = append(skib, c.KiBPerConn), append(sgkib, g.KiBPerConn), append(sratio, c.KiBPerConn/g.KiBPerConn)
				gp, err := runConnsChild(ctx, self, KindGorillaPooled, p.conns, srv.url("/echo"), echo)
				if err != nil {
					return err
				}
				pgkib, pratio = append(pgkib, gp.KiBPerConn), append(pratio, c.KiBPerConn/gp.KiBPerConn)
				continue
			}
			kib, gor = append(kib, c.KiBPerConn), append(gor, c.GoroutinesPerConn)
			gkib, ggor = append(gkib, g.KiBPerConn), append(ggor, g.GoroutinesPerConn)
			ratio = append(ratio, c.KiBPerConn/g.KiBPerConn)
		}
	}
	rep.MemPerConnKiB, rep.MemPerConnRatio, rep.GoroutinesPerConn = summarize(kib), summarize(ratio), summarize(gor)
	rep.MemPerConnEchoKiB, rep.MemPerConnEchoRatio = summarize(skib), summarize(sratio)
	rep.MemPerConnEchoPooledRatio, cx.GorillaPooledMemPerConnEchoKiB = summarize(pratio), summarize(pgkib)
	cx.GorillaMemPerConnKiB, cx.GorillaGoroutines, cx.GorillaMemPerConnEchoKiB = summarize(gkib), summarize(ggor), summarize(sgkib)
	return nil
}

// fleetRow is one row of the fleet figures: a strategy in every client (in
// the storm through Options.Backoff), against a server that refuses dials
// while away (window 0) or answers 503 with a Retry-After spread over window.
type fleetRow struct {
	st     Strategy
	window time.Duration
}

// fleetRows are the rows of the fleet figures (the storm's and the
// simulation's), in the order of fleetRowKeys: each strategy with base and
// cap, then wsfsm's default against a server-led recovery over window.
func fleetRows(base, cap, window time.Duration) []fleetRow {
	var rows []fleetRow
	for _, st := range Strategies(base, cap) {
		rows = append(rows, fleetRow{st, 0})
	}
	led := DefaultStrategy(base, cap)
	led.Key, led.Name = KeyRetryAfter, "wsfsm default, server-led"
	return append(rows, fleetRow{led, window})
}

// runStorms runs p.stormRounds rounds of the reconnect storm for every row
// of fleetRows, the rows of a round one after another (in an order that
// rotates with the round, so that a drift of the machine does not always
// fall on the same row), round r seeding every client's source with r+1,
// and simulates the default row's median round for the plot.
func runStorms(ctx context.Context, self []string, p params, cx *Context, rep *Report, progress func(string, ...any)) error {
	rows := fleetRows(p.storm.opts.BackoffInitial, p.storm.cap, p.storm.retryAfterWindow)
	results := make([][]stormRound, len(rows))
	for round := range p.stormRounds {
		for k := range rows {
			i := (k + round) % len(rows)
			cfg := p.storm
			cfg.strategy, cfg.seed, cfg.retryAfterWindow = rows[i].st, uint64(round+1), rows[i].window
			t0 := time.Now()
			r, err := runStorm(ctx, self, cfg)
			if err != nil {
				return fmt.Errorf("%w (storm %s, round %d)", err, rows[i].st.Key, round+1)
			}
			results[i] = append(results[i], r)
			progress("storm %d/%d: %-17s %s (%v)", round+1, p.stormRounds, rows[i].st.Key, r.fleet, time.Since(t0).Round(time.Second))
		}
	}
	s := &cx.Storm
	s.Clients, s.Outage = p.storm.clients, p.storm.outage.String()
	s.Base, s.Cap, s.CapS = p.storm.opts.BackoffInitial.String(), p.storm.cap.String(), p.storm.cap.Seconds()
	s.DeadlineS = (p.storm.cap + 2*time.Second).Seconds()
	s.Strategy = "each row's strategy, plugged into every client through Options.Backoff (one BackOff per Conn, its source seeded by the round and the client)"
	s.RetryAfterNote = fmt.Sprintf("wsfsm's default against a server process that answers 503 from the kill until the outage ends, Retry-After = seconds until then + 0..%v", p.storm.retryAfterWindow)
	rep.Storm, s.Runs = nil, nil
	for i, rw := range rows {
		var fleets []Fleet
		var rec, peak []float64
		for _, r := range results[i] {
			fleets = append(fleets, r.fleet)
			rec, peak = append(rec, r.recover.Seconds()), append(peak, r.peakOverMean)
		}
		rep.Storm = append(rep.Storm, summarizeFleet(rw.st.Key, rw.st.Name, fleets))
		med := medianRound(results[i])
		s.Runs = append(s.Runs, StormRun{SimRun: SimRun{Key: rw.st.Key, Name: rw.st.Name, Buckets: med.buckets, Opens: med.opens}, BackS: med.back.Seconds()})
		if rw.st.Key != KeyWsfsm {
			continue
		}
		rep.StormRecoverS, rep.StormPeakRatio = summarize(rec), summarize(peak)
		sim := SimConfig{Clients: p.storm.clients, Outage: med.back, Cap: p.storm.cap, Seed: 7, Strategy: rw.st}
		s.Simulated, s.Back = Simulate(sim).Buckets, med.back.Seconds()
	}
	return nil
}

// medianRound is the round whose recovery (return to the last Open) is the
// median of rounds.
func medianRound(rounds []stormRound) stormRound {
	rs := slices.Clone(rounds)
	slices.SortFunc(rs, func(a, b stormRound) int { return cmp.Compare(a.recover, b.recover) })
	return rs[len(rs)/2]
}

// runSims runs the large simulation for every strategy and the server-led
// row, over p.simSeeds seeds (1, 2, ...) each.
func runSims(p params, rep *Report, cx *Context) {
	rows := fleetRows(simBase, simCap, p.simRetryAfterWindow)
	cx.Sim = SimContext{OutageS: p.simOutage.Seconds(), Base: simBase.String(), Cap: simCap.String(),
		Seeds: p.simSeeds, RetryAfterWindowS: p.simRetryAfterWindow.Seconds()}
	rep.Sim = nil
	for _, rw := range rows {
		var fleets []Fleet
		var pom []float64
		for seed := range p.simSeeds {
			r := Simulate(SimConfig{Clients: p.simClients, Outage: p.simOutage, Strategy: rw.st, Cap: simCap,
				RetryAfterWindow: rw.window, Seed: uint64(seed + 1)})
			fleets, pom = append(fleets, r.Fleet), append(pom, r.PeakOverMean)
			if seed == 0 {
				cx.Sim.Runs = append(cx.Sim.Runs, SimRun{Key: rw.st.Key, Name: rw.st.Name, Buckets: r.Buckets, Opens: r.Opens})
			}
		}
		rep.Sim = append(rep.Sim, summarizeFleet(rw.st.Key, rw.st.Name, fleets))
		switch rw.st.Key {
		case KeyWsfsm:
			rep.SimPeakRatio = summarize(pom)
		case KeyNoJitter:
			rep.SimPeakRatioNoJitter = summarize(pom)
		}
	}
}

// runStudy runs the outage study over p.studyOutages, seed 1.
func runStudy(p params, rep *Report, cx *Context) {
	cx.Outages = RunStudy(StudyConfig{Clients: p.studyClients, Seed: 1, Cap: simCap, Kinds: OutageKinds, Outages: p.studyOutages,
		Strategies: StudyStrategies(simBase, simCap), DropAfter: StudyDropAfter}, nil)
	rep.Outage = outageRows(cx.Outages, cx.Outages.Verdict())
}
