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
// against the fixed ones in the outage study (TestSweep) with DialStart,
// FloorCredit and Accrued, the others that learn; none met the study's two
// goals held out (docs/BENCHMARKS.md), so they live here and not in
// package retry.
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
	cfg.Initial, cfg.Max, cfg.Growth = envelope(cfg.Initial, cfg.Max, cfg.Growth)
	if cfg.Clock == nil {
		cfg.Clock = backoff.SystemClock
	}
	return &Elapsed{initial: cfg.Initial, max: cfg.Max, growth: cfg.Growth,
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

// DialStart wraps a BackOff so that each of its delays counts from the
// start of the dial that failed, not from its end: a dial that took 10 s
// to time out has already waited 10 s. With spent the time from the end of
// the last delay it returned (when the dial started) to this call, the
// next delay is
//
//	max(0, b.NextBackOff() − spent)
//
// so the gaps between the starts of successive dials follow b's schedule
// as long as b's delays exceed what the dials cost; below that, each dial
// starts the moment the last one failed, and a fleet whose dials all cost
// the same timeout keeps the offsets of its first dials (the outage
// study's lockstep: docs/BENCHMARKS.md). A refused dial costs nothing and
// changes nothing. It learns the dial's cost from its clock; the first
// delay after a Reset is b's own. Whatever else made the wait longer than
// the delay it returned (a Retry-After, the longer wait of 1013, both
// added by a retry.Schedule) counts as spent too.
//
// A DialStart is not safe for concurrent use; a retry.Schedule makes one
// per connection.
type DialStart struct {
	b     backoff.BackOff
	clock backoff.Clock
	end   time.Time // the end of the last delay returned: the dial's start
	have  bool      // end is set: a delay was returned since the last Reset
}

// NewDialStart returns b with its delays counted from the dial's start,
// reading clk (nil: backoff.SystemClock).
func NewDialStart(b backoff.BackOff, clk backoff.Clock) *DialStart {
	if clk == nil {
		clk = backoff.SystemClock
	}
	return &DialStart{b: b, clock: clk}
}

// NextBackOff returns b's next delay less the time since the last one
// ended, at least 0; backoff.Stop when b stops.
func (d *DialStart) NextBackOff() time.Duration {
	now := d.clock.Now()
	x := d.b.NextBackOff()
	if x < 0 {
		return x
	}
	if spent := now.Sub(d.end); d.have && spent > 0 {
		x = max(0, x-spent)
	}
	d.end, d.have = now.Add(x), true
	return x
}

// Reset resets b; the next delay is b's own.
func (d *DialStart) Reset() {
	d.b.Reset()
	d.have = false
}

// MaxDelay returns b's, if b is retry.Bounded; else the largest Duration
// (unknown), so that a retry.Schedule does not cap its RetryLaterMin.
func (d *DialStart) MaxDelay() time.Duration {
	if b, ok := d.b.(retry.Bounded); ok {
		return b.MaxDelay()
	}
	return math.MaxInt64
}

// AccruedConfig configures NewAccrued. The zero value with a Rand gives
// every default.
type AccruedConfig struct {
	// Initial is the first envelope. Default 250 ms; <= 0 means the
	// default. An Initial above Max is Max.
	Initial time.Duration
	// Max caps the envelope, and so every delay. Default 30 s; <= 0 means
	// the default.
	Max time.Duration
	// Growth is how much the envelope grows per second of the strategy's
	// own delays. Default 2; 0 (or NaN) means the default; negative keeps
	// it at Initial.
	Growth float64
	// Floor is the fraction of the envelope under which no delay is drawn,
	// as retry.JitterConfig.Floor. Default 0.3; 0 (or NaN) means the
	// default; negative means none; above 1 is 1.
	Floor float64
	// FloorAtMax, if set, is the floor once the envelope is Max: between
	// Initial and Max the floor moves from Floor to FloorAtMax in
	// proportion to the envelope. Default 0 (or NaN): Floor throughout;
	// negative means none; above 1 is 1.
	FloorAtMax float64
	// Rand draws the delays. Required.
	Rand retry.Rand
}

// Accrued is Elapsed that counts only its own delays: with w the sum of
// the delays it returned since the last Reset, each delay is uniform in
// [f·E, E] (f is Floor, or moves to FloorAtMax as E grows) under
//
//	E = min(Max, Initial + Growth·w)
//
// It needs no clock, and a dial's cost (10 s for a black-holed one) does
// not inflate the next delays. The envelope grows by a random factor at
// each delay, 1 + Growth·(the draw ÷ E) on average, so that clients that
// dropped together drift apart instead of staying in the lockstep of an
// envelope indexed by the attempt. Once E reaches Max the delays stay
// random in [Floor·Max, Max]. It never returns backoff.Stop.
//
// An Accrued is not safe for concurrent use; a retry.Schedule makes one
// per connection.
type Accrued struct {
	initial, max time.Duration
	growth       float64
	floor, top   float64 // the floor at Initial and at Max, in [0, 1]
	rnd          retry.Rand
	waited       time.Duration
}

// envelope applies the defaults of Elapsed's and Accrued's envelope: Max
// (retry.DefaultMax) and Initial (retry.DefaultInitial) when not positive,
// Initial at most Max, Growth DefaultGrowth when 0 or NaN and 0 when
// negative.
func envelope(initial, max time.Duration, growth float64) (time.Duration, time.Duration, float64) {
	if max <= 0 {
		max = retry.DefaultMax
	}
	if initial <= 0 {
		initial = retry.DefaultInitial
	}
	switch {
	case growth == 0 || math.IsNaN(growth):
		growth = DefaultGrowth
	case growth < 0:
		growth = 0
	}
	return min(initial, max), max, growth
}

// fraction returns x as a floor in [0, 1]: 0 (or NaN) is def, negative 0.
func fraction(x, def float64) float64 {
	switch {
	case x == 0 || math.IsNaN(x):
		return def
	case x < 0:
		return 0
	}
	return min(x, 1)
}

// NewAccrued returns the strategy cfg describes.
func NewAccrued(cfg AccruedConfig) *Accrued {
	cfg.Initial, cfg.Max, cfg.Growth = envelope(cfg.Initial, cfg.Max, cfg.Growth)
	fl := fraction(cfg.Floor, retry.DefaultFloor)
	return &Accrued{initial: cfg.Initial, max: cfg.Max, growth: cfg.Growth,
		floor: fl, top: fraction(cfg.FloorAtMax, fl), rnd: cfg.Rand}
}

// NextBackOff returns the next delay, uniform in [Floor·E, E]; never
// backoff.Stop.
func (a *Accrued) NextBackOff() time.Duration {
	env := a.max
	if x := float64(a.initial) + a.growth*float64(a.waited); x < float64(a.max) {
		env = time.Duration(x)
	}
	fl := a.floor
	if a.max > a.initial {
		fl += (a.top - a.floor) * float64(env-a.initial) / float64(a.max-a.initial)
	}
	if fl <= 0 {
		fl = -1 // retry.JitterConfig's "none"; its 0 is the default
	}
	j := retry.NewJitter(retry.JitterConfig{Initial: env, Max: env, Multiplier: 1, Floor: fl, Rand: a.rnd})
	d := j.NextBackOff()
	a.waited += d
	return d
}

// Reset starts the envelope over at Initial.
func (a *Accrued) Reset() { a.waited = 0 }

// MaxDelay returns Max.
func (a *Accrued) MaxDelay() time.Duration { return a.max }

var (
	_ retry.Bounded = (*DialStart)(nil)
	_ retry.Bounded = (*Accrued)(nil)
)

// FloorCredit is retry.Jitter whose floor is served by what the failed
// dial cost: with E the envelope (E(0) = Initial, then ×Multiplier up to
// Max, as retry.Jitter's), lo = Floor·E, and c the time from the end of
// the last delay it returned (when the dial started) to this call, each
// delay is uniform in
//
//	[lo − min(c, lo), E − min(c, lo)]
//
// The floor keeps a client from dialing again too soon; a dial that took c
// to fail (10 s for a black-holed one) already kept it away c, so the
// floor is credited with it. The jitter, E − lo wide, is kept whole, so
// that a fleet whose dials all cost the same timeout does not fall into
// the lockstep of that timeout (DialStart's, whose delays are 0 whenever
// the draw is under c). A refused dial costs nothing and changes nothing.
// It never returns backoff.Stop.
//
// A FloorCredit is not safe for concurrent use; a retry.Schedule makes one
// per connection.
type FloorCredit struct {
	env   *backoff.ExponentialBackOff
	floor float64
	rnd   retry.Rand
	clock backoff.Clock
	end   time.Time // the end of the last delay returned: the dial's start
	have  bool      // end is set
}

// NewFloorCredit returns the strategy cfg describes (cfg.Rand required),
// reading clk (nil: backoff.SystemClock). cfg's fields default and clamp
// as for retry.NewJitter.
func NewFloorCredit(cfg retry.JitterConfig, clk backoff.Clock) *FloorCredit {
	if cfg.Max <= 0 {
		cfg.Max = retry.DefaultMax
	}
	if cfg.Initial <= 0 {
		cfg.Initial = retry.DefaultInitial
	}
	if !(cfg.Multiplier >= 1) {
		cfg.Multiplier = retry.DefaultMultiplier
	}
	switch {
	case cfg.Floor == 0 || math.IsNaN(cfg.Floor):
		cfg.Floor = retry.DefaultFloor
	case cfg.Floor < 0:
		cfg.Floor = 0
	case cfg.Floor > 1:
		cfg.Floor = 1
	}
	if clk == nil {
		clk = backoff.SystemClock
	}
	env := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(min(cfg.Initial, cfg.Max)),
		backoff.WithMultiplier(cfg.Multiplier),
		backoff.WithMaxInterval(cfg.Max),
		backoff.WithRandomizationFactor(0),
		backoff.WithMaxElapsedTime(0),
	)
	return &FloorCredit{env: env, floor: cfg.Floor, rnd: cfg.Rand, clock: clk}
}

// NextBackOff returns the next delay; never backoff.Stop.
func (f *FloorCredit) NextBackOff() time.Duration {
	now := f.clock.Now()
	e := f.env.NextBackOff()
	lo := min(time.Duration(f.floor*float64(e)), e)
	credit := time.Duration(0)
	if c := now.Sub(f.end); f.have && c > 0 {
		credit = min(c, lo)
	}
	d := lo - credit
	if span := int64(e - lo); span > 0 {
		d += time.Duration(f.rnd.Int64N(span + 1))
	}
	f.end, f.have = now.Add(d), true
	return d
}

// Reset brings the envelope back to Initial and forgets the last dial.
func (f *FloorCredit) Reset() {
	f.env.Reset()
	f.have = false
}

// MaxDelay returns Max.
func (f *FloorCredit) MaxDelay() time.Duration { return f.env.MaxInterval }

var _ retry.Bounded = (*FloorCredit)(nil)
