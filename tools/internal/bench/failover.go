package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// failoverSlice is how many failovers one side makes before the other takes
// over.
const failoverSlice = 20

// failoverRound is one round of failovers, wsfsm's and a hand-written
// gorilla reconnect loop's, against the same server and drop, taking turns.
type failoverRound struct {
	p50, p99 time.Duration // wsfsm: the server's drop to Open again
	// detect: the server's drop to the Aborted transition (FIN on the wire,
	// the reader woken, the dead socket closed); loop: Aborted to Connecting
	// (policy, backoff of zero, the next dial started); dial: Connecting to
	// Open (TCP, HTTP upgrade, reader started). Each at its p50.
	detect, loop, dial time.Duration
	// loopP50: the gorilla loop, the server's drop to its dial returning;
	// loopDetect: the drop to ReadMessage's error; loopDial: that error to
	// the dial returning (closing the dead socket, dial, handshake).
	loopP50, loopDetect, loopDial time.Duration
}

// measureFailover times "the server drops TCP -> connected again" n times
// on DropPath for each of two sides taking turns every failoverSlice
// failovers (the first side alternating with round):
//
//   - a wsfsm Conn with ImmediateFirstRetry and a backoff reset on every
//     Open (so every drop is a first retry), until its Open transition;
//   - the gorilla reconnect loop a user would write instead: read until
//     ReadMessage fails, close, dial again at once, until the dial returns.
//
// The start is the server's own clock at the drop, sent on the next
// connection.
func measureFailover(ctx context.Context, dropURL string, n, round int) (r failoverRound, err error) {
	w, err := newConnFailover(ctx, dropURL)
	if err != nil {
		return r, err
	}
	defer w.c.Abort()
	g, err := newLoopFailover(ctx, dropURL)
	if err != nil {
		return r, err
	}
	defer func() { g.ws.Close() }()

	var total, detect, loop, dial, gTotal, gDetect, gDial []time.Duration
	conn := func(keep bool) error {
		t, d, l, di, err := w.once(ctx)
		if err == nil && keep {
			total, detect, loop, dial = append(total, t), append(detect, d), append(loop, l), append(dial, di)
		}
		return err
	}
	gorilla := func(keep bool) error {
		t, d, di, err := g.once(ctx)
		if err == nil && keep {
			gTotal, gDetect, gDial = append(gTotal, t), append(gDetect, d), append(gDial, di)
		}
		return err
	}
	sides := [2]func(bool) error{gorilla, conn}
	for side := range sides {
		for range warmup {
			if err := sides[side](false); err != nil {
				return r, err
			}
		}
	}
	for i := 0; len(total) < n || len(gTotal) < n; i++ {
		for k := range 2 {
			side := (i + round + k) % 2
			for range failoverSlice {
				if err := sides[side](true); err != nil {
					return r, err
				}
			}
		}
	}
	r.p50, r.p99 = percentile(total, 0.50), percentile(total, 0.99)
	r.detect, r.loop, r.dial = percentile(detect, 0.50), percentile(loop, 0.50), percentile(dial, 0.50)
	r.loopP50, r.loopDetect, r.loopDial = percentile(gTotal, 0.50), percentile(gDetect, 0.50), percentile(gDial, 0.50)
	return r, nil
}

// connFailover is the wsfsm side of measureFailover.
type connFailover struct {
	c      *wsfsm.Conn
	stamps chan stamp
}

type stamp struct {
	to fsm.State
	at time.Time
}

