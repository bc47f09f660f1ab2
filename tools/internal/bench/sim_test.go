package bench

import (
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/retry"
)

// Without jitter every client replays the same envelope: 250 ms, 500 ms,
// 1 s, ... 16 s, so dials at 0.25, 0.75, 1.75, 3.75, 7.75 and 15.75 s fail
// and all succeed together at 31.75 s.
func TestSimulateNoJitterExact(t *testing.T) {
	const n = 1000
	r := Simulate(SimConfig{Clients: n, Outage: 30 * time.Second, Strategy: Strategies(simBase, simCap)[0], Cap: simCap, Seed: 1})
	if r.OutageDials != 6*n || r.Dials != 7*n || r.Back != n {
		t.Errorf("%d dials during the outage, %d in all, %d back; want %d, %d, %d", r.OutageDials, r.Dials, r.Back, 6*n, 7*n, n)
	}
	for _, i := range []int{2, 7, 17, 37, 77, 157, 317} {
		if r.Buckets[i] != n {
			t.Errorf("bucket %d holds %d dials, want all %d", i, r.Buckets[i], n)
		}
	}
	// All n in one window, against n/30 per second evenly spread: 30.
	want := Fleet{DialsPerClient: 6, PeakRatio: 30, T99: 1.75, T100: 1.75}
	if math.Abs(r.Fleet.PeakRatio-want.PeakRatio) > 1e-9 || r.Fleet.DialsPerClient != 6 || r.Fleet.T99 != want.T99 || r.Fleet.T100 != want.T100 {
		t.Errorf("fleet %+v, want %+v", r.Fleet, want)
	}
	// History: one full bucket among the 18 from the return to the last Open.
	if r.PeakOverMean != 18 {
		t.Errorf("peak over mean %v, want 18", r.PeakOverMean)
	}
}

// Full jitter under a constant envelope E is a renewal process with
// uniform gaps on [0, E], which has closed forms for t <= E (time in units
// of E): the expected number of dials in (0, t] is M(t) = e^t - 1, and
// after a return at T <= 1 the first dials arrive with density e^T on
// [T, 1] and e^T - e^(s-1) on [1, 1+T]. So with T = 1/2: 0.6487 failed
// dials per client, a flat peak of e^0.5 = 1.6487 times N/E, everyone back
// within E of the return, and 99% back at the s where the mass left,
// e^T(1+T-s) - (e^T - e^(s-1)), falls to 0.01.
func TestSimulateUniformRenewalClosedForm(t *testing.T) {
	const n = 200_000
	const e = 10 * time.Second
	st := JitterStrategy("u", "uniform", retry.JitterConfig{Initial: e, Max: e, Multiplier: 1, Floor: -1})
	r := Simulate(SimConfig{Clients: n, Outage: e / 2, Strategy: st, Cap: e, Seed: 1})
	T := 0.5
	t.Logf("dials %.4f (e^0.5-1 = %.4f), peak %.4f (e^0.5 = %.4f), 99%% %.3f s, 100%% %.3f s",
		r.Fleet.DialsPerClient, math.Exp(T)-1, r.Fleet.PeakRatio, math.Exp(T), r.Fleet.T99, r.Fleet.T100)
	if got, want := r.Fleet.DialsPerClient, math.Exp(T)-1; math.Abs(got-want) > 0.01*want {
		t.Errorf("dials per client during the outage %.4f, want e^0.5 - 1 = %.4f", got, want)
	}
	// A window's count has a relative sd of 0.55% here; the largest of
	// the ~40 windows on the flat part sits about 2 sd above.
	if got, want := r.Fleet.PeakRatio, math.Exp(T); got < want*0.99 || got > want*1.03 {
		t.Errorf("peak ratio %.4f, want e^0.5 = %.4f", got, want)
	}
	if r.Fleet.T100 > e.Seconds() || r.Fleet.T100 < 0.99*e.Seconds() {
		t.Errorf("everyone back %.3f s after the return, want just under %v", r.Fleet.T100, e)
	}
	left := func(s float64) float64 { return math.Exp(T)*(1+T-s) - (math.Exp(T) - math.Exp(s-1)) }
	lo, hi := 1.0, 1+T
	for range 60 {
		mid := (lo + hi) / 2
		if left(mid) > 0.01 {
			lo = mid
		} else {
			hi = mid
		}
	}
	t.Logf("99%% back in closed form: %.3f s", (lo-T)*e.Seconds())
	if got, want := r.Fleet.T99, (lo-T)*e.Seconds(); math.Abs(got-want) > 0.01*want {
		t.Errorf("99%% back %.3f s after the return, want %.3f", got, want)
	}
}

