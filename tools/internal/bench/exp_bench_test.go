package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// The experiments of docs/BENCHMARKS.md's "What bounds each miss": run
// with -bench Exp -benchtime 1x. Each starts the suite's server process
// and pins both sides as the suite does (client CPU 0 with GOMAXPROCS 1,
// server CPU 1). BenchmarkExpSide* run one side alone, for -cpuprofile;
// BenchmarkExpCompare* interleave the sides in rounds (EXP_ROUNDS, default
// 5) and log medians [min, max].

// expServer starts the pinned server process and pins this process.
func expServer(b *testing.B) *serverProc {
	b.Helper()
	pin := newPinner()
	srv, err := startServer(b.Context(), testSelf(), "127.0.0.1:0", pin, pin.serverCPU)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.stop)
	if err := pin.pinSelf(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := pin.unpinSelf(); err != nil {
			b.Error(err)
		}
	})
	b.Logf("pinning: %s", pin.note)
	return srv
}

func expRounds() int {
	if n, err := strconv.Atoi(os.Getenv("EXP_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// mfig formats a Figure as "median [min, max]".
func mfig(xs []float64, prec int) string {
	f := summarize(xs)
	return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, f.Median, prec, f.Min, prec, f.Max)
}

// expCol is a column of an experiment's table: the text before each figure
// and the figure's decimals.
type expCol struct {
	label string
	prec  int
}

// logExpTable runs expRounds rounds of measure, which returns a round's
// figures with a row per side of names and a column per col, and logs title
// then a row per side: its name padded to width, then each column's median
// [min, max] over the rounds.
func logExpTable(b *testing.B, title string, names []string, width int, cols []expCol, measure func(round int) ([][]float64, error)) {
	b.Helper()
	series := make([][][]float64, len(names)) // side, column, round
	for i := range series {
		series[i] = make([][]float64, len(cols))
	}
	for round := range expRounds() {
		rows, err := measure(round)
		if err != nil {
			b.Fatal(err)
		}
		for i, row := range rows {
			for j, x := range row {
				series[i][j] = append(series[i][j], x)
			}
		}
	}
	var sb strings.Builder
	sb.WriteString(title + "\n")
	for i, n := range names {
		fmt.Fprintf(&sb, "  %-*s", width, n)
		for j, c := range cols {
			f := mfig(series[i][j], c.prec)
			if j < len(cols)-1 {
				f = fmt.Sprintf("%-22s", f)
			}
			fmt.Fprintf(&sb, " %s%s", c.label, f)
		}
		sb.WriteString("\n")
	}
	b.Log(sb.String())
}

// expSide runs one side's call b.N times.
func expSide(b *testing.B, call func() error) {
	b.Helper()
	b.ResetTimer()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpSideReceive64(b *testing.B) {
	srv := expServer(b)
	url := srv.url(SourcePath) + "?size=64"
	ctx := b.Context()
	b.Run("gorilla", func(b *testing.B) {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		expSide(b, func() error { _, _, err := ws.ReadMessage(); return err })
	})
	for _, hs := range handoffSides {
		b.Run(strings.ReplaceAll(strings.TrimPrefix(hs.name, "gorilla + "), " + ", "_"), func(b *testing.B) {
			h, err := dialHandoff(ctx, url, hs.yield, hs.sel)
			if err != nil {
				b.Fatal(err)
			}
			defer h.close()
			expSide(b, func() error { _, err := h.next(); return err })
		})
	}
	b.Run("wsfsm", func(b *testing.B) {
		c, err := wsfsm.Dial(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Abort()
		expSide(b, func() error { _, _, err := c.Receive(ctx); return err })
	})
}

func BenchmarkExpCompareReceive64(b *testing.B)  { expCompareReceive(b, 64) }
func BenchmarkExpCompareReceive16k(b *testing.B) { expCompareReceive(b, 16<<10) }

func expCompareReceive(b *testing.B, size int) {
	srv := expServer(b)
	for b.Loop() {
		var raw, conn []float64
		ho := make([][]float64, len(handoffSides))
		for round := range expRounds() {
			r, err := measureReceiveExp(b.Context(), srv.url(SourcePath), size, 300*time.Millisecond, round)
			if err != nil {
				b.Fatal(err)
			}
			raw, conn = append(raw, 1e9/r.gorilla), append(conn, 1e9/r.conn)
			for i, x := range r.handoffs {
				ho[i] = append(ho[i], 1e9/x)
			}
		}
		ratio := func(num, den []float64) []float64 { // rate ÷ rate = ns ÷ ns inverted
			out := make([]float64, len(num))
			for i := range num {
				out[i] = den[i] / num[i]
			}
			return out
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "receive %d B, %d rounds, ns per message; rate ÷ raw rate; wsfsm's rate ÷ this side's\n", size, len(raw))
		fmt.Fprintf(&sb, "  %-48s %-18s\n", "gorilla ReadMessage", mfig(raw, 0))
		for i, hs := range handoffSides {
			fmt.Fprintf(&sb, "  %-48s %-18s %-24s %s\n", hs.name, mfig(ho[i], 0), mfig(ratio(ho[i], raw), 3), mfig(ratio(conn, ho[i]), 3))
		}
		fmt.Fprintf(&sb, "  %-48s %-18s %s", "wsfsm Receive", mfig(conn, 0), mfig(ratio(conn, raw), 3))
		b.Log(sb.String())
	}
}

func BenchmarkExpCompareRTT(b *testing.B) {
	srv := expServer(b)
	names := []string{"gorilla", "wsfsm"}
	for _, s := range rttExpSides {
		names = append(names, s.name+" + select")
	}
	for b.Loop() {
		title := fmt.Sprintf("64 B echo, %d rounds, ratio to raw gorilla's p50 and p99", expRounds())
		logExpTable(b, title, names, 48, []expCol{{"p50 ", 3}, {"p99 ", 3}}, func(round int) ([][]float64, error) {
			a, z, err := measureRTTExp(b.Context(), srv.url("/echo"), 2000, round)
			if err != nil {
				return nil, err
			}
			rows := make([][]float64, len(names))
			for i := range rows {
				rows[i] = []float64{float64(a[i]) / float64(a[0]), float64(z[i]) / float64(z[0])}
			}
			return rows, nil
		})
	}
}

func BenchmarkExpSideSend64(b *testing.B) {
	srv := expServer(b)
	url := srv.url("/sink")
	ctx := b.Context()
	msg := make([]byte, 64)
	b.Run("gorilla", func(b *testing.B) {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		expSide(b, func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) })
	})
	b.Run("wsfsm", func(b *testing.B) {
		c, err := wsfsm.Dial(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Abort()
		expSide(b, func() error { return c.Send(ctx, wsfsm.Binary, msg) })
	})
}

func BenchmarkExpCompareSend64(b *testing.B) {
	srv := expServer(b)
	names := append([]string{"gorilla WriteMessage", "wsfsm Send"}, sendExpSides...)
	for b.Loop() {
		title := fmt.Sprintf("send 64 B, %d rounds: wall ns per message; rate ÷ raw gorilla's; CPU ns per message; raw's CPU ÷ this side's", expRounds())
		logExpTable(b, title, names, 38, []expCol{{"", 0}, {"", 3}, {"", 0}, {"", 3}}, func(round int) ([][]float64, error) {
			r, c, err := measureSendExp(b.Context(), srv.url("/sink"), 64, 300*time.Millisecond, round)
			if err != nil {
				return nil, err
			}
			rows := make([][]float64, len(names))
			for i := range rows {
				rows[i] = []float64{1e9 / r[i], r[i] / r[0], c[i], c[0] / c[i]}
			}
			return rows, nil
		})
	}
}

// dialFake dials url with d (whose NetDialContext gives a fakeConn), failing
// b on an error; the connection is closed when b ends.
func dialFake(b *testing.B, d websocket.Dialer, url string) *websocket.Conn {
	b.Helper()
	ws, _, err := d.DialContext(b.Context(), url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	return ws
}

// dialFakeConn dials a wsfsm Conn to url over a fakeConn that serves frames,
// failing b on an error; the Conn is aborted when b ends.
func dialFakeConn(b *testing.B, url string, frames []byte) *wsfsm.Conn {
	b.Helper()
	c, err := wsfsm.Dial(b.Context(), url, &wsfsm.Options{NetDialContext: fakeDial(newFakeConn(frames))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Abort() })
	return c
}

// BenchmarkExpCPU* measure each side's CPU per message on a fakeConn: no
// network, no syscall, so what is left is each library's own work.
func BenchmarkExpCPUSend64(b *testing.B) {
	ctx := b.Context()
	msg := make([]byte, 64)
	url := "ws://127.0.0.1:2/sink"
	b.Run("gorilla", func(b *testing.B) {
		ws := dialFake(b, websocket.Dialer{NetDialContext: fakeDial(newFakeConn(nil))}, url)
		b.ReportAllocs()
		expSide(b, func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) })
	})
	b.Run("gorilla_pool", func(b *testing.B) {
		ws := dialFake(b, websocket.Dialer{WriteBufferPool: &sync.Pool{}, NetDialContext: fakeDial(newFakeConn(nil))}, url)
		b.ReportAllocs()
		expSide(b, func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) })
	})
	b.Run("bookkept", func(b *testing.B) {
		ws := dialFake(b, websocket.Dialer{WriteBufferPool: &sync.Pool{}, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return &countingConn{Conn: newFakeConn(nil)}, nil
		}}, url)
		bk := &bookkept{ws: ws, released: true, wmu: make(chan struct{}, 1), closing: make(chan struct{})}
		b.ReportAllocs()
		expSide(b, func() error { return bk.send(ctx, msg) })
	})
	b.Run("wsfsm", func(b *testing.B) {
		c := dialFakeConn(b, url, nil)
		b.ReportAllocs()
		expSide(b, func() error { return c.Send(ctx, wsfsm.Binary, msg) })
	})
}

