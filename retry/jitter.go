package retry

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Defaults of JitterConfig: the library's default strategy, NewDefault.
//
// DefaultMultiplier and DefaultFloor were chosen on one 30 s outage of a
// server that refuses dials, where they beat full, equal and decorrelated
// jitter on dials, peak and recovery. Over outages of other kinds and
// lengths, held out from that choice, no fixed schedule wins everywhere,
// this one included, and no schedule chosen by a rule fixed in advance did
// better held out: docs/BENCHMARKS.md ("Over outage kinds and lengths")
// has the figures.
const (
	DefaultInitial    = 250 * time.Millisecond
	DefaultMax        = 30 * time.Second
	DefaultMultiplier = 3.0
	DefaultFloor      = 0.3
)

// Rand draws the random numbers of a strategy or a Schedule: Int64N returns
// a uniform value in [0, n) for n > 0. *math/rand/v2.Rand implements it; a
// seeded one makes delays reproducible. The value it is given to uses it
// without locking, so a Rand must not be shared by instances used
// concurrently.
type Rand interface{ Int64N(n int64) int64 }

// newRand returns a generator of its own for one instance, seeded at random.
func newRand() Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// between returns a uniform duration in [lo, hi], both included; lo when
// hi <= lo (no draw is made then). lo must not be negative.
func between(r Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	span := int64(hi - lo)
	if span == math.MaxInt64 { // span+1 would overflow: draw in [lo, hi)
		return lo + time.Duration(r.Int64N(span))
	}
	return lo + time.Duration(r.Int64N(span+1))
}

// Bounded is a BackOff that knows the largest delay it returns. A Schedule
// caps Config.RetryLaterMin at it. Every strategy of this package is
// Bounded.
type Bounded interface {
	backoff.BackOff
	// MaxDelay returns the largest delay NextBackOff returns.
	MaxDelay() time.Duration
}

// JitterConfig configures NewJitter. The zero value is the library's
// default strategy.
type JitterConfig struct {
	// Initial is the first envelope. Default 250 ms; <= 0 means the
	// default. An Initial above Max is Max.
	Initial time.Duration
	// Max caps the envelope, and so every delay. Default 30 s; <= 0 means
	// the default.
	Max time.Duration
	// Multiplier grows the envelope after each delay. Default 3; below 1
	// (or NaN) means the default. 1 keeps the envelope at Initial.
	Multiplier float64
	// Floor is the fraction of the envelope under which no delay is drawn:
	// each delay is uniform in [Floor·E, E]. Default 0.3; 0 (or NaN) means
	// the default; negative means no floor (full jitter); above 1 is 1.
	// 0.5 is equal jitter, 1 no jitter.
	Floor float64
	// Rand draws the delays. Default nil: a generator of the instance's
	// own, seeded at random.
	Rand Rand
}

// Jitter is exponential backoff with jitter as a backoff.BackOff, the
// library's default strategy. Its n-th delay since a Reset (n from 0) is
// drawn uniformly, to the nanosecond, in [Floor·E(n), E(n)] under the
// envelope
//
//	E(0) = Initial, E(n+1) = min(Max, E(n)·Multiplier)
//
// which a backoff/v4 ExponentialBackOff computes (without randomization,
// without MaxElapsedTime): E(n) = min(Max, Initial·Multiplier^n), each step
// truncated to the nanosecond. Unlike ExponentialBackOff's own
// randomization, whose interval is centred on E and whose source (the
// global math/rand) cannot be seeded, the draw is under E and comes from
// the instance's Rand. Once E reaches Max the delays stay random in
// [Floor·Max, Max]: a fleet that dropped at once does not dial in lockstep
// at the cap. It never returns backoff.Stop; wrap it in
// backoff.WithMaxRetries for a budget.
//
// A Jitter is not safe for concurrent use; a Schedule makes one per
// connection.
type Jitter struct {
	env   *backoff.ExponentialBackOff
	floor float64
	rnd   Rand
}

// NewJitter returns the strategy cfg describes.
func NewJitter(cfg JitterConfig) *Jitter {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Initial <= 0 {
		cfg.Initial = DefaultInitial
	}
	cfg.Initial = min(cfg.Initial, cfg.Max)
	if !(cfg.Multiplier >= 1) {
		cfg.Multiplier = DefaultMultiplier
	}
	switch {
	case cfg.Floor == 0 || math.IsNaN(cfg.Floor):
		cfg.Floor = DefaultFloor
	case cfg.Floor < 0:
		cfg.Floor = 0
	case cfg.Floor > 1:
		cfg.Floor = 1
	}
	if cfg.Rand == nil {
		cfg.Rand = newRand()
	}
	env := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(cfg.Initial),
		backoff.WithMultiplier(cfg.Multiplier),
		backoff.WithMaxInterval(cfg.Max),
		backoff.WithRandomizationFactor(0), // the envelope; the draw under it is ours
		backoff.WithMaxElapsedTime(0),      // never Stop
		backoff.WithClockProvider(noClock{}),
	)
	return &Jitter{env: env, floor: cfg.Floor, rnd: cfg.Rand}
}

