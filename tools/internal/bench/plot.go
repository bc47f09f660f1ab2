package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wsfsm/wsfsm/retry"
)

// SVG file names written by WritePlots.
const (
	StormSVG      = "storm.svg"
	StrategiesSVG = "strategies.svg"
	BackoffSVG    = "backoff.svg"
)

var (
	colMeasured = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colJitter   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colNoJitter = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colSpread   = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	// rowColors colours the fleet rows by key.
	rowColors = map[string]color.Color{
		KeyNoJitter:     colNoJitter,
		KeyFull:         colMeasured,
		KeyEqual:        color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		KeyDecorrelated: color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
		KeyWsfsm:        colJitter,
		KeyRetryAfter:   colSpread,
	}
)

// WritePlots writes StormSVG, StrategiesSVG and BackoffSVG into dir.
func WritePlots(dir string, cx *Context) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: plots: %w", err)
	}
	if err := writeStormSVG(filepath.Join(dir, StormSVG), cx); err != nil {
		return err
	}
	if err := writeStrategiesSVG(filepath.Join(dir, StrategiesSVG), cx); err != nil {
		return err
	}
	return writeBackoffSVG(filepath.Join(dir, BackoffSVG))
}

// series turns per-Bucket counts into points (seconds, count), leaving out
// empty buckets: the y axis is logarithmic.
func series(buckets []int) plotter.XYs {
	var xy plotter.XYs
	for i, b := range buckets {
		if b > 0 {
			xy = append(xy, plotter.XY{X: (float64(i) + 0.5) * Bucket.Seconds(), Y: float64(b)})
		}
	}
	return xy
}

// addBuckets draws per-Bucket counts as a line broken where a bucket is
// empty (the y axis is logarithmic), named once in the legend.
func addBuckets(p *plot.Plot, name string, buckets []int, c color.Color, dashed bool) error {
	named := false
	flush := func(run plotter.XYs) error {
		if len(run) == 0 {
			return nil
		}
		if len(run) == 1 { // one bucket: span it
			w := Bucket.Seconds() / 2
			run = plotter.XYs{{X: run[0].X - w, Y: run[0].Y}, {X: run[0].X + w, Y: run[0].Y}}
		}
		l, err := newLine(name, run, c, dashed)
		if err != nil {
			return err
		}
		p.Add(l)
		if !named {
			p.Legend.Add(name, l)
			named = true
		}
		return nil
	}
	var run plotter.XYs
	for i, b := range buckets {
		if b == 0 {
			if err := flush(run); err != nil {
				return err
			}
			run = nil
			continue
		}
		run = append(run, plotter.XY{X: (float64(i) + 0.5) * Bucket.Seconds(), Y: float64(b)})
	}
	return flush(run)
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.Color, dashed bool) error {
	if len(xy) == 0 {
		return nil
	}
	l, err := newLine(name, xy, c, dashed)
	if err != nil {
		return err
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// newLine is the style of every line of the plots: 1 pt, solid or dashed.
func newLine(name string, xy plotter.XYs, c color.Color, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, fmt.Errorf("bench: plot %s: %w", name, err)
	}
	l.Color = c
	l.Width = vg.Points(1)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	return l, nil
}

func addPoints(p *plot.Plot, name string, xy plotter.XYs, c color.Color) error {
	if len(xy) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return fmt.Errorf("bench: plot %s: %w", name, err)
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = draw.CrossGlyph{}
	s.GlyphStyle.Radius = vg.Points(3)
	p.Add(s)
	p.Legend.Add(name, s)
	return nil
}

// newPlot returns a plot with a title, axis labels and a grid.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.XOffs = -8 * vg.Millimeter // keep the swatches inside the canvas
	p.Add(plotter.NewGrid())
	return p
}

// logY makes p's y axis logarithmic.
func logY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
}

// addVertical marks x on p from 1 to top, dashed grey, as name.
func addVertical(p *plot.Plot, name string, x, lo, top float64) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: top}})
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	l.Color = colSpread
	l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// writeStormSVG draws the storm's rows side by side, measured (median
// round of each), with the default row's round simulated beside it.
func writeStormSVG(path string, cx *Context) error {
	s := cx.Storm
	runs := slices.Clone(s.Runs)
	if len(s.Simulated) > 0 {
		runs = append(runs, StormRun{SimRun: SimRun{Key: "simulated", Name: "wsfsm default, simulated", Buckets: s.Simulated}})
	}
	return writeFleetSVG(path,
		fmt.Sprintf("Real storm: %d Conns, server killed, back after %.1f s (base %s, cap %s)", s.Clients, s.Back, s.Base, s.Cap),
		"since the server's return", runs, s.Back)
}

// writeStrategiesSVG draws the simulation's rows side by side: dials over
// time, and the share of clients Open after the server's return.
func writeStrategiesSVG(path string, cx *Context) error {
	sc := cx.Sim
	var runs []StormRun
	for _, r := range sc.Runs {
		runs = append(runs, StormRun{SimRun: r, BackS: sc.OutageS})
	}
	return writeFleetSVG(path, fmt.Sprintf("Simulation: the fleet's dials, server away %g s (base %s, cap %s)", sc.OutageS, sc.Base, sc.Cap),
		"since the server returned", runs, sc.OutageS)
}

