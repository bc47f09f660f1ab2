package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/retry"
)

// Keys of the study's strategies beyond those of Strategies.
const (
	KeyFull3  = "full3"
	KeyEqual3 = "equal3"
)

// StudyStrategies returns the strategies of the outage study, all with the
// same base and ceiling: full and equal jitter each at growth ×2 and ×3,
// decorrelated jitter, and wsfsm's default (last).
func StudyStrategies(base, ceiling time.Duration) []Strategy {
	all := Strategies(base, ceiling)
	all[1].Name, all[2].Name = all[1].Name+" ×2", all[2].Name+" ×2"
	jit := func(key, name string, m, floor float64) Strategy {
		return JitterStrategy(key, name, retry.JitterConfig{Initial: base, Max: ceiling, Multiplier: m, Floor: floor})
	}
	return []Strategy{
		all[1], jit(KeyFull3, "full jitter ×3", 3, -1),
		all[2], jit(KeyEqual3, "equal jitter ×3", 3, 0.5),
		all[3], all[4],
	}
}

// The outage lengths of the study: parameters are chosen on
// TrainingOutages and reported on HeldOutOutages, which interleave with
// them (a schedule's figures swing with where the return falls between two
// of its dials, so a length it was tuned on says little about its
// neighbours).
var (
	TrainingOutages = secs(3, 5, 8, 12, 20, 30, 50, 80, 130, 200, 330, 520)
	HeldOutOutages  = secs(4, 6, 10, 15, 25, 40, 60, 100, 160, 260, 420, 600)
	// QuickOutages are the -quick run's: every third held-out length.
	QuickOutages = secs(4, 15, 60, 260)
)

func secs(s ...float64) []time.Duration {
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = time.Duration(x * float64(time.Second))
	}
	return d
}

// StudyConfig describes an outage study: every strategy simulated against
// every outage kind and length.
type StudyConfig struct {
	Clients    int
	Seed       uint64
	Cap        time.Duration
	Kinds      []OutageKind
	Outages    []time.Duration
	Strategies []Strategy
	// DropAfter is how long the AcceptDrop server keeps each connection.
	DropAfter time.Duration
}

// StudyDropAfter is how long the study's accept-then-drop server keeps
// each connection: 1 s, as a server whose check behind the upgrade (a
// backend, an auth service) fails.
const StudyDropAfter = time.Second

// The study's figures, in the order of Study.Figs' innermost index: for
// each, lower is better.
const (
	FigDials = iota
	FigPeak
	FigT99
	numFigs
)

// figNames name the study's figures in tables.
var figNames = [numFigs]string{"dials", "peak", "t99"}

// Study is what an outage study gave: Figs[k][o][s] holds the figures of
// strategy s after outage o of kind k (dials per client during the
// outage, peak ÷ (N/cap), seconds until 99% are Open).
type Study struct {
	Clients    int
	Seed       uint64
	Kinds      []OutageKind
	Outages    []time.Duration
	Keys       []string // the strategies' keys
	Names      []string // and names
	Figs       [][][][numFigs]float64
	DefaultIdx int // the strategy verdicts are about: the last one
}

// RunStudy simulates cfg.Clients clients under every strategy of cfg
// against every kind and length of outage, all with cfg.Seed. progress, if
// not nil, is called after each strategy.
func RunStudy(cfg StudyConfig, progress func(Strategy)) *Study {
	s := &Study{Clients: cfg.Clients, Seed: cfg.Seed, Kinds: cfg.Kinds, Outages: cfg.Outages}
	for _, st := range cfg.Strategies {
		s = s.With(cfg, st)
		if progress != nil {
			progress(st)
		}
	}
	return s
}

// With returns a copy of s with the figures of one more strategy, st,
// simulated as cfg says (its Kinds and Outages must be s's), which becomes
// the one the verdicts are about.
func (s *Study) With(cfg StudyConfig, st Strategy) *Study {
	n := *s
	n.Keys, n.Names = append(slices.Clone(s.Keys), st.Key), append(slices.Clone(s.Names), st.Name)
	n.DefaultIdx = len(n.Keys) - 1
	n.Figs = make([][][][numFigs]float64, len(cfg.Kinds))
	for k, kind := range cfg.Kinds {
		n.Figs[k] = make([][][numFigs]float64, len(cfg.Outages))
		for o, outage := range cfg.Outages {
			var old [][numFigs]float64
			if k < len(s.Figs) {
				old = s.Figs[k][o]
			}
			f := Simulate(SimConfig{Clients: cfg.Clients, Outage: outage, Kind: kind, DropAfter: cfg.DropAfter,
				Strategy: st, Cap: cfg.Cap, Seed: cfg.Seed}).Fleet
			n.Figs[k][o] = append(slices.Clone(old), [numFigs]float64{f.DialsPerClient, f.PeakRatio, f.T99})
		}
	}
	return &n
}

// Place is one figure of one outage in a Study, or the whole outage when
// Fig is -1.
type Place struct {
	Kind   OutageKind
	Outage time.Duration
	Fig    int
}

func (p Place) String() string {
	if p.Fig < 0 {
		return fmt.Sprintf("after %v %s", p.Outage, p.Kind)
	}
	return fmt.Sprintf("%s after %v %s", figNames[p.Fig], p.Outage, p.Kind)
}

// Regret is a strategy's worst case in a Study: the largest ratio, over
// every outage and figure, of its figure to the best any strategy reached
// there, and where.
type Regret struct {
	Ratio float64
	At    Place
	// Figure and Best are the strategy's figure there and the best one.
	Figure, Best float64
}

