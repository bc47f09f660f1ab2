package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
)

// delays draws n delays from the BackOff that opts.Backoff makes.
func delays(t *testing.T, opts wsfsm.Options, n int) []time.Duration {
	t.Helper()
	if opts.Backoff == nil {
		t.Fatal("no Backoff plugged")
	}
	b := opts.Backoff()
	var ds []time.Duration
	for range n {
		ds = append(ds, b.NextBackOff())
	}
	return ds
}

// Every client of a storm runs the row's strategy through Options.Backoff,
// from a source of its own seeded by the round and the client: a round is
// repeatable, clients differ, rounds differ, and the other options stay.
func TestStormClientOptionsPlugTheStrategy(t *testing.T) {
	base, ceiling := 250*time.Millisecond, 2*time.Second
	for _, st := range Strategies(base, ceiling) {
		cfg := stormConfig{strategy: st, seed: 1, opts: wsfsm.Options{CloseTimeout: time.Second}}
		a, again := delays(t, cfg.clientOptions(3), 8), delays(t, cfg.clientOptions(3), 8)
		if !slices.Equal(a, again) {
			t.Errorf("%s: client 3 drew %v, then %v", st.Key, a, again)
		}
		if o := cfg.clientOptions(3); o.CloseTimeout != time.Second {
			t.Errorf("%s: the storm's options were lost: %+v", st.Key, o)
		}
		for _, d := range a {
			if d < 0 || d > ceiling {
				t.Errorf("%s: delay %v outside [0, %v]", st.Key, d, ceiling)
			}
		}
		if st.Key == KeyNoJitter {
			continue // no draw: every client alike
		}
		other := delays(t, cfg.clientOptions(4), 8)
		cfg.seed = 2
		nextRound := delays(t, cfg.clientOptions(3), 8)
		if slices.Equal(a, other) || slices.Equal(a, nextRound) {
			t.Errorf("%s: client 3 %v, client 4 %v, client 3 in round 2 %v: not independent", st.Key, a, other, nextRound)
		}
	}
	// The default strategy's envelope: no delay below the floor.
	cfg := stormConfig{strategy: DefaultStrategy(base, ceiling), seed: 1}
	for i, d := range delays(t, cfg.clientOptions(0), 3) {
		env := min(ceiling, base*time.Duration([]int{1, 3, 9}[i]))
		if lo := time.Duration(0.3 * float64(env)); d < lo || d > env {
			t.Errorf("delay %d: %v outside [%v, %v]", i, d, lo, env)
		}
	}
	if o := (&stormConfig{}).clientOptions(0); o.Backoff != nil {
		t.Error("no strategy, yet a Backoff was plugged")
	}
}

func TestMedianRound(t *testing.T) {
	rs := []stormRound{{recover: 3 * time.Second}, {recover: time.Second}, {recover: 2 * time.Second}}
	if got := medianRound(rs); got.recover != 2*time.Second {
		t.Errorf("median round recovered in %v, want 2s", got.recover)
	}
	if rs[0].recover != 3*time.Second {
		t.Error("medianRound reordered its argument")
	}
}
