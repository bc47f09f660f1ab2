package bench

import (
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/retry"
)

// DefaultGrowth is ElapsedConfig.Growth's default.
const DefaultGrowth = 2.0

// ElapsedConfig configures NewElapsed. The zero value with a Rand gives
// every default.
type ElapsedConfig struct {
	// Initial is the first envelope. Default 250 ms; <= 0 means the
	// default. An Initial above Max is Max.
	Initial time.Duration
	// Max caps the envelope, and so every delay. Default 30 s; <= 0 means
	// the default.
	Max time.Duration
	// Growth is how much the envelope grows per second of outage. Default
	// 2; 0 (or NaN) means the default; negative keeps it at Initial.
	Growth float64
	// Floor is the fraction of the envelope under which no delay is drawn,
	// as retry.JitterConfig.Floor. Default 0.3; 0 (or NaN) means the default;
	// negative means none; above 1 is 1.
	Floor float64
	// Clock tells the time. Default nil: backoff.SystemClock.
	Clock backoff.Clock
	// Rand draws the delays. Required.
	Rand retry.Rand
}

// Elapsed is a backoff.BackOff whose envelope grows with how long the
// outage has lasted rather than with how many dials failed: with t the
// time since the first NextBackOff after a Reset (the outage's start, read
// from Clock), each delay is uniform in [Floor·E, E] under
//
//	E = min(Max, Initial + Growth·t)
//
// A dial that takes long (a black-holed server costs the handshake
// timeout) makes the next delay longer, and since each draw moves the time
// the next envelope is computed from, the randomness compounds: clients
// that dropped together drift apart in every round, instead of staying in
// the lockstep of an envelope indexed by the attempt. Once E reaches Max
// the delays stay random in [Floor·Max, Max]. It never returns
// backoff.Stop.
//
// It is the schedule that learns how long the outage has lasted, tried
// against the fixed ones in the outage study (TestSweep); it lost
// (docs/BENCHMARKS.md), so it lives here and not in package retry.
//
// An Elapsed is not safe for concurrent use; a retry.Schedule makes one
// per connection.
type Elapsed struct {
	initial, max time.Duration
	growth       float64
	floor        float64
	clock        backoff.Clock
	rnd          retry.Rand
	start        time.Time
	started      bool
}

// NewElapsed returns the strategy cfg describes.
func NewElapsed(cfg ElapsedConfig) *Elapsed {
	if cfg.Max <= 0 {
		cfg.Max = retry.DefaultMax
	}
	if cfg.Initial <= 0 {
		cfg.Initial = retry.DefaultInitial
	}
	switch {
	case cfg.Growth == 0 || math.IsNaN(cfg.Growth):
		cfg.Growth = DefaultGrowth
	case cfg.Growth < 0:
		cfg.Growth = 0
	}
	if cfg.Clock == nil {
		cfg.Clock = backoff.SystemClock
	}
	return &Elapsed{initial: min(cfg.Initial, cfg.Max), max: cfg.Max, growth: cfg.Growth,
		floor: cfg.Floor, clock: cfg.Clock, rnd: cfg.Rand}
}

// NextBackOff returns the next delay, uniform in [Floor·E, E]; never
// backoff.Stop.
func (e *Elapsed) NextBackOff() time.Duration {
	now := e.clock.Now()
	if !e.started {
		e.start, e.started = now, true
	}
	env := e.max
	if x := float64(e.initial) + e.growth*float64(now.Sub(e.start)); x < float64(e.max) {
		env = time.Duration(x)
	}
	// The draw under the envelope is retry.Jitter's, with the envelope held.
	j := retry.NewJitter(retry.JitterConfig{Initial: env, Max: env, Multiplier: 1, Floor: e.floor, Rand: e.rnd})
	return j.NextBackOff()
}

// Reset makes the next NextBackOff the start of an outage.
func (e *Elapsed) Reset() { e.started = false }

// MaxDelay returns Max.
func (e *Elapsed) MaxDelay() time.Duration { return e.max }

var _ retry.Bounded = (*Elapsed)(nil)
