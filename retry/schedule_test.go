package retry_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
)

// constant returns a factory of backoff/v4 constant backoffs.
func constant(d time.Duration) func() backoff.BackOff {
	return func() backoff.BackOff { return backoff.NewConstantBackOff(d) }
}

// Issue 10 item 8: MaxRetryAfter < 0 ignores Retry-After, as its doc says;
// 0 still means the 5 min default.
func TestScheduleRetryAfterFloorClampIgnore(t *testing.T) {
	refused := func(ra time.Duration) error { return &transport.HandshakeError{StatusCode: 503, RetryAfter: ra} }
	for _, tc := range []struct {
		name                      string
		maxRetryAfter, retryAfter time.Duration
		want                      time.Duration
	}{
		{"floor", 0, 2 * time.Second, 2 * time.Second},
		{"below the delay", 0, time.Millisecond, 100 * time.Millisecond},
		{"clamped to the default", 0, time.Hour, retry.DefaultMaxRetryAfter},
		{"clamped", 10 * time.Second, time.Hour, 10 * time.Second},
		{"ignored", -1, 2 * time.Second, 100 * time.Millisecond},
		{"ignored, large", -time.Hour, time.Hour, 100 * time.Millisecond},
		{"absent", 0, 0, 100 * time.Millisecond},
	} {
		s := retry.NewSchedule(retry.Config{NewBackOff: constant(100 * time.Millisecond), MaxRetryAfter: tc.maxRetryAfter})
		if d, _, ok := s.Next(refused(tc.retryAfter), false); !ok || d != tc.want {
			t.Errorf("%s: Retry-After %v, MaxRetryAfter %v: delay %v ok %v, want %v", tc.name, tc.retryAfter, tc.maxRetryAfter, d, ok, tc.want)
		}
	}
}

func wrap(err error) error { return fmt.Errorf("transport: read: %w", err) }

// t0 is an arbitrary start for the times given to Opened and Dropped.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// counting is a BackOff that returns d and counts its calls.
type counting struct {
	d             time.Duration
	calls, resets int
}

func (c *counting) NextBackOff() time.Duration { c.calls++; return c.d }
func (c *counting) Reset()                     { c.resets++ }

// exp is the factory of a Schedule whose delays are exactly the envelope
// 1 s, 2 s, 4 s, ... up to 1 min.
func exp() backoff.BackOff { return retry.Exponential(time.Second, time.Minute) }

// next calls s.Next for a dropped connection and fails the test if it is
// refused.
func next(t *testing.T, s *retry.Schedule) time.Duration {
	t.Helper()
	d, _, ok := s.Next(&transport.CloseError{Code: 1006}, false)
	if !ok {
		t.Fatalf("Next refused at attempt %d", s.Attempt())
	}
	return d
}

func TestScheduleDefaultStrategy(t *testing.T) {
	s := retry.NewSchedule(retry.Config{})
	e := retry.DefaultInitial
	for n := range 40 {
		lo := time.Duration(retry.DefaultFloor * float64(e))
		if d := next(t, s); d < lo || d > e {
			t.Errorf("default schedule, redial %d: delay %v, want in [%v, %v]", n+1, d, lo, e)
		}
		e = min(retry.DefaultMax, time.Duration(float64(e)*retry.DefaultMultiplier))
		if s.Attempt() != n+1 {
			t.Errorf("Attempt() = %d, want %d", s.Attempt(), n+1)
		}
	}
	// A factory returning nil gets the default too.
	s = retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return nil }})
	if d := next(t, s); d > retry.DefaultInitial {
		t.Errorf("nil from the factory: first delay %v, want in [0, %v]", d, retry.DefaultInitial)
	}
}

// Each Schedule calls the factory once and owns what it returns.
func TestScheduleFactoryPerSchedule(t *testing.T) {
	var made []*counting
	cfg := retry.Config{NewBackOff: func() backoff.BackOff {
		c := &counting{d: time.Second}
		made = append(made, c)
		return c
	}}
	a, b := retry.NewSchedule(cfg), retry.NewSchedule(cfg)
	next(t, a)
	next(t, a)
	next(t, b)
	if len(made) != 2 || made[0].calls != 2 || made[1].calls != 1 {
		t.Errorf("two schedules from one Config: %d BackOffs made, calls %v; want 2 with 2 and 1 calls", len(made), made)
	}
}

