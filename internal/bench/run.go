package bench

import (
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
	// Quick runs the short suite (a minute or two on 2 CPUs) instead of the
	// full one (over ten minutes: 9 rounds, 10,000 clients, 30 s outages).
	Quick bool
	// Self is the command that runs this program's bench command, used to
	// start server and conns child processes with -serve-addr and
	// -conns-child. Nil means os.Executable() followed by "bench".
	Self []string
	// Progress receives a line per phase. Nil: none.
	Progress io.Writer
}

// params are the sizes of one mode.
type params struct {
	rounds, heavyRounds                 int
	thrDur                              time.Duration
	rttN, dialN, failN, reconnN, abortN int
	closeN, unrespN                     int
	unrespTimeout                       time.Duration
	fsmCycles                           int
	conns                               int
	storm                               stormConfig
	simClients, simSeeds                int
	simOutage, simRetryAfterWindow      time.Duration
}

// The strategies' base and cap in the simulation: the library's defaults.
const (
	simBase = retry.DefaultInitial
	simCap  = retry.DefaultMax
)

func paramsFor(quick bool) params {
	if quick {
		return params{
			rounds: 3, heavyRounds: 3, thrDur: 300 * time.Millisecond,
			rttN: 2000, dialN: 300, failN: 300, reconnN: 300, abortN: 200, closeN: 300,
			unrespN: 5, unrespTimeout: 100 * time.Millisecond, fsmCycles: 100_000, conns: 1000,
			storm: stormConfig{clients: 1000, outage: 2 * time.Second, cap: 2 * time.Second, retryAfterWindow: 2 * time.Second,
				opts: wsfsm.Options{BackoffInitial: 250 * time.Millisecond, BackoffMax: 2 * time.Second}},
			simClients: 1_000_000, simSeeds: 3, simOutage: 30 * time.Second, simRetryAfterWindow: 20 * time.Second,
		}
	}
	return params{
		rounds: 9, heavyRounds: 3, thrDur: time.Second,
		rttN: 10_000, dialN: 2000, failN: 2000, reconnN: 2000, abortN: 1000, closeN: 2000,
		unrespN: 20, unrespTimeout: 100 * time.Millisecond, fsmCycles: 500_000, conns: 10_000,
		storm: stormConfig{clients: 10_000, outage: 30 * time.Second, cap: 30 * time.Second, retryAfterWindow: 20 * time.Second,
			opts: wsfsm.Options{BackoffInitial: 250 * time.Millisecond, BackoffMax: 30 * time.Second}},
		simClients: 1_000_000, simSeeds: 9, simOutage: 30 * time.Second, simRetryAfterWindow: 20 * time.Second,
	}
}

