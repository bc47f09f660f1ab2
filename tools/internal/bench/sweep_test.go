package bench

import (
	"flag"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/retry"
)

var sweep = flag.Bool("sweep", false, "run TestSweep: the search behind retry's DefaultMultiplier and DefaultFloor (minutes)")

// sweepClients is how many clients each point of the sweep simulates.
const sweepClients = 200_000

// TestSweep prints the search that chose wsfsm's default strategy
// (docs/BENCHMARKS.md): NewJitter over a grid of multipliers and floors
// against the best of full, equal and decorrelated jitter in the 30 s
// outage, then the chosen default and the old one (full jitter, ×2)
// against that best over outages from 4 s to 5 min, then the default
// against a server that answers 503 with Retry-After windows of several
// widths. Each point is one seed of 200,000 clients; run it with
//
//	go test ./internal/bench -run TestSweep -v -timeout 1h -args -sweep
func TestSweep(t *testing.T) {
	if !*sweep {
		t.Skip("the search takes minutes: -sweep runs it")
	}
	sim := func(st Strategy, outage time.Duration) Fleet {
		return Simulate(SimConfig{Clients: sweepClients, Outage: outage, Strategy: st, Cap: simCap, Seed: 1}).Fleet
	}
	rivals := Strategies(simBase, simCap)[1:4]
	best := func(outage time.Duration) (rows []FleetRow, b [4]float64) {
		b = [4]float64{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
		for _, st := range rivals {
			f := sim(st, outage)
			rows = append(rows, summarizeFleet(st.Key, st.Name, []Fleet{f}))
			for i, v := range []float64{f.DialsPerClient, f.PeakRatio, f.T99, f.T100} {
				b[i] = math.Min(b[i], v)
			}
		}
		return rows, b
	}
	ratios := func(f Fleet, b [4]float64) string {
		return fmt.Sprintf("%5.2f %5.2f %5.2f %5.2f", f.DialsPerClient/b[0], f.PeakRatio/b[1], f.T99/b[2], f.T100/b[3])
	}

	rows, b := best(30 * time.Second)
	fmt.Printf("30 s outage, %d clients, seed 1; best of the three: dials %.3f, peak %.3f, t99 %.2f s, t100 %.2f s\n", sweepClients, b[0], b[1], b[2], b[3])
	fmt.Println("multiplier floor   dials  peak   t99    t100  (÷ best)  goal")
	for _, m := range []float64{2, 2.5, 3, 3.5, 4, 5} {
		for _, fl := range []float64{-1, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5} {
			st := JitterStrategy(KeyWsfsm, "candidate", retry.JitterConfig{Initial: simBase, Max: simCap, Multiplier: m, Floor: fl})
			f := sim(st, 30*time.Second)
			met, _, _ := fleetGoal(append(rows[:3:3], summarizeFleet(KeyWsfsm, "candidate", []Fleet{f})))
			fmt.Printf("×%-9g %-5g  %s  %v\n", m, max(fl, 0), ratios(f, b), met)
		}
	}

	def, old := DefaultStrategy(simBase, simCap), Strategies(simBase, simCap)[1]
	fmt.Printf("\nover outages, ÷ the best of the three at each (dials peak t99 t100)\noutage  default (×%g, floor %g)     full jitter ×2 (the old default)\n", retry.DefaultMultiplier, retry.DefaultFloor)
	for _, o := range []time.Duration{4, 6, 8, 10, 15, 20, 25, 30, 35, 40, 45, 60, 75, 90, 120, 300} {
		o *= time.Second
		_, b := best(o)
		fmt.Printf("%-6v  %s   %s\n", o, ratios(sim(def, o), b), ratios(sim(old, o), b))
	}

	fmt.Println("\nthe default, 30 s outage, the server answering 503 while away with Retry-After = seconds until back + 0..W")
	fmt.Println("W      dials/client  peak ÷ (N/cap)  99% Open (s)  100% Open (s)")
	for _, w := range []time.Duration{0, 10, 20, 30, 60} {
		w *= time.Second
		f := Simulate(SimConfig{Clients: sweepClients, Outage: 30 * time.Second, Strategy: def, Cap: simCap, Seed: 1, RetryAfterWindow: w}).Fleet
		fmt.Printf("%-6v %12.3f  %14.3f  %12.2f  %13.2f\n", w, f.DialsPerClient, f.PeakRatio, f.T99, f.T100)
	}
}
