package extend

import (
	"context"
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/examples/extend/machine"
	"github.com/wsfsm/wsfsm/transport"
)

// run is the loop goroutine: the only one that touches the machine. It ends
// once the machine is Closed and no goroutine of the Client will post again.
func (c *Client) run() {
	c.m.Start(context.Background()) // runs Dial, the enter action of Connecting
	c.armTimer(c.m.State())
	for !(c.m.State().Final() && c.outstanding == 0) {
		(<-c.events)()
	}
	close(c.done)
}

// fire moves the machine. An event the current state has no edge for was
// overtaken by an earlier one: it is dropped.
func (c *Client) fire(e machine.Event, cause error) {
	_ = c.m.Fire(context.Background(), e, cause)
}

// transitioned runs after every transition's enter actions.
func (c *Client) transitioned(t machine.Transition) {
	c.state.Store(uint32(t.To))
	if t.From == machine.Open {
		c.sched.Dropped() // resets the backoff if the connection was stable
	}
	c.armTimer(t.To)
}

// armTimer stops the timer of the state left and starts the one the YAML gives
// the state entered, if any. Suspended has none, so nothing fires there.
func (c *Client) armTimer(s machine.State) {
	c.timerEpoch++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	tm, ok := machine.TimerOf(s)
	if !ok {
		return
	}
	epoch := c.timerEpoch
	cause := fmt.Errorf("extend: timer %s expired: %w", tm.Name, context.DeadlineExceeded) // retryable
	c.timer = time.AfterFunc(tm.Duration((*actions)(c)), func() {
		select {
		case c.events <- func() {
			if epoch == c.timerEpoch { // else the state was left: stale
				c.timer = nil
				c.fire(tm.Event, cause)
			}
		}:
		case <-c.done:
		}
	})
}

// dialed handles the result of the dial of generation gen.
func (c *Client) dialed(gen uint64, link *transport.Link, err error) {
	c.outstanding--
	if gen != c.gen || c.m.State() != machine.Connecting {
		if link != nil {
			_ = link.Abort() // overtaken (suspended, closed, timed out): never let it live
		}
		return
	}
	c.cancelDial()
	c.cancelDial = nil
	if err != nil {
		c.fire(machine.EventAbort, err)
		return
	}
	c.link = link
	c.fire(machine.EventOpened, nil)
}

// readerDone handles the end of the reader of generation gen: the peer closed,
// the network failed, or the link was aborted. In Open it is an abort, and the
// retry policy decides from its cause (a peer's 1013 waits longer, 1000 stops).
func (c *Client) readerDone(gen uint64, err error) {
	c.outstanding--
	if gen == c.gen && c.m.State() == machine.Open {
		c.fire(machine.EventAbort, err)
	}
}

// closeDone handles the result of the close handshake of generation gen.
func (c *Client) closeDone(gen uint64, err error) {
	c.outstanding--
	if gen != c.gen || c.m.State() != machine.Closing {
		return
	}
	if err != nil {
		c.fire(machine.EventAbort, err)
		return
	}
	c.fire(machine.EventClosed, nil)
}

// drop cancels a dial in flight and shuts the link down at once.
func (c *Client) drop() {
	if c.cancelDial != nil {
		c.cancelDial()
		c.cancelDial = nil
	}
	if c.link != nil {
		_ = c.link.Abort()
		c.link = nil
	}
}
