package bench

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/retry"
)

var (
	sweep        = flag.Bool("sweep", false, "run TestSweep: the search behind retry's default strategy (minutes)")
	sweepClients = flag.Int("sweep.clients", 20_000, "clients each point of TestSweep simulates")
	sweepOnly    = flag.String("sweep.only", "", "TestSweep tries only the candidates whose name contains this")
	sweepAlso    = flag.String("sweep.also", "", "with -sweep.heldout, candidates (names separated by ';') reported held out too, for information: the rule's choice stays the rule's")
	sweepHeldOut = flag.Int("sweep.heldout", 0, "if positive, TestSweep then reports the candidate its rule chose on the held-out outages with this many clients")
)

// sweepCandidates are the strategies TestSweep tries as the default:
// retry.NewJitter over a grid of multipliers and floors; the same with its
// delays counted from each failed dial's start (DialStart), and with its
// floor credited with the dial's cost (FloorCredit); NewElapsed and
// NewAccrued over a grid of growths and floors; Accrued from the dial's
// start; and Accrued with a floor that rises to FloorAtMax at the cap.
func sweepCandidates() []Strategy {
	floors := []float64{-1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}
	var cands []Strategy
	for _, m := range []float64{1.5, 2, 2.5, 3, 4} {
		for _, fl := range floors {
			st := JitterStrategy(KeyWsfsm, fmt.Sprintf("jitter ×%g floor %g", m, max(fl, 0)),
				retry.JitterConfig{Initial: simBase, Max: simCap, Multiplier: m, Floor: fl})
			cands = append(cands, st, FromDialStart(KeyWsfsm, "dialstart "+st.Name, st))
			if fl > 0 {
				cands = append(cands, FloorCreditStrategy(KeyWsfsm, "floorcredit "+st.Name,
					retry.JitterConfig{Initial: simBase, Max: simCap, Multiplier: m, Floor: fl}))
			}
		}
	}
	for _, g := range []float64{0.5, 1, 1.5, 2, 3} {
		for _, fl := range floors {
			cands = append(cands, ElapsedStrategy(KeyWsfsm, fmt.Sprintf("elapsed growth %g floor %g", g, max(fl, 0)),
				ElapsedConfig{Initial: simBase, Max: simCap, Growth: g, Floor: fl}))
			st := AccruedStrategy(KeyWsfsm, fmt.Sprintf("accrued growth %g floor %g", g, max(fl, 0)),
				AccruedConfig{Initial: simBase, Max: simCap, Growth: g, Floor: fl})
			cands = append(cands, st, FromDialStart(KeyWsfsm, "dialstart "+st.Name, st))
		}
		for _, fl := range []float64{-1, 0.2, 0.3} {
			for _, top := range []float64{0.5, 0.6, 0.7} {
				cands = append(cands, AccruedStrategy(KeyWsfsm, fmt.Sprintf("accrued growth %g floor %g to %g", g, max(fl, 0), top),
					AccruedConfig{Initial: simBase, Max: simCap, Growth: g, Floor: fl, FloorAtMax: top}))
			}
		}
	}
	return cands
}

// TestSweep prints the search that chooses wsfsm's default strategy
// (docs/BENCHMARKS.md): every candidate of sweepCandidates beside the
// rivals of StudyStrategies, on the TrainingOutages of every kind; for
// each, its worst-case regret there and whether a rival dominates it
// anywhere. Its rule, fixed before any held-out figure is looked at: among
// the candidates no rival dominates on the training outages, the one with
// the lowest worst-case regret there. With -sweep.heldout N it then runs
// that candidate and the rivals on the HeldOutOutages, N clients each,
// and prints the study's table and verdicts, as the bench would with it as
// the default; with -sweep.also, the candidates it names too, for
// information. Run it with
//
//	go test ./internal/bench -run TestSweep -v -timeout 3h -args -sweep -sweep.heldout 50000
func TestSweep(t *testing.T) {
	if !*sweep {
		t.Skip("the search takes minutes: -sweep runs it")
	}
	cfg := StudyConfig{Clients: *sweepClients, Seed: 1, Cap: simCap, Kinds: OutageKinds, Outages: TrainingOutages, DropAfter: StudyDropAfter}
	all := StudyStrategies(simBase, simCap)
	cfg.Strategies = all[:len(all)-1]
	rivals := RunStudy(cfg, nil)
	fmt.Printf("training outages %v, %d clients, seed 1\n", TrainingOutages, *sweepClients)
	var best Strategy
	bestRegret, both := 1e18, 0
	for _, c := range sweepCandidates() {
		if !strings.Contains(c.Name, *sweepOnly) {
			continue
		}
		s := rivals.With(cfg, c)
		v := s.Verdict()
		r := v.Regrets[s.DefaultIdx]
		var by []string
		for i, at := range v.DominatedAt {
			if len(at) > 0 {
				var where []string
				for _, p := range at {
					where = append(where, fmt.Sprintf("%v %s", p.Outage, p.Kind.Key()))
				}
				by = append(by, fmt.Sprintf("%s at %d (%s)", s.Keys[i], len(at), strings.Join(where, ", ")))
			}
		}
		fmt.Printf("%-40s regret %5.2f (%v: %.2f vs %.2f)  dominated by %v; rivals' regrets:", c.Name, r.Ratio, r.At, r.Figure, r.Best, by)
		for i := range rivals.Keys {
			fmt.Printf(" %s %.2f", s.Keys[i], v.Regrets[i].Ratio)
		}
		fmt.Println()
		if len(by) == 0 && v.LowestRegret {
			both++
		}
		if len(by) == 0 && r.Ratio < bestRegret {
			best, bestRegret = c, r.Ratio
		}
	}
	var report []Strategy
	if best.New == nil {
		fmt.Println("\nevery candidate is dominated by a rival on the training outages")
	} else {
		fmt.Printf("\n%d candidates meet both goals on the training outages; the rule's choice (dominated by no rival there, the lowest worst-case regret): %s, %.2f\n", both, best.Name, bestRegret)
		report = append(report, best)
	}
	if *sweepHeldOut <= 0 {
		return
	}
	for _, name := range strings.Split(*sweepAlso, ";") {
		for _, c := range sweepCandidates() {
			if name != "" && c.Name == name {
				report = append(report, c)
			}
		}
	}
	cfg.Outages, cfg.Clients = HeldOutOutages, *sweepHeldOut
	rivals = RunStudy(cfg, nil)
	for i, c := range report {
		what := "the rule's choice"
		if i > 0 || best.New == nil {
			what = "for information, not the rule's choice"
		}
		fmt.Printf("\n%s (%s) on the held-out outages %v, %d clients, seed 1:\n", c.Name, what, HeldOutOutages, cfg.Clients)
		var out strings.Builder
		rivals.With(cfg, c).WriteTable(&out)
		fmt.Print(out.String())
	}
}
