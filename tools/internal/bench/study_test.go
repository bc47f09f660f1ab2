package bench

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// handStudy is a Study of two outages of one kind and three strategies,
// the last the default, with figures chosen by hand.
func handStudy() *Study {
	return &Study{
		Kinds: []OutageKind{Refused}, Outages: []time.Duration{5 * time.Second, time.Minute},
		Keys: []string{"a", "b", "d"}, Names: []string{"a", "b", "d"}, DefaultIdx: 2,
		Figs: [][][][numFigs]float64{{
			{{3, 9, 4}, {4, 5, 20}, {3.5, 6, 18}},      // 5 s: no one dominates d
			{{6, 1.5, 27}, {7, 2, 27}, {6.5, 1.6, 28}}, // 1 min: a dominates d
		}},
	}
}

func TestStudyRegret(t *testing.T) {
	s := handStudy()
	for i, want := range []Regret{
		{9.0 / 5, Place{Refused, 5 * time.Second, FigPeak}, 9, 5},
		{5.0, Place{Refused, 5 * time.Second, FigT99}, 20, 4},
		{4.5, Place{Refused, 5 * time.Second, FigT99}, 18, 4},
	} {
		if got := s.Regret(i); got != want {
			t.Errorf("strategy %s: %+v, want %+v", s.Keys[i], got, want)
		}
	}
	// A figure never reached (NaN) is infinitely worse than the best.
	s.Figs[0][1][0][FigT99] = math.NaN()
	if r := s.Regret(0); !math.IsInf(r.Ratio, 1) || r.At.Fig != FigT99 || r.At.Outage != time.Minute {
		t.Errorf("with a NaN t99: %+v, want +Inf at t99 after 1m", r)
	}
}

func TestStudyVerdict(t *testing.T) {
	s := handStudy()
	if at := s.Dominates(0, 2); !reflect.DeepEqual(at, []Place{{Refused, time.Minute, -1}}) {
		t.Errorf("a dominates d at %v, want 1m only", at)
	}
	if at := s.Dominates(1, 2); len(at) != 0 {
		t.Errorf("b dominates d at %v, want nowhere", at)
	}
	if got := s.Dominates(0, 2)[0].String(); got != "after 1m0s refused (RST)" {
		t.Errorf("the place reads %q", got)
	}
	v := s.Verdict()
	if !v.Dominated || v.LowestRegret || len(v.DominatedAt[0]) != 1 || len(v.DominatedAt[2]) != 0 {
		t.Errorf("verdict %+v: want dominated (by a), not the lowest regret (a's 1.8 < d's 4.5)", v)
	}
	// Equal on one figure is not dominated: better must hold on all three.
	s.Figs[0][1][0][FigDials] = 6.5
	if v := s.Verdict(); v.Dominated {
		t.Errorf("a tie on dials still dominates: %+v", v.DominatedAt)
	}
}

// A small study is the simulation's figures, cell by cell, and With adds
// a column without touching the others.
func TestRunStudySmall(t *testing.T) {
	all := StudyStrategies(simBase, simCap)
	cfg := StudyConfig{Clients: 300, Seed: 3, Cap: simCap, Kinds: OutageKinds, Outages: secs(4, 40),
		Strategies: all[:2], DropAfter: StudyDropAfter}
	var seen []string
	s := RunStudy(cfg, func(st Strategy) { seen = append(seen, st.Key) })
	if !reflect.DeepEqual(seen, []string{KeyFull, KeyFull3}) || len(s.Figs) != 3 || len(s.Figs[2]) != 2 || len(s.Figs[2][1]) != 2 {
		t.Fatalf("progress %v, figures %d×%d×%d", seen, len(s.Figs), len(s.Figs[2]), len(s.Figs[2][1]))
	}
	f := Simulate(SimConfig{Clients: 300, Outage: 40 * time.Second, Kind: AcceptDrop, DropAfter: StudyDropAfter, Strategy: all[1], Cap: simCap, Seed: 3}).Fleet
	if got, want := s.Figs[2][1][1], [numFigs]float64{f.DialsPerClient, f.PeakRatio, f.T99}; got != want {
		t.Errorf("accept-drop 40 s, full ×3: %v, want %v", got, want)
	}
	w := s.With(cfg, all[len(all)-1])
	if w.DefaultIdx != 2 || w.Keys[2] != KeyWsfsm || len(s.Keys) != 2 || w.Figs[1][0][0] != s.Figs[1][0][0] {
		t.Errorf("With: keys %v (the study's %v), default %d", w.Keys, s.Keys, w.DefaultIdx)
	}
}
