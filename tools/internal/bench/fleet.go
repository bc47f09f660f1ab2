package bench

import (
	"fmt"
	"math"
	"strings"
)

// KeyRetryAfter is the fleet row of wsfsm's default strategy against a
// server that answers 503 with a Retry-After spread over a window while it
// is away (server-led recovery).
const KeyRetryAfter = KeyWsfsm + "_retry_after"

// FleetRow is one row of the fleet figures: a strategy (or the server-led
// variant), each figure over its rounds (seeds of the simulation, storms
// of real clients).
type FleetRow struct {
	// Key is the row's part of the JSON keys; Name its label.
	Key, Name string
	// The figures of Fleet over rounds.
	DialsPerClient, PeakRatio, T99, T100 Figure
}

// fleetFigure names one figure of a FleetRow.
type fleetFigure struct {
	suffix string // JSON key suffix
	head   string // table column
	get    func(*FleetRow) *Figure
}

// fleetFigures lists a FleetRow's figures in table and key order.
var fleetFigures = []fleetFigure{
	{"outage_dials_per_client", "dials/client while down", func(r *FleetRow) *Figure { return &r.DialsPerClient }},
	{"peak_ratio", "peak ÷ (N/cap)", func(r *FleetRow) *Figure { return &r.PeakRatio }},
	{"t99_s", "99% Open (s)", func(r *FleetRow) *Figure { return &r.T99 }},
	{"t100_s", "100% Open (s)", func(r *FleetRow) *Figure { return &r.T100 }},
}

// summarizeFleet turns the Fleet of each round into a FleetRow.
func summarizeFleet(key, name string, rounds []Fleet) FleetRow {
	r := FleetRow{Key: key, Name: name}
	var d, p, t99, t100 []float64
	for _, f := range rounds {
		d, p, t99, t100 = append(d, f.DialsPerClient), append(p, f.PeakRatio), append(t99, f.T99), append(t100, f.T100)
	}
	r.DialsPerClient, r.PeakRatio, r.T99, r.T100 = summarize(d), summarize(p), summarize(t99), summarize(t100)
	return r
}

// unmeasuredRow is a FleetRow whose figures are all NaN (null in JSON).
func unmeasuredRow(key, name string) FleetRow { return summarizeFleet(key, name, nil) }

// FleetTolerance is how much worse than the best published strategy
// wsfsm's default may be on any fleet figure: 2%.
const FleetTolerance = 0.02

// fleetGoal checks issue 13's goal on rows, by median: wsfsm's default is
// no worse than the best of full, equal and decorrelated jitter on any
// figure, within FleetTolerance, and better than each of the three on at
// least one. It returns whether the goal was met, whether it could be
// checked (every row measured), and one line per strategy saying why.
func fleetGoal(rows []FleetRow) (met, checked bool, why []string) {
	byKey := map[string]*FleetRow{}
	for i := range rows {
		byKey[rows[i].Key] = &rows[i]
	}
	def := byKey[KeyWsfsm]
	var rivals []*FleetRow
	for _, k := range []string{KeyFull, KeyEqual, KeyDecorrelated} {
		if r := byKey[k]; r != nil {
			rivals = append(rivals, r)
		}
	}
	if def == nil || len(rivals) != 3 {
		return false, false, []string{"not measured"}
	}
	for _, f := range fleetFigures {
		for _, r := range append([]*FleetRow{def}, rivals...) {
			if !measured(*f.get(r)) {
				return false, false, []string{"not measured: " + r.Name}
			}
		}
	}
	met = true
	for _, f := range fleetFigures {
		best, who := math.Inf(1), ""
		for _, r := range rivals {
			if m := f.get(r).Median; m < best {
				best, who = m, r.Name
			}
		}
		if d := f.get(def).Median; d > best*(1+FleetTolerance) {
			met = false
			why = append(why, fmt.Sprintf("%s: %s against %s for %s, more than %.0f%% worse", f.head, num(d), num(best), who, 100*FleetTolerance))
		}
	}
	for _, r := range rivals {
		var better []string
		for _, f := range fleetFigures {
			if d, m := f.get(def).Median, f.get(r).Median; d < m {
				better = append(better, fmt.Sprintf("%s %s < %s", f.head, num(d), num(m)))
			}
		}
		if len(better) == 0 {
			met = false
			why = append(why, "better than "+r.Name+" on no figure")
			continue
		}
		why = append(why, "better than "+r.Name+" on "+strings.Join(better, ", "))
	}
	return met, true, why
}
