package transport

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when told.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func newFake() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func seeded() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// envelope is the documented envelope of attempt n (1-based) for defaults.
func envelope(n int) time.Duration {
	e := DefaultBackoffInitial
	for i := 1; i < n && e < DefaultBackoffMax; i++ {
		e *= 2
	}
	return min(e, DefaultBackoffMax)
}

func TestScheduleFullJitterExact(t *testing.T) {
	s := NewSchedule(BackoffConfig{}, newFake(), seeded())
	twin := seeded() // draws the same numbers the schedule should draw
	for n := 1; n <= 20; n++ {
		d, ok := s.Next(errors.New("network down"))
		if !ok {
			t.Fatalf("attempt %d refused", n)
		}
		env := envelope(n)
		want := time.Duration(twin.Int64N(int64(env) + 1))
		if d != want {
			t.Errorf("attempt %d: delay %v, want %v (uniform in [0, %v])", n, d, want, env)
		}
		if s.Attempt() != n {
			t.Errorf("Attempt() = %d, want %d", s.Attempt(), n)
		}
	}
}

func TestScheduleStaysRandomAtTheCap(t *testing.T) {
	s := NewSchedule(BackoffConfig{}, newFake(), seeded())
	for range 10 { // 250ms * 2^9 > 30 s: the cap is reached
		s.Next(nil)
	}
	lo, hi := DefaultBackoffMax, time.Duration(0)
	seen := map[time.Duration]bool{}
	for range 500 {
		d, _ := s.Next(nil)
		if d < 0 || d > DefaultBackoffMax {
			t.Fatalf("delay %v outside [0, %v]", d, DefaultBackoffMax)
		}
		lo, hi = min(lo, d), max(hi, d)
		seen[d] = true
	}
	if lo > DefaultBackoffMax/10 || hi < DefaultBackoffMax*9/10 || len(seen) < 490 {
		t.Errorf("delays at the cap span [%v, %v] with %d distinct values: want spread over [0, 30s]", lo, hi, len(seen))
	}
}

func TestScheduleResetsOnlyAfterMinUptime(t *testing.T) {
	clk := newFake()
	s := NewSchedule(BackoffConfig{Initial: time.Second, Max: time.Minute}, clk, seeded())
	for range 4 {
		s.Next(nil)
	}
	// Up 9.999 s: too short, the schedule keeps climbing.
	s.Opened()
	clk.Advance(DefaultMinUptime - time.Millisecond)
	s.Dropped()
	if s.Attempt() != 4 {
		t.Fatalf("short connection reset the schedule: Attempt() = %d, want 4", s.Attempt())
	}
	d, _ := s.Next(nil)
	if s.Attempt() != 5 || d > 16*time.Second {
		t.Errorf("after a short connection: attempt %d delay %v, want attempt 5 within [0, 16s]", s.Attempt(), d)
	}
	// Up exactly MinUptime: reset, envelope back to Initial.
	s.Opened()
	clk.Advance(DefaultMinUptime)
	s.Dropped()
	if s.Attempt() != 0 {
		t.Fatalf("stable connection did not reset: Attempt() = %d", s.Attempt())
	}
	for range 50 {
		s.Reset()
		if d, _ := s.Next(nil); d > time.Second {
			t.Fatalf("first delay after reset %v > Initial 1s", d)
		}
	}
	// Dropped without Opened changes nothing.
	s.Next(nil)
	clk.Advance(time.Hour)
	s.Dropped()
	if s.Attempt() != 2 {
		t.Errorf("Dropped without Opened reset the schedule")
	}
}

func TestScheduleNegativeMinUptimeResetsOnOpen(t *testing.T) {
	s := NewSchedule(BackoffConfig{MinUptime: -1}, newFake(), seeded())
	s.Next(nil)
	s.Next(nil)
	s.Opened()
	if s.Attempt() != 0 {
		t.Errorf("Attempt() = %d after Opened with MinUptime < 0, want 0", s.Attempt())
	}
}