// A server that answers 503 while away, with Retry-After = the seconds
// until its return + 0..W, sends every client away after one dial: with no
// jitter, the first dial at 0.25 s hears 30 s + k, k uniform in 0..9, so
// the clients return at 30.25 + k s, a tenth of them each second.
func TestSimulateRetryAfterWindow(t *testing.T) {
	const n = 100_000
	const w = 9 * time.Second
	r := Simulate(SimConfig{Clients: n, Outage: 30 * time.Second, Strategy: Strategies(simBase, simCap)[0], Cap: simCap,
		RetryAfterWindow: w, Seed: 1})
	if r.Fleet.DialsPerClient != 1 || r.Back != n {
		t.Errorf("%.3f dials per client during the outage, %d back; want 1 and %d", r.Fleet.DialsPerClient, r.Back, n)
	}
	if r.Fleet.T100 != 9.25 || r.Fleet.T99 != 9.25 {
		t.Errorf("99%% back after %.3f s, all after %.3f s; want 9.25 and 9.25", r.Fleet.T99, r.Fleet.T100)
	}
	// A window holds one second's tenth of the clients: 30/10 times N/cap,
	// with a relative sd of 1% and the largest of 10 taken.
	if got := r.Fleet.PeakRatio; got < 3 || got > 3*1.04 {
		t.Errorf("peak ratio %.4f, want 3 (cap / (W + 1 s))", got)
	}
	for k := range 10 {
		i := int((30*time.Second + 250*time.Millisecond + time.Duration(k)*time.Second) / Bucket)
		if b := r.Buckets[i]; b < n/10*9/10 || b > n/10*11/10 {
			t.Errorf("bucket of 30.25+%d s holds %d dials, want about %d", k, b, n/10)
		}
	}
}

// The same seed gives the same result whatever the number of CPUs, and
// another seed a different one.
func TestSimulateReproducible(t *testing.T) {
	cfg := SimConfig{Clients: 3*simBlock + 17, Outage: 30 * time.Second, Strategy: DefaultStrategy(simBase, simCap), Cap: simCap, Seed: 5}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one := Simulate(cfg)
	runtime.GOMAXPROCS(4)
	four := Simulate(cfg)
	if !reflect.DeepEqual(one, four) {
		t.Errorf("1 CPU and 4 CPUs differ: %+v and %+v", one.Fleet, four.Fleet)
	}
	sum := 0
	for _, b := range one.Buckets {
		sum += b
	}
	if sum != one.Dials || one.Back != cfg.Clients || one.Dials < cfg.Clients {
		t.Errorf("buckets hold %d dials, Dials %d, back %d of %d", sum, one.Dials, one.Back, cfg.Clients)
	}
	cfg.Seed = 6
	if other := Simulate(cfg); reflect.DeepEqual(one.Buckets, other.Buckets) {
		t.Error("seeds 5 and 6 give the same dials")
	}
}

// A budget makes clients give up: they stop dialing and are not back.
func TestSimulateGivingUp(t *testing.T) {
	st := Strategy{Key: "b", Name: "budget", New: func(r retry.Rand, _ backoff.Clock) backoff.BackOff {
		return backoff.WithMaxRetries(retry.FullJitter(time.Second, time.Second, r), 3)
	}}
	r := Simulate(SimConfig{Clients: 100, Outage: time.Hour, Strategy: st, Cap: time.Second, Seed: 1})
	if r.Dials != 300 || r.Back != 0 || !math.IsNaN(r.Fleet.T99) || !math.IsNaN(r.Fleet.T100) || !math.IsNaN(r.Fleet.PeakRatio) {
		t.Errorf("%d dials, %d back, fleet %+v; want 300 dials, nobody back, no figures after the return", r.Dials, r.Back, r.Fleet)
	}
}

func TestPeakRatio(t *testing.T) {
	// 100 clients, cap 10 s: 10 per PeakWindow when evenly spread.
	after := make([]int, 30)
	after[3], after[5], after[12] = 10, 20, 5
	if got := peakRatio(after, 100, 10*time.Second); got != 3.5 { // buckets 3..12 hold 35
		t.Errorf("peakRatio = %v, want 3.5", got)
	}
	if !math.IsNaN(peakRatio(nil, 100, time.Second)) || !math.IsNaN(peakRatio(after, 0, time.Second)) {
		t.Error("no dials or no clients is not NaN")
	}
}

func TestOpenQuantile(t *testing.T) {
	opens := []int{0, 50, 0, 49, 1} // 100 clients: ms 1, 3 and 4
	for q, want := range map[float64]float64{0.5: 0.002, 0.99: 0.004, 1: 0.005} {
		if got := openQuantile(opens, 100, q); got != want {
			t.Errorf("q %v: %v, want %v", q, got, want)
		}
	}
	if !math.IsNaN(openQuantile(opens, 101, 1)) {
		t.Error("a client never back still gives a time")
	}
}

