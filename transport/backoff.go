package transport

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"
)

// BackoffConfig configures a Schedule. The zero value gives the design's
// defaults.
type BackoffConfig struct {
	Initial    time.Duration // first envelope; 0 means 250 ms
	Max        time.Duration // largest envelope; 0 means 30 s
	Multiplier float64       // envelope growth per attempt; 0 means 2
	// MinUptime is how long a connection must stay up for the schedule to
	// reset when it drops; 0 means 10 s; < 0 resets on every Opened. A
	// server that accepts and drops at once thus still backs off.
	MinUptime time.Duration
	// MaxAttempts is how many consecutive attempts Next allows; 0 means
	// unlimited.
	MaxAttempts int
	// MaxElapsed bounds the time since the last reset: Next refuses when
	// that time plus the next envelope would pass it. 0 means unlimited
	// (unlike backoff/v4's silent 15 minutes).
	MaxElapsed time.Duration
	// MaxRetryAfter clamps a server's Retry-After before it is used as a
	// floor; 0 means 5 min.
	MaxRetryAfter time.Duration
	// RetryLaterMin is the smallest envelope used after close code 1013
	// (Try Again Later), itself capped at Max; 0 means 5 s.
	RetryLaterMin time.Duration
	// FirstDelayZero makes the first attempt after a reset wait 0 (for
	// benchmarks and tests); later attempts back off as usual.
	FirstDelayZero bool
}

// Defaults of BackoffConfig.
const (
	DefaultBackoffInitial    = 250 * time.Millisecond
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultMinUptime         = 10 * time.Second
	DefaultMaxRetryAfter     = 5 * time.Minute
	DefaultRetryLaterMin     = 5 * time.Second
)

// Clock tells the time; it is backoff/v4's Clock too. nil means the real
// clock.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Schedule turns consecutive failures into delays before the next dial. It
// wraps backoff/v4's ExponentialBackOff, used without its own randomization
// and without its 15-minute stop, as the envelope; the delay is drawn
// around it (full jitter). It is safe for concurrent use.
type Schedule struct {
	mu       sync.Mutex
	cfg      BackoffConfig
	clk      Clock
	rnd      *rand.Rand
	exp      *backoff.ExponentialBackOff
	attempt  int
	open     bool
	openedAt time.Time
}

// NewSchedule returns a Schedule; clk nil means the real clock, rnd nil a
// randomly seeded generator (pass a seeded one for reproducible delays).
func NewSchedule(cfg BackoffConfig, clk Clock, rnd *rand.Rand) *Schedule {
	if cfg.Initial <= 0 {
		cfg.Initial = DefaultBackoffInitial
	}
	if cfg.Max <= 0 {
		cfg.Max = DefaultBackoffMax
	}
	if cfg.Initial > cfg.Max {
		cfg.Initial = cfg.Max
	}
	if cfg.Multiplier <= 0 {
		cfg.Multiplier = DefaultBackoffMultiplier
	}
	if cfg.MinUptime == 0 {
		cfg.MinUptime = DefaultMinUptime
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.RetryLaterMin <= 0 {
		cfg.RetryLaterMin = DefaultRetryLaterMin
	}
	if clk == nil {
		clk = realClock{}
	}
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	exp := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(cfg.Initial),
		backoff.WithRandomizationFactor(0), // we jitter ourselves
		backoff.WithMultiplier(cfg.Multiplier),
		backoff.WithMaxInterval(cfg.Max),
		backoff.WithMaxElapsedTime(max(cfg.MaxElapsed, 0)),
		backoff.WithClockProvider(clk),
	)
	return &Schedule{cfg: cfg, clk: clk, rnd: rnd, exp: exp}
}

// Opened records a successful open at the clock's Now. With MinUptime < 0
// it resets the schedule at once.
func (s *Schedule) Opened() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = true
	s.openedAt = s.clk.Now()
	if s.cfg.MinUptime < 0 {
		s.resetLocked()
	}
}

// Dropped records the end of the connection Opened recorded: if it stayed
// up at least MinUptime, the schedule resets.
func (s *Schedule) Dropped() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open && s.cfg.MinUptime >= 0 && s.clk.Now().Sub(s.openedAt) >= s.cfg.MinUptime {
		s.resetLocked()
	}
	s.open = false
}

// Next returns the delay before the next dial, given why the last attempt
// or connection ended, and ok false once MaxAttempts or MaxElapsed is
// spent. The n-th attempt since a reset has the envelope
// E = min(Max, Initial*Multiplier^(n-1)) and waits:
//
//   - uniformly in [0, E] (full jitter; still random at the cap);
//   - after close code 1013, uniformly in [L, 2L] with
//     L = max(E, min(RetryLaterMin, Max)): never shorter than a usual wait;
//   - 0 for the first attempt with FirstDelayZero;
//
// and never less than a *HandshakeError's RetryAfter clamped to
// MaxRetryAfter.
func (s *Schedule) Next(cause error) (delay time.Duration, ok bool) {
	return s.next(cause, isTryLater(cause))
}

// NextLater is Next for a cause the application classified RetryLater: the
// longer wait of close code 1013 whatever the cause.
func (s *Schedule) NextLater(cause error) (delay time.Duration, ok bool) {
	return s.next(cause, true)
}

func (s *Schedule) next(cause error, later bool) (delay time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxAttempts > 0 && s.attempt >= s.cfg.MaxAttempts {
		return 0, false
	}
	env := s.exp.NextBackOff()
	if env == backoff.Stop {
		return 0, false
	}
	s.attempt++
	switch {
	case s.cfg.FirstDelayZero && s.attempt == 1:
		delay = 0
	case later:
		l := max(env, min(s.cfg.RetryLaterMin, s.cfg.Max))
		delay = l + s.jitter(l)
	default:
		delay = s.jitter(env)
	}
	var he *HandshakeError
	if errors.As(cause, &he) && he.RetryAfter > 0 {
		delay = max(delay, min(he.RetryAfter, s.cfg.MaxRetryAfter))
	}
	return delay, true
}

// jitter is uniform in [0, d].
func (s *Schedule) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(s.rnd.Int64N(int64(d) + 1))
}

// Attempt returns the number of attempts Next allowed since the last reset.
func (s *Schedule) Attempt() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempt
}

// Reset starts over: attempt 0, envelope Initial, elapsed time 0.
func (s *Schedule) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Schedule) resetLocked() {
	s.attempt = 0
	s.exp.Reset()
}

// isTryLater reports close code 1013 (Try Again Later).
func isTryLater(err error) bool {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code == websocket.CloseTryAgainLater
	}
	var gce *websocket.CloseError
	return errors.As(err, &gce) && gce.Code == websocket.CloseTryAgainLater
}
