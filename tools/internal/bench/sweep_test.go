package bench

import (
	"flag"
	"fmt"
	"testing"

	"github.com/wsfsm/wsfsm/retry"
)

var sweep = flag.Bool("sweep", false, "run TestSweep: the search behind retry's default strategy (minutes)")

// sweepClients is how many clients each point of the sweep simulates.
const sweepClients = 20_000

// TestSweep prints the search that chose wsfsm's default strategy
// (docs/BENCHMARKS.md): every candidate, retry.NewJitter over a grid of
// multipliers and floors and NewElapsed over a grid of growths and
// floors, beside the rivals of StudyStrategies, on the TrainingOutages of
// every kind; for each, its worst-case regret there and whether a rival
// dominates it anywhere. The held-out figures are the bench's. Run it with
//
//	go test ./internal/bench -run TestSweep -v -timeout 1h -args -sweep
func TestSweep(t *testing.T) {
	if !*sweep {
		t.Skip("the search takes minutes: -sweep runs it")
	}
	cfg := StudyConfig{Clients: sweepClients, Seed: 1, Cap: simCap, Kinds: OutageKinds, Outages: TrainingOutages, DropAfter: StudyDropAfter}
	all := StudyStrategies(simBase, simCap)
	cfg.Strategies = all[:len(all)-1]
	rivals := RunStudy(cfg, nil)
	fmt.Printf("training outages %v, %d clients, seed 1\n", TrainingOutages, sweepClients)
	var cands []Strategy
	for _, m := range []float64{1.5, 2, 2.5, 3, 4} {
		for _, fl := range []float64{-1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
			cands = append(cands, JitterStrategy(KeyWsfsm, fmt.Sprintf("jitter ×%g floor %g", m, max(fl, 0)),
				retry.JitterConfig{Initial: simBase, Max: simCap, Multiplier: m, Floor: fl}))
		}
	}
	for _, g := range []float64{0.5, 1, 1.5, 2, 3} {
		for _, fl := range []float64{-1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
			cands = append(cands, ElapsedStrategy(KeyWsfsm, fmt.Sprintf("elapsed growth %g floor %g", g, max(fl, 0)),
				ElapsedConfig{Initial: simBase, Max: simCap, Growth: g, Floor: fl}))
		}
	}
	best, bestRegret, both := "", 1e18, 0
	for _, c := range cands {
		s := rivals.With(cfg, c)
		v := s.Verdict()
		r := v.Regrets[s.DefaultIdx]
		var by []string
		for i, at := range v.DominatedAt {
			if len(at) > 0 {
				by = append(by, fmt.Sprintf("%s at %d", s.Keys[i], len(at)))
			}
		}
		fmt.Printf("%-28s regret %5.2f (%v: %.2f vs %.2f)  dominated by %v; rivals' regrets:", c.Name, r.Ratio, r.At, r.Figure, r.Best, by)
		for i := range rivals.Keys {
			fmt.Printf(" %s %.2f", s.Keys[i], v.Regrets[i].Ratio)
		}
		fmt.Println()
		if len(by) == 0 && v.LowestRegret {
			both++
		}
		if len(by) == 0 && r.Ratio < bestRegret {
			best, bestRegret = c.Name, r.Ratio
		}
	}
	fmt.Printf("\n%d candidates meet both goals on the training outages; dominated by no rival there, the lowest worst-case regret: %s, %.2f\n", both, best, bestRegret)
}
