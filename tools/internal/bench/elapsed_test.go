package bench

import (
	"math"
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

// seq is a BackOff that returns its delays in turn, then backoff.Stop; it
// counts its Resets and says nothing of its largest delay.
type seq struct {
	d      []time.Duration
	i      int
	resets int
}

func (s *seq) NextBackOff() time.Duration {
	if s.i >= len(s.d) {
		return backoff.Stop
	}
	s.i++
	return s.d[s.i-1]
}

func (s *seq) Reset() { s.i, s.resets = 0, s.resets+1 }

// DialStart takes from each delay the time since the last one ended (the
// dial's cost), down to 0; a dial that costs nothing changes nothing; a
// Reset forgets the last dial, and Stop passes through.
func TestDialStart(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	b := &seq{d: []time.Duration{time.Second, 4 * time.Second, 16 * time.Second, 8 * time.Second, 2 * time.Second}}
	d := NewDialStart(b, clk)
	steps := []struct {
		dial time.Duration // what the dial after the last delay cost
		want time.Duration
	}{
		{0, time.Second},                    // the first delay is b's own
		{0, 4 * time.Second},                // refused at once: b's own
		{10 * time.Second, 6 * time.Second}, // timed out after 10 s: 16 − 10
		{10 * time.Second, 0},               // 8 − 10, at least 0
	}
	for i, s := range steps {
		if i > 0 {
			clk.now = clk.now.Add(steps[i-1].want + s.dial)
		}
		if got := d.NextBackOff(); got != s.want {
			t.Errorf("step %d (the dial cost %v): %v, want %v", i, s.dial, got, s.want)
		}
	}
	d.Reset()
	clk.now = clk.now.Add(time.Hour) // Open an hour, then lost
	if got := d.NextBackOff(); got != time.Second || b.resets != 1 {
		t.Errorf("after Reset: %v (b reset %d times), want b's first delay, 1s", got, b.resets)
	}
	for range 4 {
		d.NextBackOff()
	}
	if got := d.NextBackOff(); got != backoff.Stop {
		t.Errorf("b stopped, DialStart returned %v", got)
	}
	if got := d.MaxDelay(); got != time.Duration(math.MaxInt64) {
		t.Errorf("MaxDelay over a BackOff that does not say: %v, want the largest Duration", got)
	}
	if got := NewDialStart(retry.NewJitter(retry.JitterConfig{Max: 7 * time.Second}), nil).MaxDelay(); got != 7*time.Second {
		t.Errorf("MaxDelay over a Jitter of Max 7s: %v", got)
	}
}

// A DialStart inside a Schedule leaves its RetryLaterMin alone when the
// BackOff under it does not say its largest delay (a MaxDelay of 0 would
// cap the 1013 floor at 0).
func TestDialStartKeepsRetryLater(t *testing.T) {
	s := retry.NewSchedule(retry.Config{
		NewBackOff:    func() backoff.BackOff { return NewDialStart(&seq{d: []time.Duration{time.Millisecond}}, &fakeClock{}) },
		RetryLaterMin: time.Minute,
		Rand:          bottom{},
	})
	if d, _, _ := s.Next(nil, true); d != time.Minute {
		t.Errorf("1013 delay %v, want the floor, 1m", d)
	}
}

// In the simulation, with no jitter and a black-holed server back at 60 s:
// the dials start 0.25 s, then 10 s apart while the envelope (0.5, 1, 2, 4,
// 8 s) is under the 10 s a dial costs: 10.25, 20.25, 30.25, 40.25, 50.25 s,
// all failed; the envelope 16 s then puts the next start at 66.25 s, 6.25 s
// after the return. Counted from the dial's end instead, they start at
// 0.25, 10.75, 21.75, 33.75 and 47.75 s (five fail), then 57.75 + 8 =
// 65.75 s, 5.75 s after the return.
func TestSimulateDialStartBlackHoled(t *testing.T) {
	nojitter := Strategies(simBase, simCap)[0]
	for _, tc := range []struct {
		st         Strategy
		dials, t99 float64
	}{
		{FromDialStart("ds", "dial start", nojitter), 6, 6.25},
		{nojitter, 5, 5.75},
	} {
		r := Simulate(SimConfig{Clients: 10, Outage: time.Minute, Kind: BlackHoled, Strategy: tc.st, Cap: simCap, Seed: 1})
		if r.Fleet.DialsPerClient != tc.dials || r.Fleet.T99 != tc.t99 || r.Back != 10 {
			t.Errorf("%s: %v failed dials per client, t99 %v s, %d back; want %v, %v s, 10", tc.st.Name, r.Fleet.DialsPerClient, r.Fleet.T99, r.Back, tc.dials, tc.t99)
		}
	}
}

// Accrued's envelope is Initial + Growth·(the sum of its own delays),
// capped at Max: top and bottom draw its ends, exactly; Reset starts it
// over.
func TestAccruedEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    retry.Rand
		// the envelopes of the first delays, and the fraction drawn
		envs  []time.Duration
		scale float64
	}{
		// 0.25, 0.25+2·0.25, 0.25+2·1, 0.25+2·3.25, 0.25+2·10, then 60.75 capped
		{"top", top{}, []time.Duration{250 * time.Millisecond, 750 * time.Millisecond, 2250 * time.Millisecond,
			6750 * time.Millisecond, 20250 * time.Millisecond, 30 * time.Second, 30 * time.Second}, 1},
		// 0.25, 0.25+2·0.075, 0.25+2·0.195
		{"bottom", bottom{}, []time.Duration{250 * time.Millisecond, 400 * time.Millisecond, 640 * time.Millisecond}, 0.3},
	} {
		a := NewAccrued(AccruedConfig{Rand: tc.r})
		for round := range 2 {
			for i, env := range tc.envs {
				want := env
				if tc.scale != 1 {
					want = time.Duration(tc.scale * float64(env))
				}
				if got := a.NextBackOff(); got != want {
					t.Errorf("%s, round %d, delay %d: %v, want %v (envelope %v)", tc.name, round, i, got, want, env)
				}
			}
			a.Reset()
		}
		if a.MaxDelay() != simCap {
			t.Errorf("MaxDelay %v, want %v", a.MaxDelay(), simCap)
		}
	}
}

