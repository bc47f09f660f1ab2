package bench

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/retry"
)

// top always draws the largest value, bottom the smallest: a strategy then
// returns the top or the bottom of its range, exactly.
type top struct{}

func (top) Int64N(n int64) int64 { return n - 1 }

type bottom struct{}

func (bottom) Int64N(int64) int64 { return 0 }

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// The envelope is Initial + Growth·(time since the first NextBackOff after
// a Reset), capped at Max; top and bottom draw its ends, exactly.
func TestElapsedEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      retry.Rand
		scale  float64 // the drawn delay ÷ the envelope
		floorR float64 // the same once the envelope is Max
	}{{"top", top{}, 1, 1}, {"bottom", bottom{}, 0.3, 0.3}} {
		clk := &fakeClock{now: time.Unix(1000, 0)}
		e := NewElapsed(ElapsedConfig{Clock: clk, Rand: tc.r})
		want := func(env time.Duration) time.Duration {
			if tc.scale == 1 {
				return env
			}
			return time.Duration(0.3 * float64(env))
		}
		steps := []struct {
			advance time.Duration
			env     time.Duration
		}{
			{0, 250 * time.Millisecond},                 // the outage starts: Initial
			{time.Second, 2250 * time.Millisecond},      // 0.25 + 2·1
			{9 * time.Second, 20250 * time.Millisecond}, // 0.25 + 2·10 (a 10 s dial counts)
			{5 * time.Second, 30 * time.Second},         // 30.25 capped at Max
			{time.Hour, 30 * time.Second},               // still random under Max
		}
		for i, s := range steps {
			clk.now = clk.now.Add(s.advance)
			if got := e.NextBackOff(); got != want(s.env) {
				t.Errorf("%s, step %d: %v, want %v (envelope %v)", tc.name, i, got, want(s.env), s.env)
			}
		}
		e.Reset()
		clk.now = clk.now.Add(time.Minute)
		if got := e.NextBackOff(); got != want(250*time.Millisecond) {
			t.Errorf("%s after Reset: %v, want the outage to start over at %v", tc.name, got, want(250*time.Millisecond))
		}
		if e.MaxDelay() != simCap {
			t.Errorf("MaxDelay %v, want %v", e.MaxDelay(), simCap)
		}
	}
}

// Out-of-range fields fall back to their documented defaults or clamps.
func TestElapsedConfigClamps(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	for _, tc := range []struct {
		name string
		cfg  ElapsedConfig
		// the first delay drawn at the top and at the bottom, then the
		// top after 1 s
		top0, bottom0, top1 time.Duration
	}{
		{"negative growth stays at Initial", ElapsedConfig{Initial: time.Second, Growth: -1, Floor: -1},
			time.Second, 0, time.Second},
		{"growth 0 is 2", ElapsedConfig{Initial: time.Second, Floor: 1},
			time.Second, time.Second, 3 * time.Second},
		{"floor above 1 is 1; Initial above Max is Max", ElapsedConfig{Initial: time.Minute, Max: 5 * time.Second, Floor: 7},
			5 * time.Second, 5 * time.Second, 5 * time.Second},
	} {
		cfg := tc.cfg
		cfg.Clock = clk
		cfg.Rand = top{}
		tp := NewElapsed(cfg)
		cfg.Rand = bottom{}
		bt := NewElapsed(cfg)
		t0, b0 := tp.NextBackOff(), bt.NextBackOff()
		clk.now = clk.now.Add(time.Second)
		t1 := tp.NextBackOff()
		if t0 != tc.top0 || b0 != tc.bottom0 || t1 != tc.top1 {
			t.Errorf("%s: %v, %v, %v; want %v, %v, %v", tc.name, t0, b0, t1, tc.top0, tc.bottom0, tc.top1)
		}
	}
}

// On the system clock, in a synctest bubble: a dial that costs 10 s (a
// black-holed server) makes the next envelope larger than the delays alone
// would.
func TestElapsedOnTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewElapsed(ElapsedConfig{Rand: top{}, Clock: backoff.SystemClock})
		d := e.NextBackOff()
		time.Sleep(d + 10*time.Second) // the delay, then a dial that times out
		if got, want := e.NextBackOff(), 250*time.Millisecond+2*(d+10*time.Second); got != want {
			t.Errorf("after %v of outage: %v, want %v", d+10*time.Second, got, want)
		}
	})
}

// A Schedule caps the 1013 floor at an Elapsed's Max, as for every Bounded
// strategy.
func TestElapsedBoundsRetryLater(t *testing.T) {
	s := retry.NewSchedule(retry.Config{
		NewBackOff:    func() backoff.BackOff { return NewElapsed(ElapsedConfig{Max: time.Second, Rand: top{}}) },
		RetryLaterMin: time.Minute,
		Rand:          top{},
	})
	if d, _, _ := s.Next(nil, true); d > 2*time.Second {
		t.Errorf("1013 delay %v above 2·Max", d)
	}
}
