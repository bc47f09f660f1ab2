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

// rttSlice is how many echoes one side makes before the other takes over.
const rttSlice = 100

// measureRTT times n 64-byte echoes on /echo with raw gorilla
// (WriteMessage, ReadMessage) and with Conn (Send, Receive), each on a
// connection of its own. The two take turns every rttSlice echoes (the first
// side alternates), so that a drift of the machine falls on both alike.
func measureRTT(ctx context.Context, echoURL string, n, round int) (rttRound, error) {
	var r rttRound
	ws, _, err := (&websocket.Dialer{}).DialContext(ctx, echoURL, nil)
	if err != nil {
		return r, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	defer ws.Close()
	c, err := wsfsm.Dial(ctx, echoURL, nil)
	if err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
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

// failoverRound is one round of failovers: the whole time and its phases,
// each at its p50.
type failoverRound struct {
	p50, p99 time.Duration
	// detect: the server's drop to the Aborted transition (FIN on the wire,
	// the reader woken, the dead socket closed); loop: Aborted to Connecting
	// (policy, backoff of zero, the next dial started); dial: Connecting to
	// Open (TCP, HTTP upgrade, reader started).
	detect, loop, dial time.Duration
}

// measureFailover times "server drops TCP -> Conn Open again" n times on
// DropPath, with ImmediateFirstRetry and a backoff reset on every open (so
// every drop is a first retry). The start is the server's own clock reading
// at the drop, sent on the next connection; the end is the Open transition.
func measureFailover(ctx context.Context, dropURL string, n int) (r failoverRound, err error) {
	type stamp struct {
		to fsm.State
		at time.Time
	}
	stamps := make(chan stamp, 16)
	c, err := wsfsm.Dial(ctx, dropURL, &wsfsm.Options{
		ImmediateFirstRetry: true,
		MinUptime:           -1,
		OnTransition: func(t wsfsm.Transition) {
			if t.To == fsm.Aborted || t.To == fsm.Connecting || t.To == fsm.Open {
				stamps <- stamp{t.To, t.At}
			}
		},
	})
	if err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
	// next returns the times of the next transitions into each of want, in
	// order; each connection goes through them exactly once.
	next := func(want ...fsm.State) ([]time.Time, error) {
		var ats []time.Time
		for _, w := range want {
			select {
			case s := <-stamps:
				if s.to != w {
					return nil, fmt.Errorf("bench: failover: entered %s, expected %s", s.to, w)
				}
				ats = append(ats, s.at)
			case <-ctx.Done():
				return nil, fmt.Errorf("bench: waiting for %s: %w", w, ctx.Err())
			case <-time.After(10 * time.Second):
				return nil, fmt.Errorf("bench: no transition into %s within 10 s", w)
			}
		}
		return ats, nil
	}
	if _, err := next(fsm.Open); err != nil { // the first connection
		return r, err
	}
	if _, err := receiveStamp(ctx, c); err != nil { // and its greeting
		return r, err
	}
	var total, detect, loop, dial []time.Duration
	ping := []byte("drop")
	for i := range n + warmup {
		if err := c.Send(ctx, wsfsm.Binary, ping); err != nil {
			return r, fmt.Errorf("bench: send: %w", err)
		}
		droppedAt, err := receiveStamp(ctx, c) // sent by the next connection
		if err != nil {
			return r, err
		}
		ats, err := next(fsm.Aborted, fsm.Connecting, fsm.Open)
		if err != nil {
			return r, err
		}
		if i >= warmup {
			dropped := time.Unix(0, droppedAt)
			total = append(total, ats[2].Sub(dropped))
			detect = append(detect, ats[0].Sub(dropped))
			loop = append(loop, ats[1].Sub(ats[0]))
			dial = append(dial, ats[2].Sub(ats[1]))
		}
	}
	r.p50, r.p99 = percentile(total, 0.50), percentile(total, 0.99)
	r.detect, r.loop, r.dial = percentile(detect, 0.50), percentile(loop, 0.50), percentile(dial, 0.50)
	return r, nil
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