func BenchmarkExpCPUReceive64(b *testing.B) {
	ctx := b.Context()
	url := "ws://127.0.0.1:2/source"
	frames := sourceBatch(64, 4<<10)
	b.Run("gorilla", func(b *testing.B) {
		ws := dialFake(b, websocket.Dialer{NetDialContext: fakeDial(newFakeConn(frames))}, url)
		b.ReportAllocs()
		expSide(b, func() error { _, _, err := ws.ReadMessage(); return err })
	})
	for _, hs := range handoffSides {
		b.Run(strings.ReplaceAll(strings.ReplaceAll(strings.TrimPrefix(hs.name, "gorilla + "), " + ", "_"), " ", "-"), func(b *testing.B) {
			h, err := dialHandoffVia(ctx, url, hs.yield, hs.sel, fakeDial(newFakeConn(frames)))
			if err != nil {
				b.Fatal(err)
			}
			defer h.close()
			b.ReportAllocs()
			expSide(b, func() error { _, err := h.next(); return err })
		})
	}
	b.Run("wsfsm", func(b *testing.B) {
		c := dialFakeConn(b, url, frames)
		b.ReportAllocs()
		expSide(b, func() error { _, _, err := c.Receive(ctx); return err })
	})
}

func BenchmarkExpSideFailover(b *testing.B) {
	srv := expServer(b)
	ctx := b.Context()
	b.Run("gorilla", func(b *testing.B) {
		g, err := newLoopFailover(ctx, srv.url(DropPath))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { g.ws.Close() }()
		var total, detect, dial []time.Duration
		expSide(b, func() error {
			t, d, di, err := g.once(ctx)
			total, detect, dial = append(total, t), append(detect, d), append(dial, di)
			return err
		})
		b.ReportMetric(float64(percentile(total, 0.5).Microseconds()), "p50-us")
		b.ReportMetric(float64(percentile(detect, 0.5).Microseconds()), "detect-us")
		b.ReportMetric(float64(percentile(dial, 0.5).Microseconds()), "dial-us")
	})
	b.Run("wsfsm", func(b *testing.B) {
		w, err := newConnFailover(ctx, srv.url(DropPath))
		if err != nil {
			b.Fatal(err)
		}
		defer w.c.Abort()
		var total, detect, loop, dial []time.Duration
		expSide(b, func() error {
			t, d, l, di, err := w.once(ctx)
			total, detect, loop, dial = append(total, t), append(detect, d), append(loop, l), append(dial, di)
			return err
		})
		b.ReportMetric(float64(percentile(total, 0.5).Microseconds()), "p50-us")
		b.ReportMetric(float64(percentile(detect, 0.5).Microseconds()), "detect-us")
		b.ReportMetric(float64(percentile(loop, 0.5).Microseconds()), "loop-us")
		b.ReportMetric(float64(percentile(dial, 0.5).Microseconds()), "dial-us")
	})
}

