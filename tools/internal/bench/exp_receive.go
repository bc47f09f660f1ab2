package bench

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// handoff is an experiment baseline for Receive: raw gorilla ReadMessage
// on a reader goroutine of its own, handing each message over a channel of
// wsfsm's default ReceiveBuffer to the consumer, as the transport's reader
// does, yielding as y says. It has none of the transport's other work (the
// sign-of-life count, the turn, the filter, the stop channel): the gap
// between it and Receive is that work, the gap between it and raw
// ReadMessage the handoff and the yield.
type handoff struct {
	ws    *websocket.Conn
	msgs  chan []byte
	errc  chan error
	sel   bool          // next waits as Receive does: in a select with ctx and a third channel
	never chan struct{} // the third channel (Receive's machineDone)
	ctx   context.Context
	err   error // the reader's, once next saw it
}

// yieldMode is when a handoff's reader yields the CPU.
type yieldMode int

const (
	yieldNever      yieldMode = iota
	yieldEach                 // after each message the channel took at once: the transport's deliver
	yieldBeforeRead           // before a socket read that follows a delivered message
)

// yieldConn is a net.Conn whose Read yields first when a message was
// delivered since the last Read: gorilla reads the socket only once its
// buffer is empty, so the reader yields once per buffer, not per message,
// and still lets the consumer take the last message before it parks.
type yieldConn struct {
	net.Conn
	delivered bool // set by the reader goroutine, the only one reading
}

func (c *yieldConn) Read(p []byte) (int, error) {
	if c.delivered {
		c.delivered = false
		runtime.Gosched()
	}
	return c.Conn.Read(p)
}

// dialHandoff dials url with raw gorilla and starts its reader.
func dialHandoff(ctx context.Context, url string, y yieldMode, sel bool) (*handoff, error) {
	return dialHandoffVia(ctx, url, y, sel, (&net.Dialer{}).DialContext)
}

// dialHandoffVia is dialHandoff through nd.
func dialHandoffVia(ctx context.Context, url string, y yieldMode, sel bool, nd func(context.Context, string, string) (net.Conn, error)) (*handoff, error) {
	var yc *yieldConn
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		yc = &yieldConn{Conn: c}
		return yc, nil
	}}
	ws, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: gorilla dial %s: %w", url, err)
	}
	h := &handoff{ws: ws, msgs: make(chan []byte, wsfsm.DefaultReceiveBuffer), errc: make(chan error, 1), sel: sel, never: make(chan struct{}), ctx: ctx}
	go func() {
		defer close(h.msgs)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				h.errc <- err
				return
			}
			select {
			case h.msgs <- b:
				switch y {
				case yieldEach:
					runtime.Gosched()
				case yieldBeforeRead:
					yc.delivered = true
				}
				continue
			default:
			}
			h.msgs <- b
		}
	}()
	return h, nil
}

// next returns the next message the reader handed over.
func (h *handoff) next() ([]byte, error) {
	var b []byte
	var ok bool
	if h.sel {
		select {
		case b, ok = <-h.msgs:
		case <-h.ctx.Done():
			return nil, h.ctx.Err()
		case <-h.never:
			return nil, net.ErrClosed
		}
	} else {
		b, ok = <-h.msgs
	}
	if !ok {
		if h.err == nil {
			h.err = <-h.errc
		}
		return nil, h.err
	}
	return b, nil
}

// close ends the reader: closing the connection fails its read.
func (h *handoff) close() {
	h.ws.Close()
	for range h.msgs {
	}
}

// handoffSide is one way of handing messages over from a reader goroutine.
type handoffSide struct {
	name  string
	yield yieldMode
	sel   bool
}

// handoffSides are the receive experiment's baselines beyond raw
// ReadMessage, in the order of receiveExpRound.handoffs.
var handoffSides = []handoffSide{
	{"gorilla + handoff", yieldNever, false},
	{"gorilla + handoff + yield", yieldEach, false},
	{"gorilla + handoff + yield + select", yieldEach, true},
	{"gorilla + handoff + yield before read", yieldBeforeRead, false},
	handoffBaseline,
}

// handoffBaseline is the suite's baseline for receive_64_handoff_ratio:
// gorilla with only what Receive's guarantees need (a reader goroutine
// handing messages over a channel, so that Receive waits across
// reconnects; a select, so that its ctx and the Conn's end wake it) and
// the yield the round trip needs, before the reader's next socket read.
var handoffBaseline = handoffSide{"gorilla + handoff + yield before read + select", yieldBeforeRead, true}

// receiveExpRound is one round of the receive experiment, messages per
// second on each side.
type receiveExpRound struct {
	gorilla, conn float64
	handoffs      []float64 // in the order of handoffSides
}

// measureReceiveExp is measureReceive with the handoff baselines as further
// sides, all interleaved in one round, each on a connection of its own to
// the same source.
func measureReceiveExp(ctx context.Context, sourceURL string, size int, dur time.Duration, round int) (receiveExpRound, error) {
	rates, err := receiveRates(ctx, sourceURL, size, dur, round, handoffSides)
	if err != nil {
		return receiveExpRound{}, err
	}
	return receiveExpRound{gorilla: rates[0], conn: rates[1], handoffs: rates[2:]}, nil
}
