package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// throughputRound is one round of one-way throughput to /sink.
type throughputRound struct {
	gorilla, conn float64 // messages per second
}

// measureThroughput sends size-byte binary messages to /sink for dur, once
// with raw gorilla WriteMessage and once with Conn.Send, on fresh
// connections to the same server. Odd rounds go first with Conn so that a
// drift over time does not favour one side.
func measureThroughput(ctx context.Context, sinkURL string, size int, dur time.Duration, round int) (throughputRound, error) {
	var r throughputRound
	var err error
	runG := func() error { r.gorilla, err = gorillaThroughput(ctx, sinkURL, size, dur); return err }
	runC := func() error { r.conn, err = connThroughput(ctx, sinkURL, size, dur); return err }
	first, second := runG, runC
	if round%2 == 1 {
		first, second = runC, runG
	}
	if err := first(); err != nil {
		return r, err
	}
	return r, second()
}

func gorillaThroughput(ctx context.Context, sinkURL string, size int, dur time.Duration) (float64, error) {
	d := websocket.Dialer{}
	ws, _, err := d.DialContext(ctx, sinkURL, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: gorilla dial %s: %w", sinkURL, err)
	}
	defer ws.Close()
	msg := make([]byte, size)
	n := 0
	start := time.Now()
	deadline := start.Add(dur)
	for {
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return 0, fmt.Errorf("bench: gorilla write: %w", err)
		}
		n++
		if n%64 == 0 && time.Now().After(deadline) {
			break
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func connThroughput(ctx context.Context, sinkURL string, size int, dur time.Duration) (float64, error) {
	c, err := wsfsm.Dial(ctx, sinkURL, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
	msg := make([]byte, size)
	n := 0
	start := time.Now()
	deadline := start.Add(dur)
	for {
		if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
			return 0, fmt.Errorf("bench: send: %w", err)
		}
		n++
		if n%64 == 0 && time.Now().After(deadline) {
			break
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
