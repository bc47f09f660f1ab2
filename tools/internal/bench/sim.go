package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/retry"
)

// Bucket is the width of the dial-rate histograms.
const Bucket = 100 * time.Millisecond

// PeakWindow is the window of the peak dial rate: the most dials in any
// PeakWindow after the server returned, the window sliding by Bucket.
const PeakWindow = time.Second

// simBlock is how many clients share one random stream and one Schedule in
// the simulation. Blocks, not CPUs, get the seeds, so that a run gives the
// same figures on any number of CPUs.
const simBlock = 1 << 14

// OutageKind is how a server that is away answers a dial.
type OutageKind int

// The outage kinds the fleet figures cover.
const (
	// Refused: nothing listens (a killed process, a host that answers
	// RST); each dial fails at once.
	Refused OutageKind = iota
	// BlackHoled: nothing answers (a host down, a firewall that drops,
	// a partition); each dial costs the handshake timeout. The kernel sends
	// the SYN again 1, 3 and 7 s after the first (Linux's initial
	// retransmission timeout of 1 s, doubling), so a dial still in flight
	// when the server returns connects at its next SYN, if that comes
	// before the timeout.
	BlackHoled
	// AcceptDrop: a server (or a proxy before it) accepts the upgrade and
	// drops the connection (1006) after SimConfig.DropAfter, until it is
	// really back. Each dial Opens and is lost, too soon for MinUptime to
	// reset the schedule.
	AcceptDrop
)

// OutageKinds lists the kinds, in their order.
var OutageKinds = []OutageKind{Refused, BlackHoled, AcceptDrop}

// String names the kind in tables.
func (k OutageKind) String() string {
	switch k {
	case Refused:
		return "refused (RST)"
	case BlackHoled:
		return "black-holed"
	case AcceptDrop:
		return "accept then drop"
	}
	return fmt.Sprintf("OutageKind(%d)", int(k))
}

// Key names the kind in short, in the outage study's verdicts.
func (k OutageKind) Key() string {
	switch k {
	case Refused:
		return "refused"
	case BlackHoled:
		return "blackhole"
	case AcceptDrop:
		return "acceptdrop"
	}
	return strconv.Itoa(int(k))
}

// synRetries are the times after a dial's first SYN at which the kernel
// sends it again (initial retransmission timeout 1 s, doubling): a
// black-holed dial connects at the first of them at or after the server's
// return, if that comes before the handshake timeout.
var synRetries = []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second}

// SimConfig describes a simulated outage: Clients connections, each Open
// for an hour, drop at t = 0; the server returns at t = Outage.
type SimConfig struct {
	Clients int
	// Outage is when the server returns.
	Outage time.Duration
	// Kind is how the server answers dials while away. Default Refused.
	Kind OutageKind
	// HandshakeTimeout bounds each dial of a BlackHoled outage. Default
	// (0) wsfsm's DefaultHandshakeTimeout, 10 s.
	HandshakeTimeout time.Duration
	// DropAfter is how long an AcceptDrop server keeps each connection
	// before dropping it. Default 0: at once.
	DropAfter time.Duration
	// Strategy gives each client its BackOff.
	Strategy Strategy
	// Cap is the strategies' ceiling: the peak dial rate is divided by
	// Clients / Cap.
	Cap time.Duration
	// RetryAfterWindow, when positive, has the server (or a front for it)
	// answer every dial during a Refused outage with 503 and a Retry-After
	// of the whole seconds until its return plus a whole number of seconds
	// drawn uniformly in [0, RetryAfterWindow]. Zero: dials during the outage are
	// refused (no listener).
	RetryAfterWindow time.Duration
	// Seed fixes every draw: the same Seed gives the same result.
	Seed uint64
}

// SimResult is what a simulated outage gave.
type SimResult struct {
	// Buckets holds the dials per Bucket from the drop at t = 0.
	Buckets []int
	// Dials counts every dial; OutageDials those that failed (all those
	// before the server returned but a BlackHoled dial still in flight
	// then that connects).
	Dials, OutageDials int
	// Back counts the clients Open again: all of them unless a schedule
	// stopped.
	Back int
	// Opens holds the Opens per millisecond since the server's return.
	Opens []int
	// Fleet holds the figures the strategies are compared on.
	Fleet Fleet
	// PeakOverMean is the largest bucket over the mean bucket from the
	// server's return to the last Open: the figure reported before the
	// fleet figures, kept for history.
	PeakOverMean float64
}

// Fleet holds the figures of one outage that the strategies are compared
// on; for each, lower is better.
type Fleet struct {
	// DialsPerClient is the dials that failed during the outage per
	// client: the load on whatever answers while the server is away (an
	// AcceptDrop outage's dials each cost a full upgrade).
	DialsPerClient float64
	// PeakRatio is the dial rate in the busiest PeakWindow after the
	// server returned, over Clients / Cap: 1.0 would be the fleet spread
	// evenly over one cap.
	PeakRatio float64
	// T99 and T100 are the seconds from the server's return until 99% and
	// 100% of the clients are Open again; NaN if they never were.
	T99, T100 float64
}

