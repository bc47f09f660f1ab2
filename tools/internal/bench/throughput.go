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

// throughputSlice is how long one side sends before the other takes over.
const throughputSlice = 50 * time.Millisecond

// measureThroughput sends size-byte binary messages to /sink for dur per
// side, with raw gorilla WriteMessage and with Conn.Send, each on a
// connection of its own to the same server. The two take turns in slices of
// throughputSlice (the first side alternates), so that the machine's drift
// over a round, which is larger than the difference measured, falls on both
// alike.
func measureThroughput(ctx context.Context, sinkURL string, size int, dur time.Duration, round int) (throughputRound, error) {
	ws, _, err := (&websocket.Dialer{}).DialContext(ctx, sinkURL, nil)
	if err != nil {
		return throughputRound{}, fmt.Errorf("bench: gorilla dial %s: %w", sinkURL, err)
	}
	defer ws.Close()
	c, err := wsfsm.Dial(ctx, sinkURL, nil)
	if err != nil {
		return throughputRound{}, fmt.Errorf("bench: %w", err)
	}
	defer c.Abort()
	msg := make([]byte, size)
	gorilla := func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) }
	conn := func() error { return c.Send(ctx, wsfsm.Binary, msg) }

	var n [2]int
	var spent [2]time.Duration
	sides := [2]func() error{gorilla, conn}
	for i := 0; spent[0] < dur || spent[1] < dur; i++ {
		for k := range 2 {
			side := (i + round + k) % 2
			start := time.Now()
			for {
				if err := sides[side](); err != nil {
					return throughputRound{}, fmt.Errorf("bench: write: %w", err)
				}
				n[side]++
				if n[side]%16 == 0 && time.Since(start) >= throughputSlice {
					break
				}
			}
			spent[side] += time.Since(start)
		}
	}
	return throughputRound{
		gorilla: float64(n[0]) / spent[0].Seconds(),
		conn:    float64(n[1]) / spent[1].Seconds(),
	}, nil
}
