package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// stormConfig is one reconnect storm: clients Conns with opts, each with
// its own BackOff of strategy plugged through Options.Backoff, a server
// killed with SIGKILL and back after outage.
type stormConfig struct {
	clients int
	outage  time.Duration
	cap     time.Duration // the clients' backoff cap: peaks are over clients / cap
	opts    wsfsm.Options
	// strategy gives each client its BackOff, drawing from a source seeded
	// by (seed, the client's index); a zero strategy leaves opts.Backoff
	// as it is.
	strategy Strategy
	seed     uint64
	// retryAfterWindow > 0: a server process that shares the port
	// (ServeConfig.ReusePort) answers 503 from the kill until the outage
	// ends, with a Retry-After spread over this window
	// (ServeConfig.BusyUntil), then serves.
	retryAfterWindow time.Duration
}

// stormRound is what one storm measured. Times are relative to the kill.
type stormRound struct {
	back    time.Duration // the server accepts again
	allOpen time.Duration // the last client was Open again
	buckets []int         // dial attempts per Bucket since the kill
	opens   []int         // Opens per millisecond since back
	fleet   Fleet
	// recover is allOpen - back; peakOverMean is the largest bucket over
	// the mean bucket from back to allOpen (kept for history).
	recover      time.Duration
	peakOverMean float64
}

// dialLog records when dial attempts start and when clients are Open.
type dialLog struct {
	mu     sync.Mutex
	dials  []time.Time
	opens  []time.Time
	count  atomic.Int64 // Opens since the last reset
	all    chan struct{}
	target atomic.Int64
	once   sync.Once
}

func (l *dialLog) observe(t wsfsm.Transition) {
	switch t.To {
	case fsm.Connecting:
		l.mu.Lock()
		l.dials = append(l.dials, t.At)
		l.mu.Unlock()
	case fsm.Open:
		l.mu.Lock()
		l.opens = append(l.opens, t.At)
		l.mu.Unlock()
		if n := l.count.Add(1); n == l.target.Load() {
			l.once.Do(func() { close(l.all) })
		}
	}
}