// String gives the figures on one line, for progress.
func (f Fleet) String() string {
	return fmt.Sprintf("dials/client while down %s, peak ÷ (N/cap) %s, 99%% Open %s s, 100%% Open %s s",
		num(f.DialsPerClient), num(f.PeakRatio), num(f.T99), num(f.T100))
}

// Simulate replays the real retry.Schedule, over the BackOff of
// cfg.Strategy, for every virtual client on a virtual clock: after the drop
// each client waits the schedule's Next delay and dials; dials before
// Outage fail as cfg.Kind says (refused or 503 with Retry-After at once,
// timed out after HandshakeTimeout, or Opened and dropped after
// DropAfter), the first one that reaches the server at or after Outage
// succeeds and the client is Open. The server accepts every dial once back
// (no capacity limit), so clients never interact: they are replayed
// one after another, in blocks of simBlock clients, each block with a
// random stream of its own, on one goroutine per CPU.
func Simulate(cfg SimConfig) SimResult {
	blocks := (cfg.Clients + simBlock - 1) / simBlock
	workers := max(1, min(runtime.GOMAXPROCS(0), blocks))
	parts := make([]simAcc, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				n := min(simBlock, cfg.Clients-b*simBlock)
				simulateBlock(cfg, n, cfg.Seed, uint64(b), &parts[w])
			}
		})
	}
	wg.Wait()
	var acc simAcc
	for i := range parts {
		acc.merge(&parts[i])
	}
	return acc.result(cfg)
}

// simAcc accumulates what the clients of some blocks did.
type simAcc struct {
	buckets     []int // dials per Bucket since the drop
	after       []int // dials per Bucket since the return
	opens       []int // Opens per millisecond since the return
	dials       int
	outageDials int
	back        int
	lastOpen    time.Duration // since the drop
}

func grow(s []int, i int) []int {
	if i >= len(s) {
		s = append(s, make([]int, i+1-len(s))...)
	}
	return s
}

// dial records a dial started at t; failed says it did not connect.
func (a *simAcc) dial(t time.Duration, failed bool) {
	i := int(t / Bucket)
	a.buckets = grow(a.buckets, i)
	a.buckets[i]++
	a.dials++
	if failed {
		a.outageDials++
	}
}

// open records a dial that reached the returned server at t and Opened:
// the server's load after its return is these arrivals.
func (a *simAcc) open(t, outage time.Duration) {
	i := int((t - outage) / Bucket)
	a.after = grow(a.after, i)
	a.after[i]++
	i = int((t - outage) / time.Millisecond)
	a.opens = grow(a.opens, i)
	a.opens[i]++
	a.back++
	a.lastOpen = max(a.lastOpen, t)
}

func (a *simAcc) merge(b *simAcc) {
	add := func(dst, src []int) []int {
		if len(src) > 0 {
			dst = grow(dst, len(src)-1)
		}
		for i, x := range src {
			dst[i] += x
		}
		return dst
	}
	a.buckets, a.after, a.opens = add(a.buckets, b.buckets), add(a.after, b.after), add(a.opens, b.opens)
	a.dials += b.dials
	a.outageDials += b.outageDials
	a.back += b.back
	a.lastOpen = max(a.lastOpen, b.lastOpen)
}

func (a *simAcc) result(cfg SimConfig) SimResult {
	r := SimResult{Buckets: a.buckets, Dials: a.dials, OutageDials: a.outageDials, Back: a.back, Opens: a.opens}
	r.Fleet.DialsPerClient = float64(a.outageDials) / float64(cfg.Clients)
	r.Fleet.PeakRatio = peakRatio(a.after, cfg.Clients, cfg.Cap)
	r.Fleet.T99 = openQuantile(a.opens, cfg.Clients, 0.99)
	r.Fleet.T100 = math.NaN()
	if a.back == cfg.Clients && cfg.Clients > 0 {
		r.Fleet.T100 = (a.lastOpen - cfg.Outage).Seconds()
		r.Fleet.T99 = min(r.Fleet.T99, r.Fleet.T100) // the millisecond's end may pass the last Open
	}
	r.PeakOverMean = peakOverMean(a.buckets, int(cfg.Outage/Bucket), int(a.lastOpen/Bucket))
	return r
}