// Out-of-range fields fall back to their documented defaults or clamps.
func TestAccruedConfigClamps(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  AccruedConfig
		// the first two delays drawn at the top, the first at the bottom
		top0, top1, bottom0 time.Duration
	}{
		{"negative growth stays at Initial", AccruedConfig{Initial: time.Second, Growth: -1, Floor: -1},
			time.Second, time.Second, 0},
		{"growth 0 is 2", AccruedConfig{Initial: time.Second, Floor: 1},
			time.Second, 3 * time.Second, time.Second},
		{"floor above 1 is 1; Initial above Max is Max", AccruedConfig{Initial: time.Minute, Max: 5 * time.Second, Floor: 7},
			5 * time.Second, 5 * time.Second, 5 * time.Second},
	} {
		cfg := tc.cfg
		cfg.Rand = top{}
		tp := NewAccrued(cfg)
		cfg.Rand = bottom{}
		bt := NewAccrued(cfg)
		t0, t1, b0 := tp.NextBackOff(), tp.NextBackOff(), bt.NextBackOff()
		if t0 != tc.top0 || t1 != tc.top1 || b0 != tc.bottom0 {
			t.Errorf("%s: %v, %v, %v; want %v, %v, %v", tc.name, t0, t1, b0, tc.top0, tc.top1, tc.bottom0)
		}
	}
}

// FloorCredit draws in [lo − min(c, lo), E − min(c, lo)], lo = Floor·E and
// c the dial's cost: top and bottom draw the ends, exactly. A refused dial
// (c = 0) leaves retry.Jitter's range; a Reset forgets the last dial.
func TestFloorCredit(t *testing.T) {
	steps := []struct {
		dial      time.Duration // what the dial after the last delay cost
		top, bott time.Duration
	}{
		{0, time.Second, 500 * time.Millisecond},                                   // E 1 s, floor 0.5 s: no dial yet
		{0, 2 * time.Second, time.Second},                                          // E 2 s, refused: Jitter's [1, 2]
		{300 * time.Millisecond, 3700 * time.Millisecond, 1700 * time.Millisecond}, // E 4 s, lo 2 s, credit 0.3 s
		{10 * time.Second, 4 * time.Second, 0},                                     // E 8 s, lo 4 s, all of it credited
		{10 * time.Second, 5 * time.Second, 0},                                     // E 16 s capped at Max 10 s, lo 5 s, all credited
	}
	for _, tc := range []struct {
		name string
		r    retry.Rand
		top  bool
	}{{"top", top{}, true}, {"bottom", bottom{}, false}} {
		clk := &fakeClock{now: time.Unix(1000, 0)}
		f := NewFloorCredit(retry.JitterConfig{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, Floor: 0.5, Rand: tc.r}, clk)
		var last time.Duration
		for i, s := range steps {
			clk.now = clk.now.Add(last + s.dial)
			want := s.bott
			if tc.top {
				want = s.top
			}
			if last = f.NextBackOff(); last != want {
				t.Errorf("%s, step %d (the dial cost %v): %v, want %v", tc.name, i, s.dial, last, want)
			}
		}
		f.Reset()
		clk.now = clk.now.Add(time.Hour)
		if got, want := f.NextBackOff(), steps[0].bott; !tc.top && got != want {
			t.Errorf("%s after Reset: %v, want %v", tc.name, got, want)
		}
		if f.MaxDelay() != 10*time.Second {
			t.Errorf("MaxDelay %v, want 10s", f.MaxDelay())
		}
	}
}

// With FloorAtMax the floor moves from Floor at Initial to FloorAtMax at
// Max in proportion to the envelope: drawn at the bottom, the first delay
// is Floor·Initial, the second (envelope 2 s, 1/9 of the way from 1 s to
// 10 s) (0.5 + 0.5/9)·2 s, and once the envelope is Max a FloorAtMax of 1
// leaves no jitter: Max exactly.
func TestAccruedFloorAtMax(t *testing.T) {
	a := NewAccrued(AccruedConfig{Initial: time.Second, Max: 10 * time.Second, Growth: 2, Floor: 0.5, FloorAtMax: 1, Rand: bottom{}})
	if got := a.NextBackOff(); got != 500*time.Millisecond {
		t.Errorf("first delay %v, want 500ms", got)
	}
	f := 0.5 + 0.5/9.0
	if got, want := a.NextBackOff(), time.Duration(f*float64(2*time.Second)); got != want {
		t.Errorf("second delay %v, want %v", got, want)
	}
	var last time.Duration
	for i := range 20 {
		d := a.NextBackOff()
		if d < last || d > 10*time.Second {
			t.Fatalf("delay %d: %v after %v", i+2, d, last)
		}
		last = d
	}
	if last != 10*time.Second {
		t.Errorf("at the cap: %v, want Max, 10s", last)
	}
}
