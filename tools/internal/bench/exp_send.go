package bench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// sendExpSides are the Send experiment's baselines after raw gorilla and
// wsfsm: raw gorilla with the write-buffer pool wsfsm gives each connection
// (a sync.Pool as Dialer.WriteBufferPool, which keeps an idle connection's
// write buffer out of its memory), then with Send's other per-message work
// as well (mirrored below).
var sendExpSides = []string{"gorilla + write-buffer pool", "gorilla + a clock read", "gorilla + net.Conn wrapper", "gorilla + pool + Send's bookkeeping"}

// bookkept is raw gorilla with the per-message work Send does around
// gorilla's WriteMessage, mirrored: the Conn's mutex (sendTurn), the
// transport's write lock (a channel) and its ctx checks, the write
// deadline's clock read (refreshWriteDeadline), the two statistics, and a
// net.Conn wrapper under gorilla (the transport's wireConn).
type bookkept struct {
	ws       *websocket.Conn
	mu       sync.Mutex
	released bool
	wmu      chan struct{}
	closing  chan struct{}
	deadline time.Time
	msgs     atomic.Uint64
	sent     atomic.Uint64
	bytes    atomic.Uint64
}

// countingConn counts the bytes written, as wireConn does for its progress
// rule.
type countingConn struct {
	net.Conn
	written uint64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written += uint64(n)
	return n, err
}

func (b *bookkept) send(ctx context.Context, data []byte) error {
	b.mu.Lock()
	ok := b.released
	b.mu.Unlock()
	if !ok {
		return net.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case b.wmu <- struct{}{}:
	default:
		select {
		case b.wmu <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-b.closing:
			return net.ErrClosed
		}
	}
	defer func() { <-b.wmu }()
	select {
	case <-b.closing:
		return net.ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.msgs.Add(1)
	if now := time.Now(); b.deadline.Sub(now) < expWriteTimeout-expWriteTimeout/8 {
		b.deadline = now.Add(expWriteTimeout)
		b.ws.SetWriteDeadline(b.deadline)
	}
	if err := b.ws.WriteMessage(websocket.BinaryMessage, data); err != nil {
		return err
	}
	b.sent.Add(1)
	b.bytes.Add(uint64(len(data)))
	return nil
}

// measureSendExp is measureThroughput with the sendExpSides as further
// sides, all interleaved in one round, each on a connection of its own. It
// returns messages per second and CPU ns per message (alternateCPU): raw
// gorilla, wsfsm, then sendExpSides.
func measureSendExp(ctx context.Context, sinkURL string, size int, dur time.Duration, round int) (rates, cpuNs []float64, err error) {
	ws, c, done, err := dialPair(ctx, sinkURL)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	pooled, _, err := (&websocket.Dialer{WriteBufferPool: &sync.Pool{}}).DialContext(ctx, sinkURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	defer pooled.Close()
	d := websocket.Dialer{WriteBufferPool: &sync.Pool{}, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c}, nil
	}}
	wrapped, _, err := (&websocket.Dialer{NetDialContext: d.NetDialContext}).DialContext(ctx, sinkURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	defer wrapped.Close()
	clocked, _, err := (&websocket.Dialer{}).DialContext(ctx, sinkURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	defer clocked.Close()
	var last time.Time
	bws, _, err := d.DialContext(ctx, sinkURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	defer bws.Close()
	bk := &bookkept{ws: bws, released: true, wmu: make(chan struct{}, 1), closing: make(chan struct{})}
	msg := make([]byte, size)
	rates, cpuNs, err = alternateCPU([]func() error{
		func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) },
		func() error { return c.Send(ctx, wsfsm.Binary, msg) },
		func() error { return pooled.WriteMessage(websocket.BinaryMessage, msg) },
		func() error { last = time.Now(); return clocked.WriteMessage(websocket.BinaryMessage, msg) },
		func() error { return wrapped.WriteMessage(websocket.BinaryMessage, msg) },
		func() error { return bk.send(ctx, msg) },
	}, dur, round)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: write: %w", err)
	}
	_ = last
	return rates, cpuNs, nil
}

// expWriteTimeout is the transport's DefaultWriteTimeout (internal to the
// library's module).
const expWriteTimeout = 10 * time.Second
