package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// stormConfig is one reconnect storm: clients Conns with opts, a server
// killed with SIGKILL and restarted on the same port after outage.
type stormConfig struct {
	clients int
	outage  time.Duration
	opts    wsfsm.Options
}

// stormRound is what one storm measured. Times are relative to the kill.
type stormRound struct {
	back    time.Duration // the new server printed LISTENING
	allOpen time.Duration // the last client was Open again
	buckets []int         // dial attempts per Bucket since the kill
	// recover is allOpen - back; peakRatio is the largest bucket over the
	// mean bucket from back to allOpen.
	recover   time.Duration
	peakRatio float64
}

// dialLog records when dial attempts start and how many clients are Open.
type dialLog struct {
	mu     sync.Mutex
	dials  []time.Time
	opens  atomic.Int64
	lastAt atomic.Int64 // Unix ns of the latest Open
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
		l.lastAt.Store(t.At.UnixNano())
		if n := l.opens.Add(1); n == l.target.Load() {
			l.once.Do(func() { close(l.all) })
		}
	}
}

// runStorm connects cfg.clients Conns to a fresh server process on /echo,
// kills the server, restarts it on the same port after cfg.outage, and
// waits until every client is Open again (at most the backoff cap + 30 s).
func runStorm(ctx context.Context, self []string, cfg stormConfig) (stormRound, error) {
	var r stormRound
	srv, err := startServer(ctx, self, "127.0.0.1:0", nil, -1)
	if err != nil {
		return r, err
	}
	defer func() { srv.kill() }()

	log := &dialLog{all: make(chan struct{})}
	log.target.Store(-1)
	opts := cfg.opts
	opts.OnTransition = log.observe
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
	for log.opens.Load() < int64(cfg.clients) {
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return r, err
		}
	}
	log.opens.Store(0)
	log.target.Store(int64(cfg.clients))
	log.mu.Lock()
	log.dials = log.dials[:0]
	log.mu.Unlock()

	killedAt := time.Now()
	srv.kill()
	if err := sleepCtx(ctx, cfg.outage-time.Since(killedAt)); err != nil {
		return r, err
	}
	srv2, err := startServer(ctx, self, fmt.Sprintf("127.0.0.1:%d", srv.port), nil, -1)
	if err != nil {
		return r, fmt.Errorf("bench: restarting the server: %w", err)
	}
	srv = srv2 // the deferred kill now ends this one
	r.back = srv.ready.Sub(killedAt)

	limit := max(cfg.opts.BackoffMax, wsfsm.DefaultBackoffMax) + 30*time.Second
	select {
	case <-log.all:
	case <-ctx.Done():
		return r, fmt.Errorf("bench: storm: %w", ctx.Err())
	case <-time.After(limit):
		return r, fmt.Errorf("bench: storm: only %d of %d clients Open %v after the server returned", log.opens.Load(), cfg.clients, limit)
	}
	r.allOpen = time.Unix(0, log.lastAt.Load()).Sub(killedAt)
	r.recover = r.allOpen - r.back

	log.mu.Lock()
	for _, at := range log.dials {
		i := int(at.Sub(killedAt) / Bucket)
		if i < 0 {
			continue
		}
		if i >= len(r.buckets) {
			r.buckets = append(r.buckets, make([]int, i+1-len(r.buckets))...)
		}
		r.buckets[i]++
	}
	log.mu.Unlock()
	r.peakRatio = peakOverMean(r.buckets, int(r.back/Bucket), int(r.allOpen/Bucket))
	return r, nil
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
