package retry

import (
	"errors"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/internal/transport"
)

// Defaults of Config.
const (
	DefaultMinUptime     = 10 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
	DefaultRetryLaterMin = 5 * time.Second
)

// Config configures a Schedule. The zero value gives every default. A Config
// without a Rand may be shared by any number of Schedules: each calls
// NewBackOff once and owns what it returns.
type Config struct {
	// NewBackOff makes the delay strategy of one Schedule: any
	// backoff.BackOff, such as NewJitter(...), backoff.NewExponentialBackOff()
	// or backoff.WithMaxRetries(...). It must return a new value at each
	// call. Default nil: NewDefault. A nil result means NewDefault too.
	NewBackOff func() backoff.BackOff
	// MinUptime is how long a connection must stay Open for its loss to
	// reset the schedule (attempt count and BackOff): a server that accepts
	// and drops at once keeps the delays growing. Default 10 s; 0 means the
	// default; negative resets at every Opened.
	MinUptime time.Duration
	// MaxAttempts is how many redials Next allows since the last reset;
	// the next call returns ok false. Default 0: unlimited (so is negative).
	MaxAttempts int
	// MaxRetryAfter clamps the Retry-After of a refused upgrade (429, 503)
	// before it floors the delay. Default 5 min; 0 means the default;
	// negative ignores Retry-After.
	MaxRetryAfter time.Duration
	// RetryLaterMin floors the longer wait after close code 1013 (Try Again
	// Later) or a RetryLater verdict; see Schedule.Next. It is capped at the
	// BackOff's largest delay when that is known: Bounded.MaxDelay, the
	// MaxInterval of a *backoff.ExponentialBackOff, the Interval of a
	// *backoff.ConstantBackOff, 0 for a *backoff.ZeroBackOff. Default 5 s; 0
	// means the default; negative means no floor.
	RetryLaterMin time.Duration
	// ImmediateFirstRetry makes the first redial after a lost Open
	// connection wait 0 when the schedule stands at attempt 0 (the
	// connection outlived MinUptime, or was the first to open). Default
	// false: with many clients on one server, an immediate redial is a
	// stampede.
	ImmediateFirstRetry bool
	// Rand draws the spread of the longer wait after 1013. Default nil: a
	// generator of the Schedule's own, seeded at random. A Config holding a
	// Rand must not be shared by Schedules used concurrently.
	Rand Rand
}

// Schedule decides how long a connection waits before each redial. It asks
// its BackOff for the next delay and adds what a connection needs on top:
// a reset only after a stable connection, a server's Retry-After, the
// longer wait of close code 1013, an attempt budget, and an optional
// immediate first redial. It never stops by itself: Next refuses only when
// MaxAttempts is spent or the BackOff returns backoff.Stop (mind that
// backoff.NewExponentialBackOff() does after 15 minutes unless its
// MaxElapsedTime is 0).
//
// Make one Schedule per connection life (Dial to Closed). It holds no lock:
// one goroutine at a time may use it, such as the connection's loop. Time is
// passed in, never read: give Opened and Dropped time.Now() (whose monotonic
// reading ignores changes to the wall clock), or a virtual clock's reading.
type Schedule struct {
	b             backoff.BackOff
	rnd           Rand
	minUptime     time.Duration
	maxRetryAfter time.Duration // < 0: ignore Retry-After
	laterMin      time.Duration
	maxAttempts   int
	immediate     bool

	attempt  int       // redials Next allowed since the last reset
	open     bool      // Opened recorded, Dropped not yet
	openedAt time.Time // when open
	lostOpen bool      // an Opened was recorded since the last reset by Reset or NewSchedule
}

