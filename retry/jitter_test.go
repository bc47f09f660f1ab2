package retry_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/retry"
)

func seeded() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// top always draws the largest value, bottom the smallest: a Jitter then
// returns the top or the bottom of its range, exactly.
type top struct{}

func (top) Int64N(n int64) int64 { return n - 1 }

type bottom struct{}

func (bottom) Int64N(int64) int64 { return 0 }

// envelope is min(ceiling, base·2^n), n from 0.
func envelope(base, ceiling time.Duration, n int) time.Duration {
	e := base
	for range n {
		if e >= ceiling {
			break
		}
		e *= 2
	}
	return min(e, ceiling)
}

// Each strategy stays within its published bounds, delay after delay, with
// a seeded source.
func TestStrategyBounds(t *testing.T) {
	const base, ceiling = 100 * time.Millisecond, 10 * time.Second
	for _, tc := range []struct {
		name   string
		b      backoff.BackOff
		lo, hi func(n int) time.Duration
	}{
		{"Exponential", retry.Exponential(base, ceiling),
			func(n int) time.Duration { return envelope(base, ceiling, n) },
			func(n int) time.Duration { return envelope(base, ceiling, n) }},
		{"FullJitter", retry.FullJitter(base, ceiling, seeded()),
			func(int) time.Duration { return 0 },
			func(n int) time.Duration { return envelope(base, ceiling, n) }},
		{"EqualJitter", retry.EqualJitter(base, ceiling, seeded()),
			func(n int) time.Duration { return envelope(base, ceiling, n) / 2 },
			func(n int) time.Duration { return envelope(base, ceiling, n) }},
		{"NewJitter floor 0.1 ×3", retry.NewJitter(retry.JitterConfig{Initial: base, Max: ceiling, Multiplier: 3, Floor: 0.1, Rand: seeded()}),
			func(n int) time.Duration {
				return time.Duration(0.1 * float64(min(ceiling, base*time.Duration(math.Pow(3, float64(min(n, 10)))))))
			},
			func(n int) time.Duration { return min(ceiling, base*time.Duration(math.Pow(3, float64(min(n, 10))))) }},
	} {
		for round := range 3 { // Reset starts the bounds over
			for n := range 40 {
				d := tc.b.NextBackOff()
				if lo, hi := tc.lo(n), tc.hi(n); d < lo || d > hi {
					t.Errorf("%s round %d delay %d: %v, want in [%v, %v]", tc.name, round, n, d, lo, hi)
				}
			}
			tc.b.Reset()
		}
	}

	d := retry.DecorrelatedJitter(base, ceiling, seeded())
	for round := range 3 {
		prev := base
		for n := range 40 {
			got := d.NextBackOff()
			if got < base || got > min(ceiling, 3*prev) {
				t.Errorf("DecorrelatedJitter round %d delay %d: %v, want in [%v, %v]", round, n, got, base, min(ceiling, 3*prev))
			}
			prev = got
		}
		d.Reset()
	}
}

// The draws are exactly those the formulas give with the same seeded
// source: uniform to the nanosecond, both ends included.
func TestStrategyDrawsExact(t *testing.T) {
	const base, ceiling = 250 * time.Millisecond, 30 * time.Second
	full, twin := retry.FullJitter(base, ceiling, seeded()), seeded()
	for n := range 20 {
		e := envelope(base, ceiling, n)
		if got, want := full.NextBackOff(), time.Duration(twin.Int64N(int64(e)+1)); got != want {
			t.Errorf("FullJitter delay %d: %v, want %v", n, got, want)
		}
	}
	equal, twin := retry.EqualJitter(base, ceiling, seeded()), seeded()
	for n := range 20 {
		e := envelope(base, ceiling, n)
		if got, want := equal.NextBackOff(), e/2+time.Duration(twin.Int64N(int64(e-e/2)+1)); got != want {
			t.Errorf("EqualJitter delay %d: %v, want %v", n, got, want)
		}
	}
	dec, twin := retry.DecorrelatedJitter(base, ceiling, seeded()), seeded()
	sleep := base
	for n := range 20 {
		sleep = min(ceiling, base+time.Duration(twin.Int64N(int64(3*sleep-base)+1)))
		if got := dec.NextBackOff(); got != sleep {
			t.Errorf("DecorrelatedJitter delay %d: %v, want %v", n, got, sleep)
		}
	}
}

