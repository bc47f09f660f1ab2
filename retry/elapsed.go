package retry

import (
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultGrowth is ElapsedConfig.Growth's default.
const DefaultGrowth = 2.0

// ElapsedConfig configures NewElapsed. The zero value gives every default.
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
	// as JitterConfig.Floor. Default 0.3; 0 (or NaN) means the default;
	// negative means none; above 1 is 1.
	Floor float64
	// Clock tells the time. Default nil: backoff.SystemClock.
	Clock backoff.Clock
	// Rand draws the delays. Default nil: a generator of the instance's
	// own, seeded at random.
	Rand Rand
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
// An Elapsed is not safe for concurrent use; a Schedule makes one per
// connection.
type Elapsed struct {
	initial, max time.Duration
	growth       float64
	floor        float64
	clock        backoff.Clock
	rnd          Rand
	start        time.Time
	started      bool
}

// NewElapsed returns the strategy cfg describes.
func NewElapsed(cfg ElapsedConfig) *Elapsed {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Initial <= 0 {
		cfg.Initial = DefaultInitial
	}
	switch {
	case cfg.Growth == 0 || math.IsNaN(cfg.Growth):
		cfg.Growth = DefaultGrowth
	case cfg.Growth < 0:
		cfg.Growth = 0
	}
	cfg.Floor = floorOf(cfg.Floor)
	if cfg.Clock == nil {
		cfg.Clock = backoff.SystemClock
	}
	if cfg.Rand == nil {
		cfg.Rand = newRand()
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
	return between(e.rnd, floorTimes(e.floor, env), env)
}

// Reset makes the next NextBackOff the start of an outage.
func (e *Elapsed) Reset() { e.started = false }

// MaxDelay returns Max.
func (e *Elapsed) MaxDelay() time.Duration { return e.max }

var _ Bounded = (*Elapsed)(nil)

// floorOf normalises a Floor field: 0 or NaN is DefaultFloor, negative 0,
// above 1 is 1.
func floorOf(f float64) float64 {
	switch {
	case f == 0 || math.IsNaN(f):
		return DefaultFloor
	case f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// floorTimes returns f·e, at most e (float64(e) may round up to 2^63).
func floorTimes(f float64, e time.Duration) time.Duration {
	if x := f * float64(e); x < float64(e) {
		return time.Duration(x)
	}
	return e
}