func TestScheduleResetsOnlyAfterMinUptime(t *testing.T) {
	s := retry.NewSchedule(retry.Config{NewBackOff: exp})
	for n := range 4 {
		if d, want := next(t, s), time.Second<<n; d != want {
			t.Fatalf("redial %d: delay %v, want %v", n+1, d, want)
		}
	}
	// Open 1 ns short of MinUptime: the delays keep growing.
	s.Opened(t0)
	s.Dropped(t0.Add(retry.DefaultMinUptime - 1))
	if s.Attempt() != 4 {
		t.Fatalf("a short connection reset the schedule: Attempt() = %d, want 4", s.Attempt())
	}
	if d := next(t, s); d != 16*time.Second {
		t.Errorf("after a short connection: delay %v, want 16s", d)
	}
	// Open exactly MinUptime: reset.
	s.Opened(t0)
	s.Dropped(t0.Add(retry.DefaultMinUptime))
	if s.Attempt() != 0 {
		t.Fatalf("a stable connection did not reset the schedule: Attempt() = %d", s.Attempt())
	}
	if d := next(t, s); d != time.Second {
		t.Errorf("first delay after the reset: %v, want 1s", d)
	}
	// Dropped without Opened changes nothing, however late.
	s.Dropped(t0.Add(time.Hour))
	if d := next(t, s); s.Attempt() != 2 || d != 2*time.Second {
		t.Errorf("Dropped without Opened: attempt %d delay %v, want 2 and 2s", s.Attempt(), d)
	}
	// A custom MinUptime.
	s = retry.NewSchedule(retry.Config{NewBackOff: exp, MinUptime: time.Minute})
	next(t, s)
	s.Opened(t0)
	s.Dropped(t0.Add(59 * time.Second))
	if s.Attempt() != 1 {
		t.Errorf("MinUptime 1m, up 59s: Attempt() = %d, want 1", s.Attempt())
	}
}

// A server that accepts and drops at once never resets the schedule: each
// redial waits longer than the one before, up to the cap.
func TestScheduleAcceptThenDropKeepsGrowing(t *testing.T) {
	s := retry.NewSchedule(retry.Config{NewBackOff: exp})
	now := t0
	var prev time.Duration
	for n := range 10 {
		d := next(t, s)
		if d < prev || (d == prev && d != time.Minute) {
			t.Errorf("redial %d: delay %v after %v, want growing to the 1m cap", n+1, d, prev)
		}
		prev = d
		now = now.Add(d)
		s.Opened(now)
		now = now.Add(time.Millisecond)
		s.Dropped(now)
	}
	if s.Attempt() != 10 {
		t.Errorf("Attempt() = %d, want 10", s.Attempt())
	}
}

func TestScheduleNegativeMinUptimeResetsAtOpen(t *testing.T) {
	s := retry.NewSchedule(retry.Config{NewBackOff: exp, MinUptime: -1})
	next(t, s)
	next(t, s)
	s.Opened(t0)
	if s.Attempt() != 0 {
		t.Errorf("Attempt() = %d after Opened with MinUptime < 0, want 0", s.Attempt())
	}
	s.Dropped(t0) // up for 0: nothing more to reset
	if d := next(t, s); d != time.Second {
		t.Errorf("first delay after Opened: %v, want 1s", d)
	}
}

func TestScheduleMaxAttempts(t *testing.T) {
	c := &counting{d: time.Second}
	s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return c }, MaxAttempts: 3})
	for n := 1; n <= 3; n++ {
		if _, _, ok := s.Next(nil, false); !ok {
			t.Fatalf("redial %d refused with MaxAttempts 3", n)
		}
	}
	for range 2 { // refused, and stays refused
		if d, _, ok := s.Next(nil, false); ok || d != 0 {
			t.Fatalf("redial 4 with MaxAttempts 3: delay %v ok %v, want 0 false", d, ok)
		}
	}
	if c.calls != 3 || s.Attempt() != 3 {
		t.Errorf("after the budget: BackOff asked %d times, Attempt() = %d; want 3 and 3", c.calls, s.Attempt())
	}
	// A stable connection gives the budget back.
	s.Opened(t0)
	s.Dropped(t0.Add(retry.DefaultMinUptime))
	if _, _, ok := s.Next(nil, false); !ok || c.resets != 1 {
		t.Errorf("after a stable connection: ok %v, BackOff reset %d times; want true and 1", ok, c.resets)
	}
	// Negative is unlimited, as 0 is.
	s = retry.NewSchedule(retry.Config{NewBackOff: exp, MaxAttempts: -1})
	for range 100 {
		next(t, s)
	}
}