// NextBackOff returns the next delay, uniform in [Floor·E, E]; never
// backoff.Stop.
func (j *Jitter) NextBackOff() time.Duration {
	e := j.env.NextBackOff()
	lo := e
	if f := j.floor * float64(e); f < float64(e) { // not lo = Duration(f): float64(e) may round to 2^63
		lo = time.Duration(f)
	}
	return between(j.rnd, lo, e)
}

// Reset brings the envelope back to Initial.
func (j *Jitter) Reset() { j.env.Reset() }

// MaxDelay returns Max.
func (j *Jitter) MaxDelay() time.Duration { return j.env.MaxInterval }

// noClock is the ExponentialBackOff envelope's clock: with no
// MaxElapsedTime its readings are never used, so it does not read the time.
type noClock struct{}

func (noClock) Now() time.Time { return time.Time{} }

// NewDefault returns the library's default strategy, NewJitter with every
// default: delays drawn in [0.3·E, E] under an envelope E from 250 ms, ×3,
// up to 30 s. It is what a Schedule uses when Config.NewBackOff is nil.
func NewDefault() backoff.BackOff { return NewJitter(JitterConfig{}) }

// The published strategies below are those of the AWS Architecture Blog's
// study "Exponential Backoff And Jitter", with its parameters: base, the
// first envelope, and ceiling (the study's cap), the largest.

// Exponential returns min(ceiling, base·2^n) for the n-th delay since the
// last Reset (n from 0), with no jitter: NewJitter with Floor 1. A fleet
// using it dials in lockstep; it is here for reference. base and ceiling <= 0
// mean 250 ms and 30 s; a base above ceiling is ceiling.
func Exponential(base, ceiling time.Duration) *Jitter {
	return NewJitter(JitterConfig{Initial: base, Max: ceiling, Multiplier: 2, Floor: 1})
}

// FullJitter is the study's "Full Jitter":
// sleep = random_between(0, min(ceiling, base·2^n)), n from 0 since the last
// Reset; that is NewJitter with no floor and Multiplier 2. base and ceiling
// <= 0 mean 250 ms and 30 s; a base above ceiling is ceiling; a nil r means
// a generator of the instance's own.
func FullJitter(base, ceiling time.Duration, r Rand) *Jitter {
	return NewJitter(JitterConfig{Initial: base, Max: ceiling, Multiplier: 2, Floor: -1, Rand: r})
}

// EqualJitter is the study's "Equal Jitter": with v = min(ceiling, base·2^n),
// n from 0 since the last Reset, sleep = v/2 + random_between(0, v/2); that
// is NewJitter with Floor 0.5 and Multiplier 2. base and ceiling <= 0 mean
// 250 ms and 30 s; a base above ceiling is ceiling; a nil r means a
// generator of the instance's own.
func EqualJitter(base, ceiling time.Duration, r Rand) *Jitter {
	return NewJitter(JitterConfig{Initial: base, Max: ceiling, Multiplier: 2, Floor: 0.5, Rand: r})
}

// Decorrelated is "Decorrelated Jitter" of the AWS study as a
// backoff.BackOff; see DecorrelatedJitter. It is not safe for concurrent
// use.
type Decorrelated struct {
	base, ceiling, sleep time.Duration
	rnd                  Rand
}

// DecorrelatedJitter is the study's "Decorrelated Jitter": starting from
// sleep = base, each delay is
//
//	sleep = min(ceiling, random_between(base, sleep·3))
//
// Unlike Jitter it is not random at the ceiling: once the delays reach it,
// many draws exceed it and return ceiling itself (38% of all delays in the
// long run with base = ceiling/30). base and ceiling <= 0 mean 250 ms and
// 30 s; a base above ceiling is ceiling; a nil r means a generator of the
// instance's own.
func DecorrelatedJitter(base, ceiling time.Duration, r Rand) *Decorrelated {
	if ceiling <= 0 {
		ceiling = DefaultMax
	}
	if base <= 0 {
		base = DefaultInitial
	}
	if r == nil {
		r = newRand()
	}
	base = min(base, ceiling)
	return &Decorrelated{base: base, ceiling: ceiling, sleep: base, rnd: r}
}

// NextBackOff returns the next delay, in [base, ceiling]; never
// backoff.Stop.
func (d *Decorrelated) NextBackOff() time.Duration {
	hi := time.Duration(math.MaxInt64)
	if d.sleep <= hi/3 {
		hi = d.sleep * 3
	}
	d.sleep = min(d.ceiling, between(d.rnd, d.base, hi))
	return d.sleep
}

// Reset starts over from sleep = base.
func (d *Decorrelated) Reset() { d.sleep = d.base }

// MaxDelay returns ceiling.
func (d *Decorrelated) MaxDelay() time.Duration { return d.ceiling }

// The package's strategies are Bounded.
var (
	_ Bounded = (*Jitter)(nil)
	_ Bounded = (*Decorrelated)(nil)
)
