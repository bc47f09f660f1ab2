package wsfsm

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The outbox (Options.Outbox) makes delivery at-least-once for the messages
// the application's protocol acknowledges: such a message, once written,
// waits in the outbox until an acknowledgement from the peer names it, and
// every new connection, once released to Send (after OnConnect, or a spec's
// own handshake state), first writes again every message still waiting, in
// the order they were first written, before any waiting Send.

// Defaults of OutboxOptions.
const (
	DefaultOutboxMessages = 1024
	DefaultOutboxBytes    = 4 << 20
)

// AckTimeoutAction is what the outbox does with a message whose
// acknowledgement did not come within OutboxOptions.AckTimeout.
type AckTimeoutAction int

const (
	// ResendOnTimeout writes the message again on the current connection
	// (or on the next one, if there is none), in line with the Sends.
	ResendOnTimeout AckTimeoutAction = iota
	// GiveUpOnTimeout removes the message from the outbox; its Receipt
	// fails with ErrGivenUp.
	GiveUpOnTimeout
)

// OutboxOptions turns the outbox on (Options.Outbox). Track and Acks are
// required; every other field documents its default.
type OutboxOptions struct {
	// Track says whether an outgoing message needs an acknowledgement,
	// and its id, unique among the messages waiting (an empty id: not
	// tracked). It runs on the goroutine calling Send, before anything is
	// written, so it may be called concurrently; messages it does not
	// recognise are sent as they would be without an outbox.
	Track func(typ MessageType, data []byte) (id string, ok bool)
	// Acks reads the acknowledgements a received message carries (the zero
	// Ack when it carries none). It runs on the connection's reader, before
	// the message is handed to Receive, so an acknowledgement counts even
	// while the application is not receiving (unless messages that are not
	// acknowledgements fill Options.ReceiveBuffer: then the reader stops);
	// one call at a time. It must not block.
	Acks func(typ MessageType, data []byte) Ack
	// MaxMessages bounds how many messages wait for their acknowledgement
	// (and how many tracked Sends are writing). Default
	// DefaultOutboxMessages.
	MaxMessages int
	// MaxBytes bounds the bytes of the messages waiting. A message larger
	// than MaxBytes is refused with ErrOutboxFull. Default
	// DefaultOutboxBytes.
	MaxBytes int
	// FailFast makes a tracked Send on a full outbox return ErrOutboxFull at
	// once, as SendNow always does. Default false: it waits for room,
	// bounded by its ctx, as Send waits for a connection.
	FailFast bool
	// AckTimeout is how long after its last write a message may wait for
	// its acknowledgement before OnAckTimeout applies. Default 0: no
	// timeout; a message waits until acknowledged, and is written again
	// only on each new connection.
	AckTimeout time.Duration
	// OnAckTimeout says what happens at AckTimeout. Default ResendOnTimeout.
	OnAckTimeout AckTimeoutAction
	// MaxResends gives a message up (ErrGivenUp) rather than write it a
	// further time once it was written again this many times, after a
	// reconnect or a timeout. Default 0: no limit.
	MaxResends int
	// Store keeps the messages waiting, for instance where they survive a
	// restart of the application: a Conn dialed with a Store that holds
	// messages writes them first on its first connection. Default nil: the
	// messages live in the Conn's memory only (Unacknowledged returns them
	// once it ended). See OutboxStore for the contract.
	Store OutboxStore
}

// Ack is what one received message acknowledges.
type Ack struct {
	// IDs are acknowledged one by one.
	IDs []string
	// UpTo, when not empty, acknowledges cumulatively: the message with
	// this id, and every message written before it on the same connection
	// (TCP delivered those first; if it was written more than once there,
	// before its first copy). Messages still waiting from an earlier
	// connection are not covered: they are written again, first, on every
	// new connection, so a cumulative acknowledgement reaches them there.
	// An id no longer waiting acknowledges nothing.
	UpTo string
	// Keep hands the message to Receive as well. Default false: a message
	// that carries acknowledgements is the outbox's, and Receive never sees
	// it.
	Keep bool
}

func (a Ack) empty() bool { return len(a.IDs) == 0 && a.UpTo == "" }

// OutboxMessage is a message waiting for its acknowledgement.
type OutboxMessage struct {
	ID   string      // as OutboxOptions.Track gave it
	Type MessageType // Text or Binary
	Data []byte      // the whole message
}