func TestScheduleRetryAfterFloor(t *testing.T) {
	for _, tc := range []struct {
		retryAfter, maxRetryAfter, want time.Duration
	}{
		{2 * time.Second, 0, 2 * time.Second},
		{time.Hour, 0, DefaultMaxRetryAfter},
		{time.Hour, 10 * time.Second, 10 * time.Second},
	} {
		s := NewSchedule(BackoffConfig{MaxRetryAfter: tc.maxRetryAfter}, newFake(), seeded())
		d, ok := s.Next(&HandshakeError{StatusCode: 503, RetryAfter: tc.retryAfter})
		if !ok || d != tc.want {
			t.Errorf("Retry-After %v (max %v): delay %v, want %v", tc.retryAfter, tc.maxRetryAfter, d, tc.want)
		}
	}
	// A floor below the jittered delay does not shorten it.
	s := NewSchedule(BackoffConfig{}, newFake(), seeded())
	twin := seeded()
	for n := 1; n <= 12; n++ {
		d, _ := s.Next(&HandshakeError{StatusCode: 429, RetryAfter: time.Millisecond})
		want := max(time.Duration(twin.Int64N(int64(envelope(n))+1)), time.Millisecond)
		if d != want {
			t.Errorf("attempt %d: delay %v, want %v", n, d, want)
		}
	}
}

func TestScheduleTryAgainLaterWaitsLonger(t *testing.T) {
	s := NewSchedule(BackoffConfig{}, newFake(), seeded())
	for n := 1; n <= 12; n++ {
		d, _ := s.Next(&CloseError{Code: 1013})
		l := max(envelope(n), DefaultRetryLaterMin)
		if d < l || d > 2*l {
			t.Errorf("attempt %d after 1013: delay %v, want in [%v, %v]", n, d, l, 2*l)
		}
	}
	// RetryLaterMin is capped at Max.
	s = NewSchedule(BackoffConfig{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}, newFake(), seeded())
	if d, _ := s.Next(&CloseError{Code: 1013}); d < 100*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("1013 with Max 100ms: delay %v, want in [100ms, 200ms]", d)
	}
}

// NextLater gives any cause the longer wait of 1013: for an application's
// RetryLater verdict on, say, its own close code 4000.
func TestScheduleNextLater(t *testing.T) {
	s := NewSchedule(BackoffConfig{}, newFake(), seeded())
	for n := 1; n <= 12; n++ {
		d, ok := s.NextLater(&CloseError{Code: 4000})
		l := max(envelope(n), DefaultRetryLaterMin)
		if !ok || d < l || d > 2*l {
			t.Errorf("attempt %d: delay %v, want in [%v, %v]", n, d, l, 2*l)
		}
	}
}

func TestScheduleMaxAttempts(t *testing.T) {
	s := NewSchedule(BackoffConfig{MaxAttempts: 3}, newFake(), seeded())
	for n := 1; n <= 3; n++ {
		if _, ok := s.Next(nil); !ok {
			t.Fatalf("attempt %d refused with MaxAttempts 3", n)
		}
	}
	if _, ok := s.Next(nil); ok {
		t.Fatal("attempt 4 allowed with MaxAttempts 3")
	}
	s.Reset()
	if _, ok := s.Next(nil); !ok {
		t.Error("attempt refused after Reset")
	}
}

func TestScheduleNeverStopsByDefault(t *testing.T) {
	clk := newFake()
	s := NewSchedule(BackoffConfig{}, clk, seeded())
	start := clk.Now()
	for n := range 2000 {
		d, ok := s.Next(errors.New("down"))
		if !ok {
			t.Fatalf("schedule stopped at attempt %d after %v of virtual time", n+1, clk.Now().Sub(start))
		}
		clk.Advance(d + 50*time.Millisecond) // the wait plus a failing dial
	}
	if elapsed := clk.Now().Sub(start); elapsed < 15*time.Minute {
		t.Fatalf("only %v of virtual time passed; the test must go beyond backoff/v4's 15 min", elapsed)
	}
}

func TestScheduleMaxElapsed(t *testing.T) {
	clk := newFake()
	s := NewSchedule(BackoffConfig{Initial: time.Second, Max: 10 * time.Second, MaxElapsed: time.Minute}, clk, seeded())
	start := clk.Now()
	for {
		d, ok := s.Next(nil)
		if !ok {
			break
		}
		clk.Advance(d + time.Second)
		if clk.Now().Sub(start) > 2*time.Minute {
			t.Fatal("MaxElapsed 1m never stopped the schedule")
		}
	}
	// Refused only once elapsed + next envelope (10 s) passes 1 min.
	if elapsed := clk.Now().Sub(start); elapsed <= 50*time.Second {
		t.Errorf("stopped after %v, want > 50s", elapsed)
	}
}

func TestScheduleFirstDelayZero(t *testing.T) {
	s := NewSchedule(BackoffConfig{FirstDelayZero: true}, newFake(), seeded())
	if d, _ := s.Next(nil); d != 0 {
		t.Errorf("first delay %v, want 0", d)
	}
	if d, _ := s.Next(nil); d > 2*DefaultBackoffInitial {
		t.Errorf("second delay %v, want within [0, %v]", d, 2*DefaultBackoffInitial)
	}
}
