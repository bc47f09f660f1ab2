package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// rttExpSides are the echo experiment's sides after raw gorilla and wsfsm:
// gorilla writes, and reads through a handoff with each way of yielding.
var rttExpSides = []struct {
	name  string
	yield yieldMode
}{
	{"gorilla + handoff", yieldNever},
	{"gorilla + handoff + yield", yieldEach},
	{"gorilla + handoff + yield before read", yieldBeforeRead},
}

// measureRTTExp is measureRTT with the handoff baselines of rttExpSides as
// further sides, taking turns every rttSlice echoes. It returns each side's
// p50 and p99, raw gorilla first, wsfsm second.
func measureRTTExp(ctx context.Context, echoURL string, n, round int) (p50, p99 []time.Duration, err error) {
	ws, c, done, err := dialPair(ctx, echoURL)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	msg := make([]byte, 64)
	sides := []func() error{
		func() error {
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return err
			}
			_, _, err := ws.ReadMessage()
			return err
		},
		func() error {
			if err := c.Send(ctx, wsfsm.Binary, msg); err != nil {
				return err
			}
			_, _, err := c.Receive(ctx)
			return err
		},
	}
	for _, s := range rttExpSides {
		h, err := dialHandoff(ctx, echoURL, s.yield, true)
		if err != nil {
			return nil, nil, err
		}
		defer h.close()
		sides = append(sides, func() error {
			if err := h.ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return err
			}
			_, err := h.next()
			return err
		})
	}
	lat := make([][]time.Duration, len(sides))
	for i := range sides {
		for range warmup {
			if err := sides[i](); err != nil {
				return nil, nil, fmt.Errorf("bench: echo: %w", err)
			}
		}
	}
	for i := 0; len(lat[len(lat)-1]) < n; i++ {
		for k := range sides {
			side := (i + round + k) % len(sides)
			for range rttSlice {
				t0 := time.Now()
				if err := sides[side](); err != nil {
					return nil, nil, fmt.Errorf("bench: echo: %w", err)
				}
				lat[side] = append(lat[side], time.Since(t0))
			}
		}
	}
	for _, l := range lat {
		p50, p99 = append(p50, percentile(l, 0.50)), append(p99, percentile(l, 0.99))
	}
	return p50, p99, nil
}
