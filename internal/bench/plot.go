package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wsfsm/wsfsm/transport"
)

// SVG file names written by WritePlots.
const (
	StormSVG   = "storm.svg"
	BackoffSVG = "backoff.svg"
)

var (
	colMeasured = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colJitter   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colNoJitter = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colSpread   = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// WritePlots writes StormSVG and BackoffSVG into dir.
func WritePlots(dir string, cx *Context) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: plots: %w", err)
	}
	if err := writeStormSVG(filepath.Join(dir, StormSVG), cx); err != nil {
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

func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.Color, dashed bool) error {
	if len(xy) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("bench: plot %s: %w", name, err)
	}
	l.Color = c
	l.Width = vg.Points(1)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
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

func stormPanel(title string, measured, jitter, noJitter []int, back float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the connections dropped"
	p.Y.Label.Text = fmt.Sprintf("dials per %v (log)", Bucket)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.XOffs = -3 * vg.Millimeter // keep the swatches inside the canvas
	p.Add(plotter.NewGrid())
	if measured != nil {
		if err := addLine(p, "measured", series(measured), colMeasured, false); err != nil {
			return nil, err
		}
	}
	if err := addLine(p, "simulated, full jitter", series(jitter), colJitter, measured != nil); err != nil {
		return nil, err
	}
	if err := addPoints(p, "simulated, no jitter", series(noJitter), colNoJitter); err != nil {
		return nil, err
	}
	// The server's return.
	top := 1.0
	for _, b := range slices.Concat(measured, jitter, noJitter) {
		top = max(top, float64(b))
	}
	ret, err := plotter.NewLine(plotter.XYs{{X: back, Y: 1}, {X: back, Y: top}})
	if err != nil {
		return nil, fmt.Errorf("bench: plot: %w", err)
	}
	ret.Color = colSpread
	ret.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(ret)
	p.Legend.Add("server back", ret)
	return p, nil
}

func writeStormSVG(path string, cx *Context) error {
	top, err := stormPanel(fmt.Sprintf("Reconnect storm: %d clients, server killed, back after %.1f s (%s)",
		cx.StormClients, cx.StormBack, cx.StormBackoff), cx.StormMeasured, cx.StormSimJitter, cx.StormSimNoJitter, cx.StormBack)
	if err != nil {
		return err
	}
	bottom, err := stormPanel(fmt.Sprintf("Simulation: 1,000,000 clients, %.0f s outage, default backoff", cx.SimOutageS),
		nil, cx.Sim, cx.SimNoJitter, cx.SimOutageS)
	if err != nil {
		return err
	}
	const w, h = 24 * vg.Centimeter, 22 * vg.Centimeter
	img := vgsvg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 8 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	plots := [][]*plot.Plot{{top}, {bottom}}
	canvases := plot.Align(plots, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return writeSVG(path, img)
}

func writeBackoffSVG(path string) error {
	const attempts, samples = 12, 20_000
	cfg := transport.BackoffConfig{}
	delays := delaysByAttempt(cfg, attempts, samples, 1)
	var p5, p50, p95, env plotter.XYs
	for a, ds := range delays {
		x := float64(a + 1)
		p5 = append(p5, plotter.XY{X: x, Y: percentile(ds, 0.05).Seconds()})
		p50 = append(p50, plotter.XY{X: x, Y: percentile(ds, 0.50).Seconds()})
		p95 = append(p95, plotter.XY{X: x, Y: percentile(ds, 0.95).Seconds()})
		env = append(env, plotter.XY{X: x, Y: min(transport.DefaultBackoffMax, transport.DefaultBackoffInitial<<a).Seconds()})
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Backoff delay by attempt (defaults, %d draws each)", samples)
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
	if err := addLine(p, "envelope (no-jitter delay)", env, colNoJitter, true); err != nil {
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