// NewSchedule returns a Schedule at attempt 0 with a new BackOff from
// cfg.NewBackOff.
func NewSchedule(cfg Config) *Schedule {
	var b backoff.BackOff
	if cfg.NewBackOff != nil {
		b = cfg.NewBackOff()
	}
	if b == nil {
		b = NewDefault()
	}
	if cfg.MinUptime == 0 {
		cfg.MinUptime = DefaultMinUptime
	}
	if cfg.MaxRetryAfter == 0 { // not <= 0: negative ignores Retry-After (issue 10 item 8)
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	switch {
	case cfg.RetryLaterMin == 0:
		cfg.RetryLaterMin = DefaultRetryLaterMin
	case cfg.RetryLaterMin < 0:
		cfg.RetryLaterMin = 0
	}
	if m, ok := maxDelay(b); ok {
		cfg.RetryLaterMin = min(cfg.RetryLaterMin, max(m, 0))
	}
	if cfg.Rand == nil {
		cfg.Rand = newRand()
	}
	return &Schedule{
		b:             b,
		rnd:           cfg.Rand,
		minUptime:     cfg.MinUptime,
		maxRetryAfter: cfg.MaxRetryAfter,
		laterMin:      cfg.RetryLaterMin,
		maxAttempts:   cfg.MaxAttempts,
		immediate:     cfg.ImmediateFirstRetry,
	}
}

// maxDelay returns the largest delay b returns, when it is known.
func maxDelay(b backoff.BackOff) (time.Duration, bool) {
	switch b := b.(type) {
	case Bounded:
		return b.MaxDelay(), true
	case *backoff.ExponentialBackOff:
		return b.MaxInterval, true
	case *backoff.ConstantBackOff:
		return b.Interval, true
	case *backoff.ZeroBackOff:
		return 0, true
	}
	return 0, false
}

// Opened records that a connection reached Open at now. With MinUptime < 0
// the schedule resets at once. It returns Attempt after it.
func (s *Schedule) Opened(now time.Time) (attempt int) {
	s.open, s.openedAt, s.lostOpen = true, now, true
	if s.minUptime < 0 {
		s.reset()
	}
	return s.attempt
}

// Dropped records that the connection Opened recorded was lost at now. If
// it stayed Open at least MinUptime, the schedule resets: attempt 0 and
// BackOff.Reset. Without an Opened before it, it does nothing. It returns
// Attempt after it.
func (s *Schedule) Dropped(now time.Time) (attempt int) {
	if s.open && s.minUptime >= 0 && now.Sub(s.openedAt) >= s.minUptime {
		s.reset()
	}
	s.open = false
	return s.attempt
}

// Next returns how long to wait before the next redial, given the error
// that ended the last dial or connection and whether its verdict was
// RetryLater (Classifier.Classify gives it for close code 1013: the caller
// classifies once and passes the verdict on), and Attempt after it. ok is
// false, with no delay and Attempt unchanged, when MaxAttempts redials were
// already allowed since the last reset, or when the BackOff returned
// backoff.Stop (any negative delay): the connection should then stop, and
// stay stopped. Otherwise Attempt grows by one, and with d the BackOff's
// next delay, the delay is:
//
//   - with later true: uniform
//     in [L, 2L] with L = max(d, RetryLaterMin) (RetryLaterMin capped as
//     Config says), so never shorter than the usual delay nor than the
//     floor, and a fleet sent away at once does not return at once even
//     with an unjittered BackOff;
//   - with ImmediateFirstRetry, on the first redial after a lost Open
//     connection while the schedule stood at attempt 0: 0 (1013 above
//     wins: the server's word comes first);
//   - otherwise d;
//
// and, if cause holds a *transport.HandshakeError with a RetryAfter, never
// less than that RetryAfter clamped to MaxRetryAfter (unless MaxRetryAfter
// < 0).
func (s *Schedule) Next(cause error, later bool) (delay time.Duration, attempt int, ok bool) {
	if s.maxAttempts > 0 && s.attempt >= s.maxAttempts {
		return 0, s.attempt, false
	}
	d := s.b.NextBackOff()
	if d < 0 {
		return 0, s.attempt, false
	}
	first := s.attempt == 0 && s.lostOpen
	s.attempt++
	switch {
	case later:
		l := max(d, s.laterMin)
		hi := time.Duration(math.MaxInt64)
		if l <= hi/2 {
			hi = 2 * l
		}
		delay = between(s.rnd, l, hi)
	case s.immediate && first:
		delay = 0
	default:
		delay = d
	}
	var he *transport.HandshakeError
	if s.maxRetryAfter >= 0 && errors.As(cause, &he) && he.RetryAfter > 0 {
		delay = max(delay, min(he.RetryAfter, s.maxRetryAfter))
	}
	return delay, s.attempt, true
}

// Attempt returns how many redials Next allowed since the last reset.
func (s *Schedule) Attempt() int { return s.attempt }

// Reset starts over as a new Schedule would, keeping its BackOff: attempt
// 0, BackOff.Reset, no connection Open.
func (s *Schedule) Reset() {
	s.reset()
	s.open, s.lostOpen = false, false
}

func (s *Schedule) reset() {
	s.attempt = 0
	s.b.Reset()
}
