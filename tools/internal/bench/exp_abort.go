package bench

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// handoffAbortOnce is the abort experiment's baseline between gorilla's
// Close and wsfsm's Abort: raw gorilla with a reader goroutine handing
// messages over a channel (a handoff, as Receive's), the consumer blocked
// on the channel; Close until the consumer saw the end. It adds to
// gorilla's Close the hop wsfsm's reader goroutine needs, nothing else
// (no machine, no waiting for the reader to end).
func handoffAbortOnce(ctx context.Context, echoURL string, nd func(context.Context, string, string) (net.Conn, error)) (time.Duration, error) {
	h, err := dialHandoffVia(ctx, echoURL, yieldEach, true, nd)
	if err != nil {
		return 0, err
	}
	if err := h.ws.WriteMessage(websocket.BinaryMessage, []byte("x")); err != nil {
		h.close()
		return 0, fmt.Errorf("bench: gorilla write: %w", err)
	}
	if _, err := h.next(); err != nil { // the echo: the reader is running
		h.close()
		return 0, fmt.Errorf("bench: gorilla read: %w", err)
	}
	returned := make(chan time.Time, 1)
	go func() {
		_, _ = h.next() // blocks until Close
		returned <- time.Now()
	}()
	time.Sleep(200 * time.Microsecond) // as in abortOnce
	t0 := time.Now()
	h.ws.Close()
	d := (<-returned).Sub(t0)
	h.close()
	return d, nil
}

// measureAbortExp is measureAbort with handoffAbortOnce as a third side;
// it returns each side's p50 and p99: gorilla, wsfsm, handoff.
func measureAbortExp(ctx context.Context, echoURL string, n, round int) (p50, p99 []time.Duration, err error) {
	nd := (&net.Dialer{}).DialContext
	sides := []func(context.Context, string) (time.Duration, error){
		gorillaAbortOnce, abortOnce,
		func(ctx context.Context, url string) (time.Duration, error) { return handoffAbortOnce(ctx, url, nd) },
	}
	lat := make([][]time.Duration, len(sides))
	for i := range sides {
		for range warmup {
			if _, err := sides[i](ctx, echoURL); err != nil {
				return nil, nil, err
			}
		}
	}
	for i := 0; len(lat[len(lat)-1]) < n; i++ {
		for k := range sides {
			side := (i + round + k) % len(sides)
			for range abortSlice {
				d, err := sides[side](ctx, echoURL)
				if err != nil {
					return nil, nil, err
				}
				lat[side] = append(lat[side], d)
			}
		}
	}
	for _, l := range lat {
		p50, p99 = append(p50, percentile(l, 0.5)), append(p99, percentile(l, 0.99))
	}
	return p50, p99, nil
}