// Opened, Dropped and Next return Attempt as it stands after them: a redial
// counts, a refusal does not, a stable connection (or MinUptime < 0 at
// Opened) resets it; the caller needs no Attempt call after them.
func TestScheduleReturnsAttempt(t *testing.T) {
	s := retry.NewSchedule(retry.Config{NewBackOff: constant(time.Second), MaxAttempts: 2})
	check := func(what string, got, want int) {
		t.Helper()
		if got != want || s.Attempt() != want {
			t.Errorf("%s returned attempt %d, Attempt() %d; want %d", what, got, s.Attempt(), want)
		}
	}
	_, n, _ := s.Next(nil, false)
	check("first Next", n, 1)
	_, n, _ = s.Next(nil, false)
	check("second Next", n, 2)
	_, n, ok := s.Next(nil, false)
	check("refused Next", n, 2)
	if ok {
		t.Error("a third redial with MaxAttempts 2 was allowed")
	}
	check("Opened", s.Opened(t0), 2)
	check("a short connection's Dropped", s.Dropped(t0.Add(time.Second)), 2)
	s.Opened(t0)
	check("a stable connection's Dropped", s.Dropped(t0.Add(retry.DefaultMinUptime)), 0)
	s = retry.NewSchedule(retry.Config{NewBackOff: constant(time.Second), MinUptime: -1})
	s.Next(nil, false)
	check("Opened with MinUptime < 0", s.Opened(t0), 0)
}

// The user's budget, backoff.WithMaxRetries around a constant backoff: 3
// redials, then ok false, until a stable connection resets it.
func TestScheduleBackOffStop(t *testing.T) {
	s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(10*time.Millisecond), 3)
	}})
	for n := 1; n <= 3; n++ {
		if d, _, ok := s.Next(nil, false); !ok || d != 10*time.Millisecond {
			t.Fatalf("redial %d: delay %v ok %v, want 10ms true", n, d, ok)
		}
	}
	for range 2 {
		if d, _, ok := s.Next(nil, false); ok || d != 0 {
			t.Fatalf("redial 4: delay %v ok %v, want 0 false: WithMaxRetries said Stop", d, ok)
		}
	}
	if s.Attempt() != 3 {
		t.Errorf("Attempt() = %d, want 3: a refusal is not a redial", s.Attempt())
	}
	s.Opened(t0)
	s.Dropped(t0.Add(retry.DefaultMinUptime))
	if _, _, ok := s.Next(nil, false); !ok {
		t.Error("refused after a stable connection reset WithMaxRetries")
	}
	// Any negative delay is a Stop.
	s = retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return &counting{d: -5} }})
	if _, _, ok := s.Next(nil, false); ok {
		t.Error("a BackOff returning -5ns was not taken as a Stop")
	}
	s = retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return &backoff.StopBackOff{} }})
	if _, _, ok := s.Next(nil, false); ok {
		t.Error("backoff.StopBackOff did not stop the schedule")
	}
}

// After close code 1013, or with later true, the wait is uniform in [L, 2L],
// L = max(the BackOff's delay, RetryLaterMin capped at its largest delay).
func TestScheduleRetryLater(t *testing.T) {
	const base, ceiling = 250 * time.Millisecond, 30 * time.Second
	for _, tc := range []struct {
		name  string
		cause error
		later bool
	}{
		{"close 1013", &transport.CloseError{Code: 1013}, false},
		{"gorilla close 1013, wrapped", wrap(&websocket.CloseError{Code: 1013}), false},
		{"RetryLater verdict on 4000", &transport.CloseError{Code: 4000}, true},
		{"RetryLater verdict on nil", nil, true},
	} {
		s := retry.NewSchedule(retry.Config{
			NewBackOff: func() backoff.BackOff { return retry.Exponential(base, ceiling) },
			Rand:       seeded(),
		})
		twin := seeded()
		for n := range 12 {
			l := max(envelope(base, ceiling, n), retry.DefaultRetryLaterMin)
			want := l + time.Duration(twin.Int64N(int64(l)+1))
			if d, _, ok := s.Next(tc.cause, tc.later || retry.Classify(tc.cause) == retry.RetryLater); !ok || d != want {
				t.Errorf("%s, redial %d: delay %v ok %v, want %v (in [%v, %v])", tc.name, n+1, d, ok, want, l, 2*l)
			}
		}
	}

	// The floor, capped at what the BackOff is known to return at most.
	tryLater := &transport.CloseError{Code: 1013}
	for _, tc := range []struct {
		name   string
		cfg    retry.Config
		lo, hi time.Duration
	}{
		{"Bounded at 100ms", retry.Config{NewBackOff: func() backoff.BackOff { return retry.FullJitter(10*time.Millisecond, 100*time.Millisecond, nil) }},
			100 * time.Millisecond, 200 * time.Millisecond},
		{"ConstantBackOff 1s", retry.Config{NewBackOff: constant(time.Second)}, time.Second, 2 * time.Second},
		{"ExponentialBackOff MaxInterval 2s", retry.Config{NewBackOff: func() backoff.BackOff {
			return backoff.NewExponentialBackOff(backoff.WithInitialInterval(time.Millisecond), backoff.WithMaxInterval(2*time.Second))
		}}, 2 * time.Second, 4 * time.Second},
		{"ZeroBackOff", retry.Config{NewBackOff: func() backoff.BackOff { return &backoff.ZeroBackOff{} }}, 0, 0},
		{"unknown maximum: the full floor", retry.Config{NewBackOff: func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 10)
		}}, retry.DefaultRetryLaterMin, 2 * retry.DefaultRetryLaterMin},
		{"RetryLaterMin 1m, capped at 30s", retry.Config{RetryLaterMin: time.Minute}, retry.DefaultMax, 2 * retry.DefaultMax},
		{"RetryLaterMin 2s", retry.Config{NewBackOff: constant(time.Millisecond), RetryLaterMin: 2 * time.Second},
			time.Millisecond, 2 * time.Millisecond}, // capped at the constant's 1ms
		{"RetryLaterMin negative: no floor", retry.Config{NewBackOff: exp, RetryLaterMin: -1}, time.Second, 2 * time.Second},
	} {
		for _, side := range []retry.Rand{bottom{}, top{}} {
			cfg := tc.cfg
			cfg.Rand = side
			want := map[retry.Rand]time.Duration{bottom{}: tc.lo, top{}: tc.hi}[side]
			if d, _, ok := retry.NewSchedule(cfg).Next(tryLater, retry.Classify(tryLater) == retry.RetryLater); !ok || d != want {
				t.Errorf("%s, %T source: delay %v ok %v, want %v", tc.name, side, d, ok, want)
			}
		}
	}
}

