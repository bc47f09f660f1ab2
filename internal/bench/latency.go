package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// warmup is how many untimed iterations precede the timed ones.
const warmup = 50

// rttRound is one round of 64 B echo round trips.
type rttRound struct {
	gorillaP50, gorillaP99, connP50, connP99 time.Duration
}

// measureRTT times n 64-byte echoes on /echo with raw gorilla
// (WriteMessage, ReadMessage) and with Conn (Send, Receive).
func measureRTT(ctx context.Context, echoURL string, n, round int) (rttRound, error) {
	var r rttRound
	msg := make([]byte, 64)
	gorilla := func() error {
		d := websocket.Dialer{}
		ws, _, err := d.DialContext(ctx, echoURL, nil)
		if err != nil {
			return fmt.Errorf("bench: gorilla dial: %w", err)
		}
		defer ws.Close()
		lat := make([]time.Duration, 0, n)
		for i := range n + warmup {
			t0 := time.Now()
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return fmt.Errorf("bench: gorilla write: %w", err)
			}
			if _, _, err := ws.ReadMessage(); err != nil {
				return fmt.Errorf("bench: gorilla read: %w", err)
			}
			if i >= warmup {
				lat = append(lat, time.Since(t0))
			}
		}
		r.gorillaP50, r.gorillaP99 = percentile(lat, 0.50), percentile(lat, 0.99)
		return nil
	}
	conn := func() error {
		c, err := wsfsm.Dial(ctx, echoURL, nil)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer c.Abort()
		lat := make([]time.Duration, 0, n)
		for i := range n + warmup {
			t0 := time.Now()
			if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
				return fmt.Errorf("bench: send: %w", err)
			}
			if _, _, err := c.Receive(ctx); err != nil {
				return fmt.Errorf("bench: receive: %w", err)
			}
			if i >= warmup {
				lat = append(lat, time.Since(t0))
			}
		}
		r.connP50, r.connP99 = percentile(lat, 0.50), percentile(lat, 0.99)
		return nil
	}
	first, second := gorilla, conn
	if round%2 == 1 {
		first, second = conn, gorilla
	}
	if err := first(); err != nil {
		return r, err
	}
	return r, second()
}

// measureDial times n raw gorilla dials with handshake on /echo: the
// baseline of failover.
func measureDial(ctx context.Context, echoURL string, n int) (p50 time.Duration, err error) {
	d := websocket.Dialer{}
	lat := make([]time.Duration, 0, n)
	for i := range n + warmup {
		t0 := time.Now()
		ws, _, err := d.DialContext(ctx, echoURL, nil)
		if err != nil {
			return 0, fmt.Errorf("bench: gorilla dial: %w", err)
		}
		if i >= warmup {
			lat = append(lat, time.Since(t0))
		}
		ws.Close()
	}
	return percentile(lat, 0.50), nil
}

// measureFailover times "server drops TCP -> Conn Open again" n times on
// DropPath, with ImmediateFirstRetry and a backoff reset on every open (so
// every drop is a first retry). The start is the server's own clock reading
// at the drop, sent on the next connection; the end is the Open transition.
func measureFailover(ctx context.Context, dropURL string, n int) (p50, p99 time.Duration, err error) {
	opens := make(chan time.Time, 4)
	c, err := wsfsm.Dial(ctx, dropURL, &wsfsm.Options{
		ImmediateFirstRetry: true,
		MinUptime:           -1,
		OnTransition: func(t wsfsm.Transition) {
			if t.To == fsm.Open {
				opens <- t.At
			}
		},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
	if _, err := nextOpen(ctx, opens); err != nil { // the first connection
		return 0, 0, err
	}
	if _, err := receiveStamp(ctx, c); err != nil { // and its greeting
		return 0, 0, err
	}
	lat := make([]time.Duration, 0, n)
	ping := []byte("drop")
	for i := range n + warmup {
		if err := c.Send(ctx, wsfsm.Binary, ping); err != nil {
			return 0, 0, fmt.Errorf("bench: send: %w", err)
		}
		droppedAt, err := receiveStamp(ctx, c) // sent by the next connection
		if err != nil {
			return 0, 0, err
		}
		openedAt, err := nextOpen(ctx, opens) // each connection opens exactly once
		if err != nil {
			return 0, 0, err
		}
		if i >= warmup {
			lat = append(lat, time.Duration(openedAt.UnixNano()-droppedAt))
		}
	}
	return percentile(lat, 0.50), percentile(lat, 0.99), nil
}

// nextOpen waits for the next Open transition's time.
func nextOpen(ctx context.Context, opens <-chan time.Time) (time.Time, error) {
	select {
	case at := <-opens:
		return at, nil
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("bench: waiting for Open: %w", ctx.Err())
	case <-time.After(10 * time.Second):
		return time.Time{}, fmt.Errorf("bench: no Open transition within 10 s")
	}
}

func receiveStamp(ctx context.Context, c *wsfsm.Conn) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, b, err := c.Receive(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: failover stamp: %w", err)
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("bench: failover stamp: %d bytes, want 8", len(b))
	}
	var v int64
	for _, x := range b {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// measureReconnect times Conn.Reconnect (abort, immediate redial, Open on
// a fresh connection) n times on /echo.
func measureReconnect(ctx context.Context, echoURL string, n int) (p50 time.Duration, err error) {
	c, err := wsfsm.Dial(ctx, echoURL, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
	lat := make([]time.Duration, 0, n)
	for i := range n + warmup {
		t0 := time.Now()
		if err := c.Reconnect(ctx); err != nil {
			return 0, fmt.Errorf("bench: reconnect: %w", err)
		}
		if i >= warmup {
			lat = append(lat, time.Since(t0))
		}
	}
	return percentile(lat, 0.50), nil
}
