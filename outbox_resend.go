package wsfsm

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wsfsm/wsfsm/internal/transport"
)

// The Conn's side of the outbox: it meets the send queue (the resender
// takes the send turn first when a connection is released), the reader
// (acknowledgements) and the machine's end.

// startOutbox arms the outbox's timer, which needs the Conn.
func (c *ConnOf[S, E]) startOutbox() {
	if c.ob == nil || c.ob.cfg.AckTimeout <= 0 {
		return
	}
	c.ob.timer = time.AfterFunc(time.Hour, func() {
		if c.ob.expire() {
			c.kickResend()
		}
	})
	c.ob.timer.Stop()
}

// needsResendLocked reports whether a message waits to be written on link
// (or again on it) and no resender is on it. c.mu is held.
func (c *ConnOf[S, E]) needsResendLocked(link *transport.Link) bool {
	ob := c.ob
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if ob.resending || ob.ended {
		return false
	}
	for _, e := range ob.list {
		if (e.link != link || e.due) && !e.acked {
			ob.resending = true
			return true
		}
	}
	return false
}

// queueResendLocked puts a resender first in line for the released
// connection, when a waiting message is not written on it yet: publish calls
// it before any waiting Send gets its turn. c.mu is held.
func (c *ConnOf[S, E]) queueResendLocked() {
	if c.ob == nil || !c.released || c.closing || !c.needsResendLocked(c.link) {
		return
	}
	w := &sendWaiter{ready: make(chan struct{}), resend: true}
	c.sendQ = slices.Insert(c.sendQ, 0, w)
	go c.resend(w)
}

// kickResend queues a resender if a waiting message is not written on the
// released connection (one written on a connection replaced meanwhile, or
// one whose acknowledgement timed out).
func (c *ConnOf[S, E]) kickResend() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queueResendLocked()
	c.grantLocked()
}

// resend waits for its turn, then writes every waiting message not yet
// written on the released connection, in order, holding the turn so that
// no Send goes between them.
func (c *ConnOf[S, E]) resend(w *sendWaiter) {
	ob := c.ob
	select {
	case <-w.ready:
	case <-c.closingCh:
		c.mu.Lock()
		defer c.mu.Unlock()
		select {
		case <-w.ready: // granted meanwhile: pass the turn on
			c.endResendLocked()
		default:
			c.sendQ = slices.DeleteFunc(c.sendQ, func(x *sendWaiter) bool { return x == w })
			c.ob.mu.Lock()
			c.ob.resending = false
			c.ob.mu.Unlock()
		}
		return
	}
	link := w.link
	ctx := context.Background() // the write is bounded by WriteTimeout, and ends with the link
	for {
		c.mu.Lock()
		ob.mu.Lock()
		var e *entry
		if !c.closing && c.sendLinkLocked() == link {
			e = ob.nextLocked(link)
		}
		ob.mu.Unlock()
		if e == nil {
			c.endResendLocked()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := ob.write(ctx, link, e); err != nil {
			c.unpublish(link) // the reader reports how the link ended; the next one resends
			c.mu.Lock()
			c.endResendLocked()
			c.mu.Unlock()
			return
		}
	}
}

// endResendLocked ends the resender's turn: a later message to resend
// queues a new one. c.mu is held.
func (c *ConnOf[S, E]) endResendLocked() {
	c.ob.mu.Lock()
	c.ob.resending = false
	c.ob.mu.Unlock()
	c.turnHeld = false
	c.grantLocked()
}

// reserve makes room in the outbox for a message Track recognises (nil for
// any other, or without an outbox; ErrNotTracked instead when must). A
// Send that does not wait (SendNow) does not wait for room either.
func (c *ConnOf[S, E]) reserve(ctx context.Context, typ MessageType, data []byte, wait, must bool) (*entry, error) {
	if c.ob == nil {
		return nil, nil
	}
	e, err := c.ob.reserve(ctx, c.closingCh, typ, data, !wait)
	switch {
	case errors.Is(err, errOutboxClosing):
		return nil, c.closedErr()
	case err == nil && e == nil && must:
		return nil, ErrNotTracked
	}
	return e, err
}

// commit keeps a tracked message (e; nil for any other) after its first
// write, on link, succeeded. If link was replaced meanwhile, the message
// is written again on the new one.
func (c *ConnOf[S, E]) commit(e *entry, link *transport.Link) error {
	if e == nil {
		return nil
	}
	if err := c.ob.commit(e); err != nil {
		return err
	}
	if c.currentLink() != link {
		c.kickResend()
	}
	return nil
}

// endOutbox settles the receipts still open once the Conn ended.
func (c *ConnOf[S, E]) endOutbox() {
	if c.ob != nil {
		c.ob.end(c.closedErr())
	}
}

// readAcks makes link's reader hand the acknowledgements it reads to the
// outbox, before Receive (which the application may not be calling).
func (c *ConnOf[S, E]) readAcks(link *transport.Link) {
	if c.ob != nil {
		link.SetFilter(func(m transport.Message) bool { return c.ob.received(int(m.Type), m.Data) })
	}
}