func newConnFailover(ctx context.Context, dropURL string) (*connFailover, error) {
	f := &connFailover{stamps: make(chan stamp, 16)}
	c, err := wsfsm.Dial(ctx, dropURL, &wsfsm.Options{
		ImmediateFirstRetry: true,
		MinUptime:           -1,
		OnTransition: func(t wsfsm.Transition) {
			if t.Initial() {
				return // the first dial: the failover starts once Open
			}
			if t.To == fsm.Aborted || t.To == fsm.Connecting || t.To == fsm.Open {
				f.stamps <- stamp{t.To, t.At}
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	f.c = c
	if _, err := f.next(ctx, fsm.Open); err != nil { // the first connection
		c.Abort()
		return nil, err
	}
	if _, err := receiveStamp(ctx, c); err != nil { // and its greeting
		c.Abort()
		return nil, err
	}
	return f, nil
}

// next returns the times of the next transitions into each of want, in
// order; each connection goes through them exactly once.
func (f *connFailover) next(ctx context.Context, want ...fsm.State) ([]time.Time, error) {
	var ats []time.Time
	for _, w := range want {
		select {
		case s := <-f.stamps:
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

// once makes the server drop the Conn and returns the time until it was
// Open again, and its phases.
func (f *connFailover) once(ctx context.Context) (total, detect, loop, dial time.Duration, err error) {
	if err := f.c.Send(ctx, wsfsm.Binary, []byte("drop")); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench: send: %w", err)
	}
	droppedAt, err := receiveStamp(ctx, f.c) // sent by the next connection
	if err != nil {
		return 0, 0, 0, 0, err
	}
	ats, err := f.next(ctx, fsm.Aborted, fsm.Connecting, fsm.Open)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	dropped := time.Unix(0, droppedAt)
	return ats[2].Sub(dropped), ats[0].Sub(dropped), ats[1].Sub(ats[0]), ats[2].Sub(ats[1]), nil
}

func receiveStamp(ctx context.Context, c *wsfsm.Conn) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, b, err := c.Receive(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: failover stamp: %w", err)
	}
	return decodeStamp(b)
}

func decodeStamp(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("bench: failover stamp: %d bytes, want 8", len(b))
	}
	var v int64
	for _, x := range b {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// loopFailover is the gorilla side of measureFailover: the reconnect loop
// of issue 13,
//
//	for { c, _ := dial(); for { if _, _, err := c.ReadMessage(); err != nil { break } } }
//
// unrolled one drop at a time, closing the dead connection before the
// redial (the loop as written leaks it).
type loopFailover struct {
	url string
	d   websocket.Dialer
	ws  *websocket.Conn
}

func newLoopFailover(ctx context.Context, dropURL string) (*loopFailover, error) {
	g := &loopFailover{url: dropURL}
	ws, _, err := g.d.DialContext(ctx, dropURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	g.ws = ws
	if _, b, err := ws.ReadMessage(); err != nil { // its greeting
		ws.Close()
		return nil, fmt.Errorf("bench: gorilla failover stamp: %w", err)
	} else if _, err := decodeStamp(b); err != nil {
		ws.Close()
		return nil, err
	}
	return g, nil
}

// once makes the server drop the connection, reads until the error, dials
// again at once, and returns the time from the drop until the dial
// returned, with its phases.
func (g *loopFailover) once(ctx context.Context) (total, detect, dial time.Duration, err error) {
	if err := g.ws.WriteMessage(websocket.BinaryMessage, []byte("drop")); err != nil {
		return 0, 0, 0, fmt.Errorf("bench: gorilla write: %w", err)
	}
	for {
		if _, _, err := g.ws.ReadMessage(); err != nil {
			break
		}
	}
	failedAt := time.Now()
	g.ws.Close()
	ws, _, err := g.d.DialContext(ctx, g.url, nil)
	openedAt := time.Now()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("bench: gorilla redial: %w", err)
	}
	g.ws = ws
	_, b, err := ws.ReadMessage() // the stamp of the drop
	if err != nil {
		return 0, 0, 0, fmt.Errorf("bench: gorilla failover stamp: %w", err)
	}
	droppedAt, err := decodeStamp(b)
	if err != nil {
		return 0, 0, 0, err
	}
	dropped := time.Unix(0, droppedAt)
	return openedAt.Sub(dropped), failedAt.Sub(dropped), openedAt.Sub(failedAt), nil
}