// peakRatio is the largest count of dials in PeakWindow (consecutive
// buckets of after, the dials per Bucket since the server's return) over
// the count clients spread evenly over ceiling would make in PeakWindow.
// NaN without clients, ceiling, or dials.
func peakRatio(after []int, clients int, ceiling time.Duration) float64 {
	w := int(PeakWindow / Bucket)
	if clients <= 0 || ceiling <= 0 || len(after) == 0 {
		return math.NaN()
	}
	peak, sum := 0, 0
	for i, x := range after {
		sum += x
		if i >= w {
			sum -= after[i-w]
		}
		peak = max(peak, sum)
	}
	even := float64(clients) * PeakWindow.Seconds() / ceiling.Seconds()
	return float64(peak) / even
}

// openQuantile is the seconds from the server's return until the q
// fraction of clients are Open, from opens, the Opens per millisecond since
// the return: the end of the millisecond in which the count reached
// ceil(q·clients). NaN if it never did.
func openQuantile(opens []int, clients int, q float64) float64 {
	need := int(math.Ceil(q * float64(clients)))
	n := 0
	for i, x := range opens {
		n += x
		if n >= need && need > 0 {
			return (time.Duration(i+1) * time.Millisecond).Seconds()
		}
	}
	return math.NaN()
}

// epoch is the virtual clock's origin: the drop.
var epoch = time.Unix(0, 0)

// What the simulated clients see: the connection lost, then dials refused
// or timed out.
var (
	errDropped  = &wsfsm.CloseError{Code: 1006}
	errRefused  = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	errTimedOut = &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
)

// simulateBlock replays n clients of block b with one Schedule, reset for
// each client, and one random stream seeded by (seed, b).
func simulateBlock(cfg SimConfig, n int, seed, b uint64, acc *simAcc) {
	rnd := rand.New(rand.NewPCG(splitmix(seed), splitmix(seed^splitmix(b+1))))
	var t time.Duration // the client's virtual time since the drop
	sched := retry.NewSchedule(retry.Config{
		NewBackOff: func() backoff.BackOff { return cfg.Strategy.New(rnd, simClock{&t}) },
		Rand:       rnd,
	})
	timeout := cfg.HandshakeTimeout
	if timeout <= 0 {
		timeout = wsfsm.DefaultHandshakeTimeout
	}
	busy := &wsfsm.HandshakeError{StatusCode: 503}
	window := int64(cfg.RetryAfterWindow / time.Second)
	for range n {
		// An hour Open, then lost: the schedule starts over.
		sched.Reset()
		sched.Opened(epoch.Add(-time.Hour))
		sched.Dropped(epoch)
		var cause error = errDropped
		t = 0
		for {
			d, _, ok := sched.Next(cause, false)
			if !ok {
				break // a budget was set and spent: this client gave up
			}
			t += d
			at, ok := arrival(cfg.Kind, t, cfg.Outage, timeout)
			acc.dial(t, !ok)
			if ok {
				acc.open(at, cfg.Outage)
				break
			}
			switch cfg.Kind {
			case BlackHoled:
				t += timeout
				cause = errTimedOut
			case AcceptDrop:
				sched.Opened(epoch.Add(t))
				t += cfg.DropAfter
				sched.Dropped(epoch.Add(t))
				cause = errDropped
			default:
				cause = errRefused
				if cfg.RetryAfterWindow > 0 {
					untilBack := (cfg.Outage - t + time.Second - 1) / time.Second
					busy.RetryAfter = time.Duration(int64(untilBack)+rnd.Int64N(window+1)) * time.Second
					cause = busy
				}
			}
		}
	}
}

// simClock reads a simulated client's virtual time.
type simClock struct{ t *time.Duration }

func (c simClock) Now() time.Time { return epoch.Add(*c.t) }

// arrival returns when a dial started at t reaches a server that returns
// at back, and whether it does before the dial fails: at t for a server
// already back; for a BlackHoled dial in flight, at its first SYN at or
// after back that comes before timeout.
func arrival(kind OutageKind, t, back, timeout time.Duration) (time.Duration, bool) {
	if t >= back {
		return t, true
	}
	if kind == BlackHoled {
		for _, r := range synRetries {
			if r < timeout && t+r >= back {
				return t + r, true
			}
		}
	}
	return 0, false
}

// splitmix is SplitMix64's finalizer: it turns seeds that differ in a few
// bits (1, 2, 3; block numbers) into unrelated PCG states.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// delaysByAttempt samples the first attempts delays of s, samples times
// each, through a retry.Schedule as in Simulate.
func delaysByAttempt(s Strategy, attempts, samples int, seed uint64) [][]time.Duration {
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	var t time.Duration // refused at once: the time is the sum of the delays
	sched := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return s.New(rnd, simClock{&t}) }, Rand: rnd})
	out := make([][]time.Duration, attempts)
	for range samples {
		sched.Reset()
		t = 0
		for a := range attempts {
			d, _, _ := sched.Next(errRefused, false)
			out[a] = append(out[a], d)
			t += d
		}
	}
	return out
}
