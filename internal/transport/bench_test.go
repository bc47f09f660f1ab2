package transport

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/wstest"
)

// latencies records one duration per iteration and reports p50/p99 as
// benchmark metrics (and in the log with -v).
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	p := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	b.ReportMetric(float64(p(0.50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p(0.99).Nanoseconds()), "p99-ns")
	b.Logf("n=%d p50=%v p99=%v max=%v", len(s), p(0.50), p(0.99), s[len(s)-1])
}

// benchLink dials /echo and proves the reader is up (and about to block
// in its next read) with one echo.
func benchLink(b *testing.B, s *wstest.Server, done func(error, uint64)) (*Link, chan Message) {
	ctx := context.Background()
	l, err := Dial(ctx, s.URL("/echo"), DialConfig{})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make(chan Message, 1)
	l.StartReader(msgs, nil, Turn{}, done)
	if err := l.WriteMessage(ctx, websocket.TextMessage, []byte("x")); err != nil {
		b.Fatal(err)
	}
	<-msgs
	return l, msgs
}

// benchLatency runs b.N rounds of prepare, untimed, then the operation it
// returns, timed, then after (nil for nothing), untimed; it reports the
// operation's p50 and p99.
func benchLatency(b *testing.B, prepare func() (op, after func())) {
	lat := make(latencies, 0, 1024)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		op, after := prepare()
		b.StartTimer()
		t0 := time.Now()
		op()
		lat = append(lat, time.Since(t0))
		if after != nil {
			b.StopTimer()
			after()
			b.StartTimer()
		}
	}
	b.StopTimer()
	lat.report(b)
}

// BenchmarkAbortUnblocksReader times Abort until the blocked reader
// goroutine has returned its error.
func BenchmarkAbortUnblocksReader(b *testing.B) {
	s := wstest.NewServer()
	defer s.Close()
	ended := make(chan struct{}, 1)
	benchLatency(b, func() (func(), func()) {
		l, _ := benchLink(b, s, func(error, uint64) { ended <- struct{}{} })
		return func() {
			l.Abort()
			<-ended
		}, func() { <-l.Done() }
	})
}

// BenchmarkGracefulClose times Link.Close against a responsive local peer:
// with the reader running (the normal case) and with Close reading itself.
func BenchmarkGracefulClose(b *testing.B) {
	for _, withReader := range []bool{true, false} {
		name := map[bool]string{true: "reader", false: "self-read"}[withReader]
		b.Run(name, func(b *testing.B) {
			s := wstest.NewServer()
			defer s.Close()
			ctx := context.Background()
			benchLatency(b, func() (func(), func()) {
				var l *Link
				if withReader {
					l, _ = benchLink(b, s, nil)
				} else {
					var err error
					if l, err = Dial(ctx, s.URL("/echo"), DialConfig{}); err != nil {
						b.Fatal(err)
					}
				}
				var res CloseResult
				var err error
				return func() { res, err = l.Close(ctx, websocket.CloseNormalClosure, "") }, func() {
					if err != nil || !res.Completed {
						b.Fatalf("Close = %+v, %v", res, err)
					}
				}
			})
		})
	}
}

// BenchmarkGorillaGracefulClose is the same close done by hand with raw
// gorilla: WriteControl(close), read until the peer's close frame, Close.
func BenchmarkGorillaGracefulClose(b *testing.B) {
	s := wstest.NewServer()
	defer s.Close()
	d := websocket.Dialer{}
	benchLatency(b, func() (func(), func()) {
		ws, _, err := d.Dial(s.URL("/echo"), nil)
		if err != nil {
			b.Fatal(err)
		}
		closeByHand := func() {
			err = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
			ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			for err == nil {
				_, _, err = ws.NextReader()
			}
			ws.Close()
		}
		return closeByHand, func() {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				b.Fatalf("gorilla close ended with %v", err)
			}
		}
	})
}

// BenchmarkGorillaAbortUnblocksReader is the reference for
// BenchmarkAbortUnblocksReader: raw gorilla, closing the net.Conn under a
// goroutine blocked in NextReader.
func BenchmarkGorillaAbortUnblocksReader(b *testing.B) {
	s := wstest.NewServer()
	defer s.Close()
	d := websocket.Dialer{}
	ended := make(chan struct{}, 1)
	echoed := make(chan struct{}, 1)
	benchLatency(b, func() (func(), func()) {
		ws, _, err := d.Dial(s.URL("/echo"), nil)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					ended <- struct{}{}
					return
				}
				echoed <- struct{}{}
			}
		}()
		if err := ws.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
			b.Fatal(err)
		}
		<-echoed
		return func() {
			ws.NetConn().Close()
			<-ended
		}, nil
	})
}
