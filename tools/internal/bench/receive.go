package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/wstest"
)

// SourcePath is the server's receive-throughput path: it sends binary
// messages of ?size= bytes (default 64) to each connection flat out, as
// frames encoded once and written to TCP in batches of about 64 KiB, so
// that the server outpaces any reader and the figure is the reader's.
const SourcePath = "/bench/source"

// sourceHandler serves SourcePath.
type sourceHandler struct{ up websocket.Upgrader }

func (h *sourceHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.Atoi(r.URL.Query().Get("size"))
	if err != nil || size < 0 {
		size = 64
	}
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	nc := ws.NetConn()
	defer nc.Close()
	// Only raw writes from here on: a close frame from the client ends the
	// connection without gorilla answering it in the middle of a batch.
	ws.SetCloseHandler(func(int, string) error { return nc.Close() })
	go func() {
		for {
			if _, _, err := ws.NextReader(); err != nil {
				nc.Close()
				return
			}
		}
	}()
	batch := sourceBatch(size, 64<<10)
	for {
		if _, err := nc.Write(batch); err != nil {
			return
		}
	}
}

// sourceBatch returns unmasked binary frames of size bytes each (a
// server's), as many as make about want bytes, at least one.
func sourceBatch(size, want int) []byte {
	frame := wstest.AppendServerFrame(nil, 0x82, make([]byte, size)) // FIN, binary
	n := max(1, want/len(frame))
	batch := make([]byte, 0, n*len(frame))
	for range n {
		batch = append(batch, frame...)
	}
	return batch
}

// measureReceive reads size-byte binary messages from sourceURL (the
// server's SourcePath) for dur per side, with raw gorilla ReadMessage and
// with Conn.Receive, and with handoff also with handoffBaseline, each on a
// connection of its own to the same server, in turns as measureThroughput.
// It returns messages per second.
func measureReceive(ctx context.Context, sourceURL string, size int, dur time.Duration, round int, handoff bool) (throughputRound, error) {
	var extra []handoffSide
	if handoff {
		extra = []handoffSide{handoffBaseline}
	}
	rates, err := receiveRates(ctx, sourceURL, size, dur, round, extra)
	if err != nil {
		return throughputRound{}, err
	}
	r := throughputRound{gorilla: rates[0], conn: rates[1]}
	if handoff {
		r.handoff = rates[2]
	}
	return r, nil
}

// receiveRates is the receive measurement: messages per second of raw
// gorilla ReadMessage, of Conn.Receive, then of each of handoffs, all
// interleaved in one round, each on a connection of its own to sourceURL
// with size-byte messages.
func receiveRates(ctx context.Context, sourceURL string, size int, dur time.Duration, round int, handoffs []handoffSide) ([]float64, error) {
	url := sourceURL + "?size=" + strconv.Itoa(size)
	ws, c, done, err := dialPair(ctx, url)
	if err != nil {
		return nil, err
	}
	defer done()
	check := func(n int, err error) error {
		if err == nil && n != size {
			err = fmt.Errorf("a message of %d bytes, want %d", n, size)
		}
		return err
	}
	sides := []func() error{
		func() error { _, b, err := ws.ReadMessage(); return check(len(b), err) },
		func() error { _, b, err := c.Receive(ctx); return check(len(b), err) },
	}
	for _, hs := range handoffs {
		h, err := dialHandoff(ctx, url, hs.yield, hs.sel)
		if err != nil {
			return nil, err
		}
		defer h.close()
		sides = append(sides, func() error { b, err := h.next(); return check(len(b), err) })
	}
	rates, err := alternate(sides, dur, round)
	if err != nil {
		return nil, fmt.Errorf("bench: read: %w", err)
	}
	return rates, nil
}