// Regret returns the worst-case regret of strategy i. A figure that is
// NaN (clients never back) gives +Inf.
func (s *Study) Regret(i int) Regret {
	worst := Regret{Ratio: math.Inf(-1)}
	for k := range s.Figs {
		for o := range s.Figs[k] {
			cell := s.Figs[k][o]
			for f := range numFigs {
				best := math.Inf(1)
				for _, figs := range cell {
					if !math.IsNaN(figs[f]) {
						best = min(best, figs[f])
					}
				}
				r := cell[i][f] / best
				switch {
				case math.IsNaN(cell[i][f]):
					r = math.Inf(1)
				case cell[i][f] == best:
					r = 1 // 0/0 when the best is 0
				}
				if r > worst.Ratio {
					worst = Regret{r, Place{s.Kinds[k], s.Outages[o], f}, cell[i][f], best}
				}
			}
		}
	}
	return worst
}

// Dominates returns the outages (Place.Fig -1) where strategy i is better
// than strategy j on every figure at once.
func (s *Study) Dominates(i, j int) []Place {
	var at []Place
	for k := range s.Figs {
		for o := range s.Figs[k] {
			a, b := s.Figs[k][o][i], s.Figs[k][o][j]
			if a[FigDials] < b[FigDials] && a[FigPeak] < b[FigPeak] && a[FigT99] < b[FigT99] {
				at = append(at, Place{s.Kinds[k], s.Outages[o], -1})
			}
		}
	}
	return at
}

// Verdict is the study's verdict on the default: whether any rival
// dominates it somewhere, and whether its worst-case regret is the lowest.
type Verdict struct {
	Dominated    bool // some rival is better on all three figures somewhere
	LowestRegret bool
	Regrets      []Regret  // by strategy
	DominatedAt  [][]Place // by strategy: where it dominates the default
}

// Verdict judges s.DefaultIdx against every other strategy.
func (s *Study) Verdict() Verdict {
	v := Verdict{LowestRegret: true}
	d := s.DefaultIdx
	for i := range s.Keys {
		v.Regrets = append(v.Regrets, s.Regret(i))
		var at []Place
		if i != d {
			at = s.Dominates(i, d)
		}
		v.DominatedAt = append(v.DominatedAt, at)
		v.Dominated = v.Dominated || len(at) > 0
	}
	for i, r := range v.Regrets {
		if i != d && r.Ratio < v.Regrets[d].Ratio {
			v.LowestRegret = false
		}
	}
	return v
}

// kindNote says what an outage kind of the study is, over its table.
func kindNote(k OutageKind) string {
	switch k {
	case Refused:
		return "nothing listens: each dial is refused at once (RST)"
	case BlackHoled:
		return fmt.Sprintf("nothing answers: each dial costs the %v handshake timeout; a dial in flight connects at its next SYN (1, 3, 7 s after the first) if the server is back by then", wsfsm.DefaultHandshakeTimeout)
	case AcceptDrop:
		return fmt.Sprintf("the upgrade succeeds and the server drops the connection %v later (too soon for MinUptime to reset the schedule)", StudyDropAfter)
	}
	return ""
}

// WriteTable prints the study: for every kind, a row per outage length
// with each strategy's three figures, then per strategy its worst-case
// regret and where it dominates the default, and the two goals with a
// verdict each. It returns the verdict.
func (s *Study) WriteTable(w io.Writer) Verdict {
	v := s.Verdict()
	fmt.Fprintf(w, "Each cell: %s / %s / %s — dials per client while the server is away, peak ÷ (N/cap), seconds until 99%% are Open again; lower is better in each.\n",
		figNames[FigDials], figNames[FigPeak], figNames[FigT99])
	for k, kind := range s.Kinds {
		fmt.Fprintf(w, "\n%s: %s\n", kind, kindNote(kind))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprint(tw, "outage")
		for _, key := range s.Keys {
			fmt.Fprintf(tw, "\t%s", key)
		}
		fmt.Fprintln(tw)
		for o, outage := range s.Outages {
			fmt.Fprint(tw, outage)
			for _, f := range s.Figs[k][o] {
				fmt.Fprintf(tw, "\t%s/%s/%s", short(f[FigDials]), short(f[FigPeak]), short(f[FigT99]))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	d := s.DefaultIdx
	fmt.Fprintln(w, "\nworst-case regret: the largest ratio, over every outage above and each figure, of the row's figure to the best any row reached there.")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tstrategy\tworst-case regret\twhere (its figure vs the best)\tbetter than "+s.Keys[d]+" on all three at once")
	for i, key := range s.Keys {
		r := v.Regrets[i]
		dom := "-"
		if i != d {
			dom = "nowhere"
			if at := v.DominatedAt[i]; len(at) > 0 {
				var where []string
				for _, p := range at {
					where = append(where, fmt.Sprintf("%v %s", p.Outage, p.Kind.Key()))
				}
				dom = fmt.Sprintf("%d of %d: %s", len(at), len(s.Kinds)*len(s.Outages), strings.Join(where, ", "))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v (%s vs %s)\t%s\n", key, s.Names[i], num(r.Ratio), r.At, num(r.Figure), num(r.Best), dom)
	}
	tw.Flush()
	fmt.Fprintf(w, "goal: no rival better than %s on all three figures at any outage: %s\n", s.Keys[d], okMissed(!v.Dominated))
	fmt.Fprintf(w, "goal: %s has the lowest worst-case regret: %s\n", s.Keys[d], okMissed(v.LowestRegret))
	return v
}

// short formats a figure of the study's table in at most 4 characters
// where it can: 3 significant digits.
func short(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func okMissed(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