// Run runs the suite and returns the report and its context.
func Run(ctx context.Context, cfg Config) (*Report, *Context, error) {
	p := paramsFor(cfg.Quick)
	self := cfg.Self
	if self == nil {
		var err error
		if self, err = selfCommand("bench"); err != nil {
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
		Rounds: p.rounds, HeavyRounds: p.heavyRounds, UnresponsiveTimeout: p.unrespTimeout.String()}
	start := time.Now()

	progress("latency and throughput, %d rounds (%s)", p.rounds, pin.note)
	if err := runPinned(ctx, self, pin, p, rep, cx); err != nil {
		return nil, nil, err
	}
	progress("idle connections: %d per process, %d rounds (%v so far)", p.conns, p.heavyRounds, time.Since(start).Round(time.Second))
	if err := runConns(ctx, self, p, rep, cx); err != nil {
		return nil, nil, err
	}
	progress("reconnect storms: %d clients, outage %v, %d rounds each, plain and server-led (%v so far)", p.storm.clients, p.storm.outage, p.heavyRounds, time.Since(start).Round(time.Second))
	if err := runStorms(ctx, self, p, cx, rep); err != nil {
		return nil, nil, err
	}
	progress("simulation: %d virtual clients, outage %v, %d strategies and the server-led row, %d seeds each (%v so far)", p.simClients, p.simOutage, len(fleetRowKeys)-1, p.simSeeds, time.Since(start).Round(time.Second))
	runSims(p, rep, cx)
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
// own so that one set's memory does not linger in the other's figures.
func runConns(ctx context.Context, self []string, p params, rep *Report, cx *Context) error {
	srv, err := startServer(ctx, self, "127.0.0.1:0", nil, -1)
	if err != nil {
		return err
	}
	defer srv.stop()
	var kib, ratio, gor, gkib, ggor []float64
	for range p.heavyRounds {
		g, err := runConnsChild(ctx, self, KindGorilla, p.conns, srv.url("/echo"))
		if err != nil {
			return err
		}
		c, err := runConnsChild(ctx, self, KindConn, p.conns, srv.url("/echo"))
		if err != nil {
			return err
		}
		kib, gor = append(kib, c.KiBPerConn), append(gor, c.GoroutinesPerConn)
		gkib, ggor = append(gkib, g.KiBPerConn), append(ggor, g.GoroutinesPerConn)
		ratio = append(ratio, c.KiBPerConn/g.KiBPerConn)
	}
	rep.MemPerConnKiB, rep.MemPerConnRatio, rep.GoroutinesPerConn = summarize(kib), summarize(ratio), summarize(gor)
	cx.GorillaMemPerConnKiB, cx.GorillaGoroutines = summarize(gkib), summarize(ggor)
	return nil
}

// stormRows are the rows of Report.Storm, in the order of
// fleetRowKeys: each strategy, then the server-led row.
func stormRows(p params) []FleetRow {
	var rows []FleetRow
	for _, st := range Strategies(p.storm.opts.BackoffInitial, p.storm.cap) {
		rows = append(rows, unmeasuredRow(st.Key, st.Name))
	}
	return append(rows, unmeasuredRow(KeyRetryAfter, "wsfsm default, server-led"))
}

// runStorms runs the reconnect storm rounds, plain and server-led, and
// simulates the median plain one. Until Options can take a
// backoff.BackOff, the clients run the root package's own schedule, full
// jitter under the same envelope as retry.FullJitter: the plain storm fills
// the row of full jitter, the server-led one the server-led row.
func runStorms(ctx context.Context, self []string, p params, cx *Context, rep *Report) error {
	rep.Storm = stormRows(p)
	full, led := &rep.Storm[1], &rep.Storm[len(rep.Storm)-1]
	var rounds []stormRound
	var fleets, ledFleets []Fleet
	var rec, peak []float64
	for range p.heavyRounds {
		r, err := runStorm(ctx, self, withRetryAfter(p.storm, 0))
		if err != nil {
			return err
		}
		rounds = append(rounds, r)
		fleets = append(fleets, r.fleet)
		rec, peak = append(rec, r.recover.Seconds()), append(peak, r.peakOverMean)
		l, err := runStorm(ctx, self, p.storm)
		if err != nil {
			return err
		}
		ledFleets = append(ledFleets, l.fleet)
	}
	*full = summarizeFleet(full.Key, full.Name, fleets)
	*led = summarizeFleet(led.Key, "root schedule, server-led", ledFleets)
	rep.StormRecoverS, rep.StormPeakRatio = summarize(rec), summarize(peak)

	slices.SortFunc(rounds, func(a, b stormRound) int { return int(a.recover - b.recover) })
	med := rounds[len(rounds)/2]
	s := &cx.Storm
	s.Clients, s.Outage = p.storm.clients, p.storm.outage.String()
	s.Base, s.Cap, s.CapS = p.storm.opts.BackoffInitial.String(), p.storm.cap.String(), p.storm.cap.Seconds()
	s.DeadlineS = (p.storm.cap + 2*time.Second).Seconds()
	s.Strategy = "the root package's schedule (full jitter: the engine that takes Options.Backoff has not landed)"
	s.RetryAfterNote = fmt.Sprintf("a server process answers 503 from the kill until the outage ends, Retry-After = seconds until then + 0..%v; same clients", p.storm.retryAfterWindow)
	s.Measured, s.Back, s.AllOpen = med.buckets, med.back.Seconds(), med.allOpen.Seconds()
	sim := SimConfig{Clients: p.storm.clients, Outage: med.back, Cap: p.storm.cap, Seed: 7,
		Strategy: Strategies(p.storm.opts.BackoffInitial, p.storm.cap)[1]}
	s.Simulated = Simulate(sim).Buckets
	sim.Strategy = Strategies(p.storm.opts.BackoffInitial, p.storm.cap)[0]
	s.SimNoJitter = Simulate(sim).Buckets
	return nil
}

func withRetryAfter(c stormConfig, w time.Duration) stormConfig { c.retryAfterWindow = w; return c }

// runSims runs the large simulation for every strategy and the server-led
// row, over p.simSeeds seeds (1, 2, ...) each.
func runSims(p params, rep *Report, cx *Context) {
	type row struct {
		st Strategy
		w  time.Duration
	}
	var rows []row
	for _, st := range Strategies(simBase, simCap) {
		rows = append(rows, row{st, 0})
	}
	led := DefaultStrategy(simBase, simCap)
	led.Key, led.Name = KeyRetryAfter, "wsfsm default, server-led"
	rows = append(rows, row{led, p.simRetryAfterWindow})
	cx.Sim = SimContext{OutageS: p.simOutage.Seconds(), Base: simBase.String(), Cap: simCap.String(),
		Seeds: p.simSeeds, RetryAfterWindowS: p.simRetryAfterWindow.Seconds()}
	rep.Sim = nil
	for _, rw := range rows {
		var fleets []Fleet
		var pom []float64
		for seed := range p.simSeeds {
			r := Simulate(SimConfig{Clients: p.simClients, Outage: p.simOutage, Strategy: rw.st, Cap: simCap,
				RetryAfterWindow: rw.w, Seed: uint64(seed + 1)})
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
