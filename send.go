package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/wsfsm/wsfsm/internal/transport"
)

// Send writes one message. It returns nil only once the whole frame was
// handed to the kernel on a connection released to Send (Open). While none is
// (the connection is being re-established) it waits, bounded by ctx and
// Options.SendQueue (ErrQueueFull); waiting Sends are written in the order
// they were called, one at a time, and a Send called later does not overtake
// them. A write that fails because the connection broke is retried on the
// next connection, first in line, so a message is never reported sent and
// then dropped by the library (TCP may still lose what the kernel accepted
// just before the connection broke: see the README). With Options.Outbox,
// a message its Track recognises first waits for room in the outbox, and
// once written stays there until acknowledged, written again first on each
// new connection (Deliver returns a Receipt for it). After Close or Abort it
// returns ErrClosed. Ending ctx never tears the connection down, and never
// cuts a frame in half.
func (c *ConnOf[S, E]) Send(ctx context.Context, typ MessageType, data []byte) error {
	return c.send(ctx, typ, data, true)
}

// SendNow is Send for messages that are only worth sending now (socket.io's
// "volatile"): when no connection is released to Send it returns ErrNotOpen
// at once instead of waiting. Otherwise it behaves as Send, in line behind
// Sends already waiting.
func (c *ConnOf[S, E]) SendNow(ctx context.Context, typ MessageType, data []byte) error {
	return c.send(ctx, typ, data, false)
}

// sendWaiter is a Send waiting for its turn; ready is closed when it has it,
// with the connection to write on.
type sendWaiter struct {
	ready  chan struct{}
	link   *transport.Link
	resend bool // the outbox's resender (outbox.go), ahead of every Send
}

func (c *ConnOf[S, E]) send(ctx context.Context, typ MessageType, data []byte, wait bool) (err error) {
	defer wrap(&err, "send")
	_, err = c.sendMessage(ctx, typ, data, wait, false)
	return err
}

// sendMessage is Send; it returns the outbox's entry of a tracked message
// (must: only a tracked message is sent).
func (c *ConnOf[S, E]) sendMessage(ctx context.Context, typ MessageType, data []byte, wait, must bool) (*entry, error) {
	if err := checkType(typ); err != nil {
		return nil, err
	}
	e, err := c.reserve(ctx, typ, data, wait, must)
	if err != nil {
		return nil, err
	}
	written := false
	if e != nil {
		defer func() {
			if !written {
				c.ob.cancel(e) // nothing was written: its room is free again
			}
		}()
	}
	front := false // a Send whose write failed keeps its place at the front
	for {
		link, turn, err := c.sendTurn(ctx, wait, front)
		if err != nil {
			return nil, err
		}
		if e != nil {
			err = c.ob.write(ctx, link, e) // tracked: in the outbox once written
		} else {
			err = link.WriteMessage(ctx, transport.MessageType(typ), data)
		}
		if err == nil {
			written = true
			c.endTurn(turn)
			c.stats.msgsSent.Add(1)
			c.stats.bytesSent.Add(uint64(len(data)))
			return e, c.commit(e, link)
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			c.endTurn(turn) // the write lock was not obtained in time: nothing was written
			return nil, context.Cause(ctx)
		}
		// The connection broke under this write. The transport took it out
		// of service (its reader reports how it ended); try the next one.
		c.unpublish(link)
		c.endTurn(turn)
		front, wait = true, true
	}
}

// sendTurn returns the connection to write on: at once when one is released
// and no Send waits, else after the Sends queued before this one. turn is
// true when this Send holds the queue's turn (see endTurn).
func (c *ConnOf[S, E]) sendTurn(ctx context.Context, wait, front bool) (*transport.Link, bool, error) {
	c.mu.Lock()
	switch {
	case c.closing:
		c.mu.Unlock()
		return nil, false, c.closedErr()
	case c.released && len(c.sendQ) == 0 && !c.turnHeld:
		link := c.link
		c.mu.Unlock()
		return link, false, nil
	case !c.released && !wait:
		c.mu.Unlock()
		return nil, false, ErrNotOpen
	case !front && c.opts.SendQueue > 0 && len(c.sendQ) >= c.opts.SendQueue:
		c.mu.Unlock()
		return nil, false, fmt.Errorf("%w (%d waiting)", ErrQueueFull, c.opts.SendQueue)
	}
	w := &sendWaiter{ready: make(chan struct{})}
	if front {
		at := 0 // behind the outbox's resender
		for at < len(c.sendQ) && c.sendQ[at].resend {
			at++
		}
		c.sendQ = slices.Insert(c.sendQ, at, w)
	} else {
		c.sendQ = append(c.sendQ, w)
	}
	c.grantLocked()
	c.mu.Unlock()

	select {
	case <-w.ready:
		return w.link, true, nil
	case <-c.closingCh:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: pass the turn on
		c.turnHeld = false
		c.grantLocked()
	default:
		c.sendQ = slices.DeleteFunc(c.sendQ, func(x *sendWaiter) bool { return x == w })
	}
	if c.closing {
		return nil, false, closedError(c.cause)
	}
	return nil, false, context.Cause(ctx)
}

// endTurn passes the queue's turn to the next waiting Send.
func (c *ConnOf[S, E]) endTurn(turn bool) {
	if !turn {
		return
	}
	c.mu.Lock()
	c.turnHeld = false
	c.grantLocked()
	c.mu.Unlock()
}

// grantLocked gives the turn to the first waiting Send, if a connection is
// released and nobody holds the turn. c.mu is held.
func (c *ConnOf[S, E]) grantLocked() {
	if !c.released || c.turnHeld || len(c.sendQ) == 0 {
		return
	}
	w := c.sendQ[0]
	c.sendQ = c.sendQ[1:]
	if len(c.sendQ) == 0 {
		c.sendQ = nil // let a burst's backing array go
	}
	w.link = c.link
	c.turnHeld = true
	close(w.ready)
}

// publish releases the connection to Send; the outbox's resender, then the
// first waiting Send, gets its turn.
func (c *ConnOf[S, E]) publish() {
	c.mu.Lock()
	c.released = c.link != nil
	c.queueResendLocked()
	c.grantLocked()
	c.mu.Unlock()
}

// unpublish takes link out of service, if it still is the released one;
// Sends then wait for the next.
func (c *ConnOf[S, E]) unpublish(link *transport.Link) {
	c.mu.Lock()
	if c.link == link {
		c.released = false
	}
	c.mu.Unlock()
}

// checkType refuses what is not a data message: Send, SendNow, Setup.Send and
// Step.Send write only Text and Binary.
func checkType(typ MessageType) error {
	if typ != Text && typ != Binary {
		return fmt.Errorf("%w %d: only Text (1) and Binary (2) are data messages", ErrBadMessageType, int(typ))
	}
	return nil
}
