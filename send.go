package wsfsm

import (
	"context"
	"errors"
	"fmt"

	"github.com/wsfsm/wsfsm/transport"
)

// Send writes one message. It returns nil only once the whole frame was handed
// to the kernel on an Open connection. While the connection is being
// re-established it waits for the next one, bounded by ctx and
// Options.SendQueue (ErrQueueFull). A write that fails because the connection
// broke is retried on the next connection, so a message is never reported sent
// and then dropped. After Close or Abort it returns ErrClosed. Ending ctx never
// tears the connection down, and never cuts a frame in half.
func (c *Conn) Send(ctx context.Context, typ MessageType, data []byte) error {
	if typ != Text && typ != Binary {
		return fmt.Errorf("wsfsm: send: invalid message type %d", int(typ))
	}
	for {
		link, gen, err := c.writableLink(ctx)
		if err != nil {
			return err
		}
		err = link.WriteMessage(ctx, int(typ), data)
		if err == nil {
			c.stats.msgsSent.Add(1)
			c.stats.bytesSent.Add(uint64(len(data)))
			return nil
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The write lock was not obtained in time: nothing was written.
			return fmt.Errorf("wsfsm: send: %w", err)
		}
		// The connection broke under this write: take it out of service and
		// try again on the next one.
		c.unpublish(gen)
		c.post(func() { c.loop.writeFailed(gen, err) })
	}
}

// writableLink returns the Open connection, waiting for one while the Conn is
// re-establishing it.
func (c *Conn) writableLink(ctx context.Context) (*transport.Link, uint64, error) {
	for {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return nil, 0, c.closedErr()
		}
		if c.link != nil {
			link, gen := c.link, c.linkGen
			c.mu.Unlock()
			return link, gen, nil
		}
		if q := c.opts.SendQueue; q > 0 && c.waiting >= q {
			c.mu.Unlock()
			return nil, 0, fmt.Errorf("wsfsm: send: %w (%d waiting)", ErrQueueFull, q)
		}
		c.waiting++
		opened := c.openCh
		c.mu.Unlock()

		select {
		case <-opened:
		case <-c.closingCh:
		case <-ctx.Done():
		}
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("wsfsm: send: %w", context.Cause(ctx))
		}
	}
}

// publish makes link the connection Sends write to.
func (c *Conn) publish(link *transport.Link, gen uint64) {
	c.mu.Lock()
	c.link, c.linkGen = link, gen
	close(c.openCh)
	c.mu.Unlock()
}

// unpublish takes the connection of generation gen out of service, if it still
// is the published one; Sends then wait for the next.
func (c *Conn) unpublish(gen uint64) {
	c.mu.Lock()
	if c.link != nil && c.linkGen == gen {
		c.link = nil
		c.openCh = make(chan struct{})
	}
	c.mu.Unlock()
}
