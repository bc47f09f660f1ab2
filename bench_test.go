package wsfsm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

// The hot paths, each beside raw gorilla/websocket doing the same on the same
// in-process server, so that `benchstat` shows a regression of ours apart
// from the machine's noise. tools/cmd/bench measures the same pairs with the
// server in another process, pinned.

func benchConn(b *testing.B, url string) *wsfsm.Conn {
	b.Helper()
	c, err := wsfsm.Dial(context.Background(), url, &wsfsm.Options{PingInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Abort() })
	return c
}

func benchGorilla(b *testing.B, url string) *websocket.Conn {
	b.Helper()
	ws, _, err := (&websocket.Dialer{}).Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ws.Close() })
	return ws
}

func benchSizes(b *testing.B, run func(b *testing.B, size int)) {
	for _, s := range []struct {
		name string
		size int
	}{{"64B", 64}, {"16KiB", 16 << 10}} {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			run(b, s.size)
		})
	}
}

// BenchmarkSend is one-way Conn.Send to a server that discards.
func BenchmarkSend(b *testing.B) {
	srv := newServer(b, wstest.DiscardSink())
	benchSizes(b, func(b *testing.B, size int) {
		c := benchConn(b, srv.URL("/sink"))
		msg, ctx := make([]byte, size), context.Background()
		for b.Loop() {
			if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGorillaWrite is BenchmarkSend's reference: WriteMessage on a raw
// gorilla connection.
func BenchmarkGorillaWrite(b *testing.B) {
	srv := newServer(b, wstest.DiscardSink())
	benchSizes(b, func(b *testing.B, size int) {
		ws := benchGorilla(b, srv.URL("/sink"))
		msg := make([]byte, size)
		for b.Loop() {
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEcho is a round trip through /echo: Send, then Receive.
func BenchmarkEcho(b *testing.B) {
	srv := newServer(b)
	benchSizes(b, func(b *testing.B, size int) {
		c := benchConn(b, srv.URL("/echo"))
		msg, ctx := make([]byte, size), context.Background()
		for b.Loop() {
			if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.Receive(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGorillaEcho is BenchmarkEcho's reference: WriteMessage, then
// ReadMessage on a raw gorilla connection.
func BenchmarkGorillaEcho(b *testing.B) {
	srv := newServer(b)
	benchSizes(b, func(b *testing.B, size int) {
		ws := benchGorilla(b, srv.URL("/echo"))
		msg := make([]byte, size)
		for b.Loop() {
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				b.Fatal(err)
			}
			if _, _, err := ws.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAbort times Abort on an Open Conn whose Receive is blocked, until
// both Abort and that Receive returned, and reports p50 and p99.
func BenchmarkAbort(b *testing.B) {
	srv := newServer(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		b.StopTimer()
		c, err := wsfsm.Dial(ctx, srv.URL("/echo"), &wsfsm.Options{PingInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Send(ctx, wsfsm.Text, []byte("x")); err != nil {
			b.Fatal(err)
		}
		echoed, returned := make(chan struct{}), make(chan time.Time, 1)
		go func() {
			_, _, _ = c.Receive(ctx) // the echo: the reader is running
			close(echoed)
			_, _, _ = c.Receive(ctx) // blocks until Abort
			returned <- time.Now()
		}()
		<-echoed
		runtime.Gosched() // let the Receive block again; if it did not, the time only grows
		b.StartTimer()
		t0 := time.Now()
		_ = c.Abort()
		lat = append(lat, time.Since(t0))
		if d := (<-returned).Sub(t0); d > lat[len(lat)-1] {
			lat[len(lat)-1] = d
		}
	}
	reportPercentiles(b, lat)
}

// reportPercentiles adds p50 and p99 of lat, in µs, to the benchmark's line.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// firehose is a server that writes size-byte binary messages as fast as the
// client reads them, until the client goes away.
func firehose(b *testing.B, size int) string {
	b.Helper()
	return testkit.ServeWS(b, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		msg := make([]byte, size)
		for ws.WriteMessage(websocket.BinaryMessage, msg) == nil {
		}
	})
}

// BenchmarkReceive is Conn.Receive from a server that never stops sending.
func BenchmarkReceive(b *testing.B) {
	benchSizes(b, func(b *testing.B, size int) {
		c := benchConn(b, firehose(b, size))
		ctx := context.Background()
		for b.Loop() {
			if _, _, err := c.Receive(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGorillaRead is BenchmarkReceive's reference: ReadMessage on a raw
// gorilla connection.
func BenchmarkGorillaRead(b *testing.B) {
	benchSizes(b, func(b *testing.B, size int) {
		ws := benchGorilla(b, firehose(b, size))
		for b.Loop() {
			if _, _, err := ws.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompressionJSON sends the same JSON feed (batches of ten quotes,
// about 1 KiB a message) with permessage-deflate off and on, to a server that
// accepts it, and reports the bytes that went on the wire per message and
// their ratio to the message's size: the cost is the ns/op beside "off".
func BenchmarkCompressionJSON(b *testing.B) {
	url := testkit.ServeWS(b, &websocket.Upgrader{EnableCompression: true}, testkit.Drain)
	feed := jsonFeed(256)
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			var wire atomic.Int64
			c, err := wsfsm.Dial(context.Background(), url, &wsfsm.Options{
				PingInterval:      -1,
				EnableCompression: on,
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return &testkit.CountingConn{Conn: nc, Out: &wire}, nil
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Abort()
			if c.Compressed() != on {
				b.Fatalf("compression negotiated: %v, want %v", c.Compressed(), on)
			}
			ctx := context.Background()
			var size int64
			start := wire.Load()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				msg := feed[i%len(feed)]
				i++
				size += int64(len(msg))
				if err := c.Send(ctx, wsfsm.Text, msg); err != nil {
					b.Fatal(err)
				}
			}
			sent := wire.Load() - start
			b.ReportMetric(float64(sent)/float64(i), "wire-B/msg")
			b.ReportMetric(float64(sent)/float64(size), "wire/size")
		})
	}
}

// jsonFeed makes n messages of ten market quotes each, deterministic.
func jsonFeed(n int) [][]byte {
	symbols := []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "ORCL"}
	r := rand.New(rand.NewPCG(1, 2))
	var out [][]byte
	for i := range n {
		var b strings.Builder
		b.WriteString(`{"type":"quotes","seq":` + strconv.Itoa(i) + `,"quotes":[`)
		for q := range 10 {
			if q > 0 {
				b.WriteByte(',')
			}
			bid := 100 + r.Float64()*400
			fmt.Fprintf(&b, `{"symbol":%q,"bid":%.2f,"ask":%.2f,"size":%d,"venue":"XNAS","ts":"2026-11-28T17:%02d:%02d.%03dZ"}`,
				symbols[r.IntN(len(symbols))], bid, bid+0.01*float64(1+r.IntN(5)), 100*(1+r.IntN(50)), q, i%60, r.IntN(1000))
		}
		b.WriteString("]}")
		out = append(out, []byte(b.String()))
	}
	return out
}