// The zero JitterConfig is the documented default: envelope 250 ms ×3 up to
// 30 s, delays in [0.3·E, E]. The top and bottom sources show both ends
// exactly.
func TestJitterDefaults(t *testing.T) {
	want := []time.Duration{250 * time.Millisecond, 750 * time.Millisecond, 2250 * time.Millisecond, 6750 * time.Millisecond,
		20250 * time.Millisecond, 30 * time.Second, 30 * time.Second}
	j := retry.NewJitter(retry.JitterConfig{Rand: top{}})
	for n, w := range want {
		if got := j.NextBackOff(); got != w {
			t.Errorf("default envelope %d: %v, want %v", n, got, w)
		}
	}
	if j.MaxDelay() != retry.DefaultMax {
		t.Errorf("MaxDelay() = %v, want %v", j.MaxDelay(), retry.DefaultMax)
	}
	j = retry.NewJitter(retry.JitterConfig{Rand: bottom{}})
	for n, w := range want {
		if got, lo := j.NextBackOff(), time.Duration(retry.DefaultFloor*float64(w)); got != lo {
			t.Errorf("default floor, delay %d: %v, want %v", n, got, lo)
		}
	}
	if nd, ok := retry.NewDefault().(*retry.Jitter); !ok || nd.MaxDelay() != retry.DefaultMax {
		t.Errorf("NewDefault() = %T, want the default *Jitter", retry.NewDefault())
	}
	if retry.DefaultMultiplier != 3 || retry.DefaultFloor != 0.3 {
		t.Errorf("defaults ×%v, floor %v: docs/BENCHMARKS.md chose ×3 and 0.3 from the fleet figures", retry.DefaultMultiplier, retry.DefaultFloor)
	}
}

// Out-of-range settings mean the documented defaults or bounds.
func TestJitterConfigClamps(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  retry.JitterConfig
		want []time.Duration // with the top source, then with the bottom one
		low  []time.Duration
	}{
		{"Initial above Max", retry.JitterConfig{Initial: time.Minute, Max: time.Second, Floor: -1},
			[]time.Duration{time.Second, time.Second}, []time.Duration{0, 0}},
		{"Multiplier below 1", retry.JitterConfig{Initial: time.Second, Multiplier: 0.5, Floor: -1},
			[]time.Duration{time.Second, 3 * time.Second}, []time.Duration{0, 0}},
		{"Multiplier NaN", retry.JitterConfig{Initial: time.Second, Multiplier: math.NaN(), Floor: -1},
			[]time.Duration{time.Second, 3 * time.Second}, []time.Duration{0, 0}},
		{"Multiplier 1", retry.JitterConfig{Initial: time.Second, Multiplier: 1, Floor: -1},
			[]time.Duration{time.Second, time.Second}, []time.Duration{0, 0}},
		{"Multiplier 1.5 truncates", retry.JitterConfig{Initial: 3, Multiplier: 1.5, Floor: -1},
			[]time.Duration{3, 4, 6, 9}, []time.Duration{0, 0, 0, 0}},
		{"Floor above 1", retry.JitterConfig{Initial: time.Second, Multiplier: 2, Floor: 7},
			[]time.Duration{time.Second, 2 * time.Second}, []time.Duration{time.Second, 2 * time.Second}},
		{"Floor negative: none", retry.JitterConfig{Initial: time.Second, Multiplier: 2, Floor: -1},
			[]time.Duration{time.Second, 2 * time.Second}, []time.Duration{0, 0}},
		{"Floor 0: the default", retry.JitterConfig{Initial: time.Second, Multiplier: 2},
			[]time.Duration{time.Second, 2 * time.Second}, []time.Duration{300 * time.Millisecond, 600 * time.Millisecond}},
		{"Floor NaN: the default", retry.JitterConfig{Initial: time.Second, Multiplier: 2, Floor: math.NaN()},
			[]time.Duration{time.Second, 2 * time.Second}, []time.Duration{300 * time.Millisecond, 600 * time.Millisecond}},
		{"Floor 0.25", retry.JitterConfig{Initial: time.Second, Multiplier: 2, Floor: 0.25},
			[]time.Duration{time.Second, 2 * time.Second}, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{"negative durations", retry.JitterConfig{Initial: -1, Max: -1, Floor: -1},
			[]time.Duration{retry.DefaultInitial, 3 * retry.DefaultInitial}, []time.Duration{0, 0}},
	} {
		for _, side := range []struct {
			r    retry.Rand
			want []time.Duration
		}{{top{}, tc.want}, {bottom{}, tc.low}} {
			cfg := tc.cfg
			cfg.Rand = side.r
			j := retry.NewJitter(cfg)
			for n, w := range side.want {
				if got := j.NextBackOff(); got != w {
					t.Errorf("%s, %T source, delay %d: %v, want %v", tc.name, side.r, n, got, w)
				}
			}
		}
	}
	d := retry.DecorrelatedJitter(time.Minute, time.Second, top{})
	if got := d.NextBackOff(); got != time.Second || d.MaxDelay() != time.Second {
		t.Errorf("DecorrelatedJitter base above ceiling: %v (MaxDelay %v), want 1s", got, d.MaxDelay())
	}
	d = retry.DecorrelatedJitter(0, 0, bottom{})
	if got := d.NextBackOff(); got != retry.DefaultInitial || d.MaxDelay() != retry.DefaultMax {
		t.Errorf("DecorrelatedJitter(0, 0): %v (MaxDelay %v), want %v and %v", got, d.MaxDelay(), retry.DefaultInitial, retry.DefaultMax)
	}
}