func TestScheduleImmediateFirstRetry(t *testing.T) {
	cfg := retry.Config{NewBackOff: exp, ImmediateFirstRetry: true}

	// The first dial failing is no lost connection: the usual delay.
	s := retry.NewSchedule(cfg)
	if d := next(t, s); d != time.Second {
		t.Errorf("before any Open: delay %v, want 1s", d)
	}

	// The first Open lost, however short: 0; the BackOff still counts it.
	s = retry.NewSchedule(cfg)
	s.Opened(t0)
	s.Dropped(t0.Add(time.Millisecond))
	if d := next(t, s); d != 0 {
		t.Errorf("first redial after a lost Open connection: delay %v, want 0", d)
	}
	if d := next(t, s); d != 2*time.Second || s.Attempt() != 2 {
		t.Errorf("second redial: delay %v at attempt %d, want 2s at 2", d, s.Attempt())
	}
	// Lost again before MinUptime, at attempt 2: no zero, the backoff grows.
	s.Opened(t0)
	s.Dropped(t0.Add(time.Millisecond))
	if d := next(t, s); d != 4*time.Second {
		t.Errorf("redial after a short connection at attempt 2: delay %v, want 4s", d)
	}
	// A stable connection lost: 0 again.
	s.Opened(t0)
	s.Dropped(t0.Add(retry.DefaultMinUptime))
	if d := next(t, s); d != 0 {
		t.Errorf("first redial after a stable connection: delay %v, want 0", d)
	}

	// The server's word wins over the immediate redial: 1013 waits longer,
	// Retry-After floors it.
	for _, tc := range []struct {
		name   string
		cause  error
		lo, hi time.Duration
	}{
		{"1013", &transport.CloseError{Code: 1013}, retry.DefaultRetryLaterMin, 2 * retry.DefaultRetryLaterMin},
		{"Retry-After", &transport.HandshakeError{StatusCode: 503, RetryAfter: 3 * time.Second}, 3 * time.Second, 3 * time.Second},
	} {
		s := retry.NewSchedule(cfg)
		s.Opened(t0)
		s.Dropped(t0.Add(retry.DefaultMinUptime))
		if d, _, _ := s.Next(tc.cause, retry.Classify(tc.cause) == retry.RetryLater); d < tc.lo || d > tc.hi {
			t.Errorf("immediate first redial after %s: delay %v, want in [%v, %v]", tc.name, d, tc.lo, tc.hi)
		}
	}

	// MinUptime < 0: every lost connection's first redial is immediate.
	cfg.MinUptime = -1
	s = retry.NewSchedule(cfg)
	for range 3 {
		s.Opened(t0)
		s.Dropped(t0)
		if d := next(t, s); d != 0 {
			t.Errorf("MinUptime < 0: delay %v, want 0", d)
		}
	}

	// Reset forgets the lost connection, as a new Schedule would.
	s.Opened(t0)
	s.Reset()
	if d := next(t, s); d != time.Second {
		t.Errorf("after Reset: delay %v, want 1s", d)
	}
}