// The delays by attempt go through the Schedule and stay within the
// strategy's range.
func TestDelaysByAttempt(t *testing.T) {
	d := delaysByAttempt(Strategies(100*time.Millisecond, time.Second)[2], 6, 200, 1) // equal jitter
	for a, ds := range d {
		env := min(100*time.Millisecond<<a, time.Second)
		if len(ds) != 200 {
			t.Fatalf("attempt %d: %d samples", a+1, len(ds))
		}
		for _, x := range ds {
			if x < env/2 || x > env {
				t.Errorf("attempt %d: delay %v outside [%v, %v]", a+1, x, env/2, env)
			}
		}
	}
}

// Black-holed, without jitter, each dial costs the 10 s timeout: dials at
// 0.25, 10.75 and 21.75 s. With the return at 30 s the third one's SYNs
// (21.75, 22.75, 24.75, 28.75 s) all come too soon: it fails at 31.75 and
// the next dial, 2 s later, connects at 33.75 s. With the return at 25 s
// its last SYN, at 28.75 s, connects.
func TestSimulateBlackHoledExact(t *testing.T) {
	const n = 100
	for _, c := range []struct {
		outage time.Duration
		failed int
		t99    float64
	}{{30 * time.Second, 3, 3.75}, {25 * time.Second, 2, 3.75}} {
		r := Simulate(SimConfig{Clients: n, Outage: c.outage, Kind: BlackHoled, Strategy: Strategies(simBase, simCap)[0], Cap: simCap, Seed: 1})
		if r.OutageDials != c.failed*n || r.Dials != (c.failed+1)*n || r.Back != n {
			t.Errorf("outage %v: %d failed dials, %d in all, %d back; want %d, %d, %d", c.outage, r.OutageDials, r.Dials, r.Back, c.failed*n, (c.failed+1)*n, n)
		}
		if r.Fleet.T99 != c.t99 || r.Fleet.T100 != c.t99 {
			t.Errorf("outage %v: back after %v / %v s, want %v", c.outage, r.Fleet.T99, r.Fleet.T100, c.t99)
		}
	}
}

// A server that accepts then drops until it is back gives each client the
// same growing delays as a refused dial: a connection lost at once does not
// reset the schedule (MinUptime), so there is no tight loop.
func TestSimulateAcceptDropDoesNotReset(t *testing.T) {
	const n = 100
	r := Simulate(SimConfig{Clients: n, Outage: 30 * time.Second, Kind: AcceptDrop, Strategy: Strategies(simBase, simCap)[0], Cap: simCap, Seed: 1})
	if r.OutageDials != 6*n || r.Back != n || r.Fleet.T99 != 1.75 {
		t.Errorf("%d failed dials, %d back, 99%% after %v s; want %d, %d, 1.75", r.OutageDials, r.Back, r.Fleet.T99, 6*n, n)
	}
	// Dropped after 2 s each: dials at 0.25, 2.75, 5.75, 9.75, 15.75, 25.75
	// s (each the last drop + the delay), then 27.75 + 16 = 43.75 s, Open.
	r = Simulate(SimConfig{Clients: n, Outage: 30 * time.Second, Kind: AcceptDrop, DropAfter: 2 * time.Second, Strategy: Strategies(simBase, simCap)[0], Cap: simCap, Seed: 1})
	if r.OutageDials != 6*n || r.Back != n || r.Fleet.T99 != 13.75 {
		t.Errorf("dropped after 2 s: %d failed dials, %d back, 99%% after %v s; want %d, %d, 13.75", r.OutageDials, r.Back, r.Fleet.T99, 6*n, n)
	}
}

func TestArrival(t *testing.T) {
	const s = time.Second
	for _, c := range []struct {
		kind          OutageKind
		t, back, tout time.Duration
		at            time.Duration
		ok            bool
	}{
		{Refused, 5 * s, 5 * s, 10 * s, 5 * s, true},
		{Refused, 4 * s, 5 * s, 10 * s, 0, false},
		{AcceptDrop, 4 * s, 5 * s, 10 * s, 0, false},
		{BlackHoled, 4 * s, 5 * s, 10 * s, 5 * s, true},   // the SYN sent again after 1 s
		{BlackHoled, 4 * s, 6 * s, 10 * s, 7 * s, true},   // after 3 s
		{BlackHoled, 4 * s, 10 * s, 10 * s, 11 * s, true}, // after 7 s
		{BlackHoled, 4 * s, 10 * s, 5 * s, 0, false},      // the 7 s SYN comes after a 5 s timeout
		{BlackHoled, 4 * s, 12 * s, 10 * s, 0, false},
	} {
		at, ok := arrival(c.kind, c.t, c.back, c.tout)
		if at != c.at || ok != c.ok {
			t.Errorf("%v dial at %v, back at %v, timeout %v: %v %v, want %v %v", c.kind, c.t, c.back, c.tout, at, ok, c.at, c.ok)
		}
	}
}