// At the cap, full jitter stays random: 10,000 draws average cap/2 with the
// variance of a uniform law, and cover the whole range. Equal jitter
// averages 3/4 of it. Decorrelated jitter returns the ceiling itself for
// over a third of its delays.
func TestStrategiesAtTheCap(t *testing.T) {
	const ceiling = 30 * time.Second
	const draws = 10000
	stats := func(b backoff.BackOff) (mean, sd float64, atCap int, lo, hi time.Duration) {
		for range 20 { // well past the cap
			b.NextBackOff()
		}
		lo = math.MaxInt64
		var sum, sum2 float64
		for range draws {
			d := b.NextBackOff()
			x := float64(d) / float64(ceiling)
			sum += x
			sum2 += x * x
			if d == ceiling {
				atCap++
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		mean = sum / draws
		return mean, math.Sqrt(sum2/draws - mean*mean), atCap, lo, hi
	}

	mean, sd, atCap, lo, hi := stats(retry.FullJitter(time.Second, ceiling, seeded()))
	// The mean of 10,000 uniform draws has a standard error of 0.29/100:
	// 0.01 is over three of them.
	if math.Abs(mean-0.5) > 0.01 || math.Abs(sd-1/math.Sqrt(12)) > 0.01 {
		t.Errorf("full jitter at the cap: mean %.4f·cap, sd %.4f·cap; want 0.5 and %.4f", mean, sd, 1/math.Sqrt(12))
	}
	if lo > ceiling/100 || hi < ceiling*99/100 || atCap > 1 {
		t.Errorf("full jitter at the cap spans [%v, %v] and hit the cap %d times: want all of [0, %v]", lo, hi, atCap, ceiling)
	}

	mean, _, _, lo, _ = stats(retry.EqualJitter(time.Second, ceiling, seeded()))
	if math.Abs(mean-0.75) > 0.01 || lo < ceiling/2 {
		t.Errorf("equal jitter at the cap: mean %.4f·cap, min %v; want 0.75 and >= %v", mean, lo, ceiling/2)
	}

	mean, _, atCap, _, _ = stats(retry.NewJitter(retry.JitterConfig{Initial: time.Second, Max: ceiling, Floor: 0.2, Rand: seeded()}))
	if math.Abs(mean-0.6) > 0.01 || atCap > 1 {
		t.Errorf("jitter with floor 0.2 at the cap: mean %.4f·cap, %d at the cap; want 0.6 and random", mean, atCap)
	}

	_, _, atCap, _, _ = stats(retry.DecorrelatedJitter(time.Second, ceiling, seeded()))
	// From sleep = cap, 2/3 of the draws exceed the cap; a lower draw lowers
	// the next range. Measured in the long run: 0.38.
	if p := float64(atCap) / draws; p < 0.3 || p > 0.45 {
		t.Errorf("decorrelated jitter at the cap: %.3f of the delays are the cap, want about 0.38", p)
	}
}

// No strategy ever stops by itself, nor overflows, however long it runs and
// however large its cap.
func TestStrategiesNeverStop(t *testing.T) {
	const huge = time.Duration(math.MaxInt64)
	for _, tc := range []struct {
		name string
		b    retry.Bounded
	}{
		{"default", retry.NewDefault().(retry.Bounded)},
		{"Exponential huge", retry.Exponential(time.Second, huge)},
		{"FullJitter huge", retry.FullJitter(time.Second, huge, seeded())},
		{"FullJitter huge, top", retry.FullJitter(time.Second, huge, top{})},
		{"EqualJitter huge", retry.EqualJitter(time.Second, huge, seeded())},
		{"Decorrelated huge", retry.DecorrelatedJitter(time.Second, huge, seeded())},
		{"Decorrelated huge, top", retry.DecorrelatedJitter(time.Second, huge, top{})},
		{"×10 huge", retry.NewJitter(retry.JitterConfig{Initial: time.Hour, Max: huge, Multiplier: 10, Rand: top{}})},
	} {
		for n := range 5000 {
			if d := tc.b.NextBackOff(); d < 0 || d > tc.b.MaxDelay() {
				t.Fatalf("%s: delay %d is %v, want in [0, %v] (backoff.Stop is %v)", tc.name, n, d, tc.b.MaxDelay(), backoff.Stop)
			}
		}
	}
}