// BenchmarkExpCPUFailover: drop -> connected again on fakeConns, the two
// sides interleaved every failoverSlice failovers, phases at p50.
func BenchmarkExpCPUFailover(b *testing.B) {
	ctx := b.Context()
	f, err := newFakeFailover(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer f.close()
	var wt, wd, wl, wdi, gt, gd, gdi []time.Duration
	for b.Loop() {
		for range failoverSlice {
			t, d, l, di, err := f.conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			wt, wd, wl, wdi = append(wt, t), append(wd, d), append(wl, l), append(wdi, di)
		}
		for range failoverSlice {
			t, d, di, err := f.gorilla(ctx)
			if err != nil {
				b.Fatal(err)
			}
			gt, gd, gdi = append(gt, t), append(gd, d), append(gdi, di)
		}
	}
	us := func(d []time.Duration) float64 { return float64(percentile(d, 0.5).Nanoseconds()) / 1e3 }
	b.ReportMetric(us(gt), "gorilla-us")
	b.ReportMetric(us(gd), "g-detect-us")
	b.ReportMetric(us(gdi), "g-close+dial-us")
	b.ReportMetric(us(wt), "wsfsm-us")
	b.ReportMetric(us(wd), "w-detect-us")
	b.ReportMetric(us(wl), "w-loop-us")
	b.ReportMetric(us(wdi), "w-dial-us")
}

func BenchmarkExpCompareAbort(b *testing.B) {
	srv := expServer(b)
	names := []string{"gorilla Close", "wsfsm Abort", "gorilla + handoff, Close"}
	for b.Loop() {
		title := fmt.Sprintf("abort, %d rounds of 400 each: p50 us; p99 us; p50 ÷ gorilla's; p99 ÷ gorilla's", expRounds())
		logExpTable(b, title, names, 26, []expCol{{"", 1}, {"", 1}, {"", 3}, {"", 3}}, func(round int) ([][]float64, error) {
			a, z, err := measureAbortExp(b.Context(), srv.url("/echo"), 400, round)
			if err != nil {
				return nil, err
			}
			rows := make([][]float64, len(names))
			for i := range rows {
				rows[i] = []float64{us(a[i]), us(z[i]), float64(a[i]) / float64(a[0]), float64(z[i]) / float64(z[0])}
			}
			return rows, nil
		})
	}
}

// BenchmarkExpCPUAbort: Abort (wsfsm) and Close (gorilla, and gorilla with
// a handoff reader) on fakeConns, until the blocked read returned; the
// sides interleaved every abortSlice, p50 and p99 reported.
func BenchmarkExpCPUAbort(b *testing.B) {
	ctx := b.Context()
	url := "ws://127.0.0.1:2/fake"
	fake := func(context.Context, string, string) (net.Conn, error) { return newFakeConn(nil), nil }
	gorilla := func() (time.Duration, error) {
		ws, _, err := (&websocket.Dialer{NetDialContext: fake}).DialContext(ctx, url, nil)
		if err != nil {
			return 0, err
		}
		returned := make(chan time.Time, 1)
		go func() {
			_, _, _ = ws.ReadMessage()
			returned <- time.Now()
		}()
		time.Sleep(200 * time.Microsecond)
		t0 := time.Now()
		ws.Close()
		return (<-returned).Sub(t0), nil
	}
	handoff := func() (time.Duration, error) {
		h, err := dialHandoffVia(ctx, url, yieldEach, true, fake)
		if err != nil {
			return 0, err
		}
		returned := make(chan time.Time, 1)
		go func() {
			_, _ = h.next()
			returned <- time.Now()
		}()
		time.Sleep(200 * time.Microsecond)
		t0 := time.Now()
		h.ws.Close()
		d := (<-returned).Sub(t0)
		h.close()
		return d, nil
	}
	conn := func() (time.Duration, error) {
		c, err := wsfsm.Dial(ctx, url, &wsfsm.Options{NetDialContext: fake})
		if err != nil {
			return 0, err
		}
		returned := make(chan time.Time, 1)
		go func() {
			_, _, _ = c.Receive(ctx)
			returned <- time.Now()
		}()
		return timeAbort(c, returned), nil
	}
	sides := []func() (time.Duration, error){gorilla, conn, handoff}
	lat := make([][]time.Duration, len(sides))
	for b.Loop() {
		for i, side := range sides {
			for range abortSlice {
				d, err := side()
				if err != nil {
					b.Fatal(err)
				}
				lat[i] = append(lat[i], d)
			}
		}
	}
	for i, name := range []string{"gorilla", "wsfsm", "handoff"} {
		b.ReportMetric(float64(percentile(lat[i], 0.5).Nanoseconds())/1e3, name+"-p50-us")
		b.ReportMetric(float64(percentile(lat[i], 0.99).Nanoseconds())/1e3, name+"-p99-us")
	}
}
