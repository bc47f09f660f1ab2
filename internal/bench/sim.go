package bench

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm/transport"
)

// Bucket is the width of the dial-rate histograms.
const Bucket = 100 * time.Millisecond

// SimConfig describes a simulated outage: Clients connections drop at
// t = 0 and the server comes back at t = Outage.
type SimConfig struct {
	Clients int
	Outage  time.Duration
	Backoff transport.BackoffConfig
	// Jitter false replays the same envelope without jitter: the schedule
	// draws from a random source that always returns its largest value, so
	// every delay is the envelope itself.
	Jitter bool
	Seed   uint64
}

// SimResult is a simulated outage's dials per Bucket from t = 0, and the
// recovery: from Outage to the last client's successful dial.
type SimResult struct {
	Buckets     []int
	Dials       int
	LastSuccess time.Duration
	// PeakRatio is the largest bucket over the mean bucket, from the
	// bucket holding Outage to the one holding LastSuccess.
	PeakRatio float64
}

// Simulate replays transport.Schedule for every virtual client on a
// virtual clock: after the drop each client waits the schedule's Next
// delay and dials; dials before Outage fail, the first one at or after it
// succeeds. The server is assumed to accept every dial (no capacity
// limit), so clients never interact and are replayed one after another,
// on one goroutine per CPU, each with a schedule and a random stream of
// its own.
func Simulate(cfg SimConfig) SimResult {
	shards := max(1, min(runtime.GOMAXPROCS(0), cfg.Clients))
	parts := make([]SimResult, shards)
	var wg sync.WaitGroup
	for s := range shards {
		n := cfg.Clients / shards
		if s < cfg.Clients%shards {
			n++
		}
		wg.Go(func() { parts[s] = simulateShard(cfg, n, cfg.Seed*1000003+uint64(s)) })
	}
	wg.Wait()
	var out SimResult
	for _, p := range parts {
		if len(p.Buckets) > len(out.Buckets) {
			out.Buckets = append(out.Buckets, make([]int, len(p.Buckets)-len(out.Buckets))...)
		}
		for i, b := range p.Buckets {
			out.Buckets[i] += b
		}
		out.Dials += p.Dials
		out.LastSuccess = max(out.LastSuccess, p.LastSuccess)
	}
	out.PeakRatio = peakOverMean(out.Buckets, int(cfg.Outage/Bucket), int(out.LastSuccess/Bucket))
	return out
}

func simulateShard(cfg SimConfig, clients int, seed uint64) SimResult {
	var src rand.Source = rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	if !cfg.Jitter {
		src = topSource{}
	}
	clk := &virtualClock{}
	sched := transport.NewSchedule(cfg.Backoff, clk, rand.New(src))
	var res SimResult
	dropped := &transport.CloseError{Code: 1006} // what a dropped connection reports
	for range clients {
		clk.now = 0
		sched.Reset()
		var t time.Duration
		for {
			d, ok := sched.Next(dropped)
			if !ok {
				break // a budget was set and spent: this client gave up
			}
			t += d
			clk.now = t
			i := int(t / Bucket)
			if i >= len(res.Buckets) {
				res.Buckets = append(res.Buckets, make([]int, i+1-len(res.Buckets))...)
			}
			res.Buckets[i]++
			res.Dials++
			if t >= cfg.Outage {
				res.LastSuccess = max(res.LastSuccess, t)
				break
			}
		}
	}
	return res
}

// virtualClock is the simulation's transport.Clock.
type virtualClock struct{ now time.Duration }

var epoch = time.Unix(0, 0)

func (c *virtualClock) Now() time.Time { return epoch.Add(c.now) }

// topSource always returns the largest value: Int64N(n) is then n-1, so a
// full-jitter draw in [0, E] returns E.
type topSource struct{}

func (topSource) Uint64() uint64 { return ^uint64(0) }

// delaysByAttempt samples the schedule's delay for attempts 1..attempts,
// samples times each, with jitter.
func delaysByAttempt(cfg transport.BackoffConfig, attempts, samples int, seed uint64) [][]time.Duration {
	clk := &virtualClock{}
	sched := transport.NewSchedule(cfg, clk, rand.New(rand.NewPCG(seed, seed+1)))
	out := make([][]time.Duration, attempts)
	for range samples {
		sched.Reset()
		for a := range attempts {
			d, _ := sched.Next(nil)
			out[a] = append(out[a], d)
		}
	}
	return out
}
