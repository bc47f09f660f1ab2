package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// warmup is how many untimed iterations precede the timed ones.
const warmup = 50

// rttRound is one round of 64 B echo round trips.
type rttRound struct {
	gorillaP50, gorillaP99, connP50, connP99 time.Duration
}

// rttSlice is how many echoes one side makes before the other takes over.
const rttSlice = 100

// measureRTT times n 64-byte echoes on /echo with raw gorilla
// (WriteMessage, ReadMessage) and with Conn (Send, Receive), each on a
// connection of its own. The two take turns every rttSlice echoes (the first
// side alternates), so that a drift of the machine falls on both alike.
func measureRTT(ctx context.Context, echoURL string, n, round int) (rttRound, error) {
	var r rttRound
	ws, c, done, err := dialPair(ctx, echoURL)
	if err != nil {
		return r, err
	}
	defer done()
	msg := make([]byte, 64)
	gorilla := func() error {
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return fmt.Errorf("bench: gorilla write: %w", err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			return fmt.Errorf("bench: gorilla read: %w", err)
		}
		return nil
	}
	conn := func() error {
		if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
			return fmt.Errorf("bench: send: %w", err)
		}
		if _, _, err := c.Receive(ctx); err != nil {
			return fmt.Errorf("bench: receive: %w", err)
		}
		return nil
	}
	sides := [2]func() error{gorilla, conn}
	var lat [2][]time.Duration
	for side := range sides { // warm both up
		for range warmup {
			if err := sides[side](); err != nil {
				return r, err
			}
		}
	}
	for i := 0; len(lat[0]) < n || len(lat[1]) < n; i++ {
		for k := range 2 {
			side := (i + round + k) % 2
			for range rttSlice {
				t0 := time.Now()
				if err := sides[side](); err != nil {
					return r, err
				}
				lat[side] = append(lat[side], time.Since(t0))
			}
		}
	}
	r.gorillaP50, r.gorillaP99 = percentile(lat[0], 0.50), percentile(lat[0], 0.99)
	r.connP50, r.connP99 = percentile(lat[1], 0.50), percentile(lat[1], 0.99)
	return r, nil
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