// writeFleetSVG draws fleet rows side by side: dials per Bucket since the
// drop (log), and the share of clients Open after the server's return. The
// row keyed "simulated" is drawn dashed in the default's colour, without an
// Open curve.
func writeFleetSVG(path, title, since string, runs []StormRun, back float64) error {
	rate := newPlot(title, "seconds since the connections dropped", fmt.Sprintf("dials per %v (log)", Bucket))
	logY(rate)
	open := newPlot("Clients Open again after the server's return", "seconds "+since, "clients Open (%)")
	open.Legend.Top, open.Legend.Left = false, false
	open.Legend.YOffs = 8 * vg.Millimeter
	top := 1.0
	for _, run := range runs {
		c, dashed := rowColors[run.Key], run.Key == KeyRetryAfter
		if run.Key == "simulated" {
			c, dashed = rowColors[KeyWsfsm], true
		}
		if run.Key == KeyNoJitter {
			if err := addPoints(rate, run.Name, series(run.Buckets), c); err != nil {
				return err
			}
		} else if err := addBuckets(rate, run.Name, run.Buckets, c, dashed); err != nil {
			return err
		}
		for _, b := range run.Buckets {
			top = max(top, float64(b))
		}
		if err := addLine(open, run.Name, openCurve(run.Opens), c, dashed); err != nil {
			return err
		}
	}
	if err := addVertical(rate, "server back", back, 1, top); err != nil {
		return err
	}
	rate.Y.Max = top * 300 // room for the legend above the curves
	const w, h = 24 * vg.Centimeter, 24 * vg.Centimeter
	img := vgsvg.New(w, h)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 8 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	plots := [][]*plot.Plot{{rate}, {open}}
	canvases := plot.Align(plots, tiles, draw.New(img))
	rate.Draw(canvases[0][0])
	open.Draw(canvases[1][0])
	return writeSVG(path, img)
}

// openCurve turns Opens per millisecond into the cumulative share of them,
// in percent, one point per Bucket.
func openCurve(opens []int) plotter.XYs {
	total := 0
	for _, x := range opens {
		total += x
	}
	if total == 0 {
		return nil
	}
	step := int(Bucket / time.Millisecond)
	xy := plotter.XYs{{X: 0, Y: 0}}
	n := 0
	for i, x := range opens {
		n += x
		if (i+1)%step == 0 || i == len(opens)-1 {
			xy = append(xy, plotter.XY{X: float64(i+1) / 1000, Y: 100 * float64(n) / float64(total)})
		}
	}
	return xy
}

func writeBackoffSVG(path string) error {
	const attempts, samples = 10, 20_000
	def := DefaultStrategy(simBase, simCap)
	delays := delaysByAttempt(def, attempts, samples, 1)
	// The envelope: the same Jitter drawing at the top, Floor 1.
	top := JitterStrategy("envelope", "envelope", retry.JitterConfig{Initial: simBase, Max: simCap, Multiplier: retry.DefaultMultiplier, Floor: 1})
	envelope := delaysByAttempt(top, attempts, 1, 1)
	var p5, p50, p95, env, full plotter.XYs
	for a, ds := range delays {
		x := float64(a + 1)
		p5 = append(p5, plotter.XY{X: x, Y: percentile(ds, 0.05).Seconds()})
		p50 = append(p50, plotter.XY{X: x, Y: percentile(ds, 0.50).Seconds()})
		p95 = append(p95, plotter.XY{X: x, Y: percentile(ds, 0.95).Seconds()})
		env = append(env, plotter.XY{X: x, Y: envelope[a][0].Seconds()})
	}
	for a, ds := range delaysByAttempt(Strategies(simBase, simCap)[1], attempts, samples, 1) {
		full = append(full, plotter.XY{X: float64(a + 1), Y: percentile(ds, 0.50).Seconds()})
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("wsfsm's default backoff: delay by attempt (%d draws each)", samples)
	p.X.Label.Text = "attempt since the connection dropped"
	p.Y.Label.Text = "delay before the dial (s)"
	p.Y.Min = 0
	p.Y.Tick.Marker = plot.TickerFunc(func(_, hi float64) []plot.Tick {
		var ts []plot.Tick
		for y := 0.0; y <= hi+2.5; y += 5 {
			ts = append(ts, plot.Tick{Value: y, Label: fmt.Sprint(y)})
		}
		return ts
	})
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for x := math.Ceil(lo); x <= hi; x++ {
			ts = append(ts, plot.Tick{Value: x, Label: fmt.Sprint(x)})
		}
		return ts
	})
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	band, err := plotter.NewPolygon(append(slices.Clone(p95), reversed(p5)...))
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	band.Color = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0x40} // not premultiplied
	band.LineStyle.Width = 0
	p.Add(band)
	p.Legend.Add("5th to 95th percentile", band)
	if err := addLine(p, "median", p50, colJitter, false); err != nil {
		return err
	}
	if err := addLine(p, "envelope (the largest delay)", env, colNoJitter, true); err != nil {
		return err
	}
	if err := addLine(p, "full jitter ×2 (the AWS study's), median", full, colMeasured, true); err != nil {
		return err
	}
	img := vgsvg.New(20*vg.Centimeter, 12*vg.Centimeter)
	p.Draw(draw.New(img))
	return writeSVG(path, img)
}

func reversed(xy plotter.XYs) plotter.XYs {
	r := slices.Clone(xy)
	slices.Reverse(r)
	return r
}

func writeSVG(path string, img *vgsvg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	if _, err := img.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	return nil
}