// runStorm connects cfg.clients Conns to a fresh server process on /echo,
// kills the server, brings one back on the same port after cfg.outage, and
// waits until every client is Open again (at most the backoff cap and any
// Retry-After window + 30 s).
func runStorm(ctx context.Context, self []string, cfg stormConfig) (stormRound, error) {
	var r stormRound
	var reuse []string
	if cfg.retryAfterWindow > 0 {
		reuse = []string{"-serve-reuseport"} // the busy server will share the port
	}
	srv, err := startServer(ctx, self, "127.0.0.1:0", nil, -1, reuse...)
	if err != nil {
		return r, err
	}
	defer func() { srv.kill() }()

	log := &dialLog{all: make(chan struct{})}
	log.target.Store(-1)
	conns := make([]*wsfsm.Conn, cfg.clients)
	defer func() {
		var wg sync.WaitGroup
		for _, c := range conns {
			if c != nil {
				wg.Go(func() { _ = c.Abort() })
			}
		}
		wg.Wait()
	}()
	url := srv.url("/echo")
	err = parallel(ctx, cfg.clients, dialWorkers, func(i int) error {
		opts := cfg.clientOptions(i)
		opts.OnTransition = log.observe
		c, err := wsfsm.Dial(ctx, url, &opts)
		if err != nil {
			return fmt.Errorf("bench: storm dial: %w", err)
		}
		conns[i] = c
		return nil
	})
	if err != nil {
		return r, err
	}
	// Every client is Open; wait until their initial Open transitions were
	// observed, then count the ones that follow the kill.
	for log.count.Load() < int64(cfg.clients) {
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return r, err
		}
	}
	log.mu.Lock()
	log.count.Store(0)
	log.target.Store(int64(cfg.clients))
	log.dials, log.opens = log.dials[:0], log.opens[:0]
	log.mu.Unlock()

	addr := fmt.Sprintf("127.0.0.1:%d", srv.port)
	var killedAt time.Time
	if cfg.retryAfterWindow > 0 {
		// A busy server process takes the port beside the first before the
		// kill (no client dials meanwhile: all are Open), so that from the
		// kill on every dial is answered 503 with a Retry-After, until the
		// outage ends.
		backAt := time.Now().Add(busyStartAllowance + cfg.outage)
		srv2, err := startServer(ctx, self, addr, nil, -1, "-serve-reuseport",
			"-serve-busy-until", strconv.FormatInt(backAt.UnixNano(), 10), "-serve-busy-window", cfg.retryAfterWindow.String())
		if err != nil {
			return r, fmt.Errorf("bench: starting the busy server: %w", err)
		}
		first := srv
		srv = srv2         // the deferred kill now ends this one, after the clients
		defer first.kill() // on an early return; a no-op after the kill below
		if err := sleepCtx(ctx, time.Until(backAt.Add(-cfg.outage))); err != nil {
			return r, err
		}
		killedAt = time.Now()
		first.kill()
		r.back = backAt.Sub(killedAt)
	} else {
		killedAt = time.Now()
		srv.kill()
		if err := sleepCtx(ctx, cfg.outage-time.Since(killedAt)); err != nil {
			return r, err
		}
		srv2, err := startServer(ctx, self, addr, nil, -1)
		if err != nil {
			return r, fmt.Errorf("bench: restarting the server: %w", err)
		}
		srv = srv2 // the deferred kill now ends this one
		r.back = srv.ready.Sub(killedAt)
	}

	limit := cfg.outage + cfg.cap + cfg.retryAfterWindow + 30*time.Second
	select {
	case <-log.all:
	case <-ctx.Done():
		return r, fmt.Errorf("bench: storm: %w", ctx.Err())
	case <-time.After(limit):
		return r, fmt.Errorf("bench: storm: only %d of %d clients Open %v after the kill", log.count.Load(), cfg.clients, limit)
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	var after []int
	outageDials := 0
	for _, at := range log.dials {
		d := at.Sub(killedAt)
		if d < 0 {
			continue
		}
		i := int(d / Bucket)
		r.buckets = grow(r.buckets, i)
		r.buckets[i]++
		if d < r.back {
			outageDials++
			continue
		}
		i = int((d - r.back) / Bucket)
		after = grow(after, i)
		after[i]++
	}
	var opens []int
	for _, at := range log.opens {
		d := max(at.Sub(killedAt), r.back) // an Open stamped before the LISTENING line arrived
		r.allOpen = max(r.allOpen, d)
		i := int((d - r.back) / time.Millisecond)
		opens = grow(opens, i)
		opens[i]++
	}
	r.recover = r.allOpen - r.back
	r.opens = opens
	r.fleet = Fleet{
		DialsPerClient: float64(outageDials) / float64(cfg.clients),
		PeakRatio:      peakRatio(after, cfg.clients, cfg.cap),
		T99:            min(openQuantile(opens, cfg.clients, 0.99), r.recover.Seconds()),
		T100:           r.recover.Seconds(),
	}
	r.peakOverMean = peakOverMean(r.buckets, int(r.back/Bucket), int(r.allOpen/Bucket))
	return r, nil
}

// busyStartAllowance is the time given to the busy server process to start
// before the kill, in the server-led storm.
const busyStartAllowance = time.Second

// clientOptions returns the Options of client i: cfg.opts with, when a
// strategy is set, a Backoff whose BackOff draws from a source of the
// client's own, seeded by (cfg.seed, i), so that a round is repeatable and
// every strategy of a round draws from the same sources.
func (cfg *stormConfig) clientOptions(i int) wsfsm.Options {
	opts := cfg.opts
	if newBackOff := cfg.strategy.New; newBackOff != nil {
		rnd := rand.New(rand.NewPCG(splitmix(cfg.seed), splitmix(uint64(i)+1)))
		opts.Backoff = func() backoff.BackOff { return newBackOff(rnd, backoff.SystemClock) } // called once per Conn
	}
	return opts
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
