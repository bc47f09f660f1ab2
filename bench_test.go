package wsfsm_test

import (
	"context"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// The hot paths, each beside raw gorilla/websocket doing the same on the same
// in-process server, so that `benchstat` shows a regression of ours apart
// from the machine's noise. cmd/wsfsm bench measures the same pairs with the
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