// OutboxStore keeps the messages an outbox waits on, so that they can
// outlive the Conn: a Conn dialed with a Store reads it once (Messages) and
// writes what it holds first on its first connection. The Conn keeps its own
// copy in memory too; it never reads the Store again. The contract:
//
//   - One Conn at a time uses a Store, and it never calls it concurrently;
//     calls run on the goroutines of Send and of the connection's reader,
//     with the outbox locked, so they should return quickly and must not
//     call the Conn.
//   - Append is called once the message's first write succeeded, with an
//     id not already held; when it returns nil the message must be
//     returned by Messages until removed. An error fails that Send (the
//     message was written, but will not be resent).
//   - Remove is called when messages were acknowledged or given up; ids it
//     does not hold are ignored. An error leaves them to be sent again by a
//     later Conn: a duplicate, never a loss.
//   - Messages returns every message held, in the order appended.
//   - Data slices passed to Append belong to the Store and are never
//     modified; those Messages returns are not modified by the Conn either.
type OutboxStore interface {
	// Append keeps m after every message kept already.
	Append(m OutboxMessage) error
	// Remove forgets the messages with these ids.
	Remove(ids ...string) error
	// Messages returns every message kept, oldest first.
	Messages() ([]OutboxMessage, error)
}

// MemoryStore is an OutboxStore in memory: pass the same MemoryStore to the
// next Dial and a new Conn writes first what the last one left
// unacknowledged. Its methods are safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	msgs []OutboxMessage
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Append adds m at the end.
func (s *MemoryStore) Append(m OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// Remove forgets the messages with these ids.
func (s *MemoryStore) Remove(ids ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = slices.DeleteFunc(s.msgs, func(m OutboxMessage) bool { return slices.Contains(ids, m.ID) })
	return nil
}

// Messages returns a copy of the list of messages held, oldest first.
func (s *MemoryStore) Messages() ([]OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs), nil
}

// Receipt follows one message of the outbox until the peer acknowledges it.
type Receipt struct {
	id   string
	done chan struct{}
	err  error // set before done closes
}

// ID returns the message's id, as OutboxOptions.Track gave it.
func (r *Receipt) ID() string { return r.id }

// Done is closed once the message was acknowledged, given up, or the Conn
// ended with the message still waiting.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Err returns nil while Done is open and once the message was acknowledged;
// an error wrapping ErrGivenUp once it was given up; ErrClosed (wrapping the
// cause when the Conn ended on its own) once the Conn ended with the message
// unacknowledged: it stays in OutboxOptions.Store, or in Unacknowledged.
func (r *Receipt) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Wait waits until Done and returns Err, or returns ctx's cause when ctx
// ends first (the message stays in the outbox).
func (r *Receipt) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("wsfsm: wait for acknowledgement of %s: %w", r.id, context.Cause(ctx))
	}
}

func (r *Receipt) finish(err error) {
	r.err = err
	close(r.done)
}

// OutboxStats is a snapshot of the outbox's counters since Dial.
type OutboxStats struct {
	// Waiting and WaitingBytes are the messages written and not yet
	// acknowledged, and their size.
	Waiting, WaitingBytes int
	// Acknowledged counts messages acknowledged.
	Acknowledged uint64
	// Resent counts writes of a message after its first: on a new
	// connection, or after AckTimeout.
	Resent uint64
	// GivenUp counts messages given up (ErrGivenUp).
	GivenUp uint64
	// SendsWaiting is how many tracked Sends wait for room (MaxMessages,
	// MaxBytes).
	SendsWaiting int
}

// Deliver is Send for a message the outbox tracks (OutboxOptions.Track
// recognises it): it returns, as Send does, once the message was written,
// with a Receipt that says when the peer acknowledged it. It returns an
// error wrapping ErrNotTracked, with nothing written, for a message the
// outbox does not track or when Options.Outbox is nil.
func (c *ConnOf[S, E]) Deliver(ctx context.Context, typ MessageType, data []byte) (r *Receipt, err error) {
	defer wrap(&err, "deliver")
	if c.ob == nil {
		return nil, fmt.Errorf("%w: Options.Outbox is nil", ErrNotTracked)
	}
	e, err := c.sendMessage(ctx, typ, data, true, true)
	if err != nil {
		return nil, err
	}
	return e.receipt, nil
}

// Unacknowledged returns the messages written and not yet acknowledged, in
// the order they were first written (nil without an outbox). Once the Conn
// ended they are what it leaves behind: hand them to the next Conn, or pass
// the same OutboxOptions.Store to its Dial.
func (c *ConnOf[S, E]) Unacknowledged() []OutboxMessage {
	if c.ob == nil {
		return nil
	}
	ob := c.ob
	ob.mu.Lock()
	defer ob.mu.Unlock()
	out := make([]OutboxMessage, 0, len(ob.list))
	for _, e := range ob.list {
		m := e.msg
		m.Data = slices.Clone(m.Data) // the outbox's own copy stays its own
		out = append(out, m)
	}
	return out
}

// OutboxStats returns a snapshot of the outbox's counters (zero without an
// outbox).
func (c *ConnOf[S, E]) OutboxStats() OutboxStats {
	if c.ob == nil {
		return OutboxStats{}
	}
	ob := c.ob
	ob.mu.Lock()
	defer ob.mu.Unlock()
	s := OutboxStats{Acknowledged: ob.acked, Resent: ob.resent, GivenUp: ob.givenUp, SendsWaiting: ob.waiting}
	for _, e := range ob.list {
		s.Waiting++
		s.WaitingBytes += len(e.msg.Data)
	}
	return s
}
