package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm/transport"
)

// The outbox (Options.Outbox) makes delivery at-least-once for the messages
// the application's protocol acknowledges: such a message, once written,
// waits in the outbox until an acknowledgement from the peer names it, and
// every new connection, once released to Send (after OnConnect, or a spec's
// own handshake state), first writes again every message still waiting, in
// the order they were first written, before any waiting Send.

// Errors of the outbox.
var (
	// ErrOutboxFull is returned by Send when Options.Outbox is full
	// (MaxMessages or MaxBytes) and FailFast is set, or when one message is
	// larger than MaxBytes.
	ErrOutboxFull = errors.New("wsfsm: outbox full")
	// ErrGivenUp is the error of a Receipt whose message the outbox gave
	// up: no acknowledgement came within AckTimeout (GiveUpOnTimeout), or
	// after MaxResends writes again.
	ErrGivenUp = errors.New("wsfsm: message given up")
	// ErrNotTracked is returned by Deliver for a message that
	// OutboxOptions.Track does not recognise, or when the Conn has no
	// outbox: nothing was written.
	ErrNotTracked = errors.New("wsfsm: message not tracked by the outbox")
	// ErrDuplicateID is returned by Send and Deliver for a tracked message
	// whose id is already waiting in the outbox: nothing was written.
	ErrDuplicateID = errors.New("wsfsm: id already in the outbox")
)

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
	// while the application is not receiving; one call at a time. It must
	// not block.
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

// outbox is the Conn's outbox. Lock order: ConnOf.mu before outbox.mu.
type outbox struct {
	cfg   OutboxOptions
	wlock chan struct{} // held across each write of a tracked message: writes get their order

	mu        sync.Mutex
	byID      map[string]*entry // every message reserved, writing or waiting
	list      []*entry          // the messages waiting (written at least once), in order of first write
	count     int               // messages reserved, counted against MaxMessages
	bytes     int               // and their bytes, against MaxBytes
	room      chan struct{}     // closed (and replaced) when room was freed
	wseq      uint64            // write order of tracked writes
	resending bool              // a resender is queued or writing
	timer     *time.Timer       // AckTimeout's one timer, armed for the earliest deadline
	armed     time.Time         // when it fires; zero when not armed
	waiting   int               // Sends waiting for room
	ended     bool
	endErr    error // the receipts' error once ended

	acked, resent, givenUp uint64
}

// entry is one tracked message.
type entry struct {
	msg      OutboxMessage   // Data is the outbox's own copy
	stored   bool            // written once and kept in list
	link     *transport.Link // the connection it was last written on (tentatively while writing); nil: none yet
	wseq     uint64          // the order of its first write on link
	due      bool            // its acknowledgement timed out: to be written again, even on link
	writes   int
	deadline time.Time // of its acknowledgement; zero: none
	acked    bool
	receipt  *Receipt
}

// newOutbox returns the outbox of cfg (nil for a nil cfg), with the
// messages its Store holds waiting to be written on the first connection.
func newOutbox(cfg *OutboxOptions) (*outbox, error) {
	if cfg == nil {
		return nil, nil
	}
	if cfg.Track == nil || cfg.Acks == nil {
		return nil, fmt.Errorf("%w: Options.Outbox needs Track and Acks", ErrBadConfig)
	}
	ob := &outbox{cfg: *cfg, wlock: make(chan struct{}, 1), byID: map[string]*entry{}, room: make(chan struct{})}
	if ob.cfg.MaxMessages <= 0 {
		ob.cfg.MaxMessages = DefaultOutboxMessages
	}
	if ob.cfg.MaxBytes <= 0 {
		ob.cfg.MaxBytes = DefaultOutboxBytes
	}
	if ob.cfg.Store == nil {
		return ob, nil
	}
	msgs, err := ob.cfg.Store.Messages()
	if err != nil {
		return nil, fmt.Errorf("outbox store: %w", err)
	}
	for _, m := range msgs {
		if ob.byID[m.ID] != nil {
			continue
		}
		e := &entry{msg: m, stored: true, receipt: newReceipt(m.ID)}
		ob.byID[m.ID] = e
		ob.list = append(ob.list, e)
		ob.count++
		ob.bytes += len(m.Data)
	}
	return ob, nil
}

func newReceipt(id string) *Receipt { return &Receipt{id: id, done: make(chan struct{})} }

// reserve makes room for a tracked message before it is written: it waits
// (or fails fast) while the outbox is full. It returns nil for a message
// Track does not recognise.
func (ob *outbox) reserve(ctx context.Context, closing <-chan struct{}, typ MessageType, data []byte, failFast bool) (*entry, error) {
	id, ok := ob.cfg.Track(typ, data)
	if !ok || id == "" {
		return nil, nil
	}
	if len(data) > ob.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: a message of %d bytes exceeds MaxBytes (%d)", ErrOutboxFull, len(data), ob.cfg.MaxBytes)
	}
	for {
		ob.mu.Lock()
		switch {
		case ob.byID[id] != nil:
			ob.mu.Unlock()
			return nil, fmt.Errorf("%w: %q", ErrDuplicateID, id)
		case ob.count < ob.cfg.MaxMessages && ob.bytes+len(data) <= ob.cfg.MaxBytes:
			e := &entry{msg: OutboxMessage{ID: id, Type: typ, Data: slices.Clone(data)}, receipt: newReceipt(id)}
			ob.byID[id] = e
			ob.count++
			ob.bytes += len(data)
			ob.mu.Unlock()
			return e, nil
		case failFast || ob.cfg.FailFast:
			n, b := ob.count, ob.bytes
			ob.mu.Unlock()
			return nil, fmt.Errorf("%w (%d messages, %d bytes waiting)", ErrOutboxFull, n, b)
		}
		room := ob.room
		ob.waiting++
		ob.mu.Unlock()
		var err error
		select {
		case <-room:
		case <-closing:
			err = errOutboxClosing
		case <-ctx.Done():
			err = context.Cause(ctx)
		}
		ob.mu.Lock()
		ob.waiting--
		ob.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

// errOutboxClosing ends a wait for room once the Conn is closing; send
// reports the Conn's own closed error instead.
var errOutboxClosing = errors.New("closing")

// freeLocked forgets e and frees its room. ob.mu is held.
func (ob *outbox) freeLocked(e *entry) {
	if ob.byID[e.msg.ID] != e {
		return
	}
	delete(ob.byID, e.msg.ID)
	if e.stored {
		ob.list = slices.DeleteFunc(ob.list, func(x *entry) bool { return x == e })
	}
	ob.count--
	ob.bytes -= len(e.msg.Data)
	close(ob.room)
	ob.room = make(chan struct{})
}

// cancel releases the room of a reserved message that was never written.
func (ob *outbox) cancel(e *entry) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if !e.stored {
		ob.freeLocked(e)
	}
}

// lock takes the write-order lock, bounded by ctx.
func (ob *outbox) lock(ctx context.Context) error {
	select {
	case ob.wlock <- struct{}{}:
		return nil
	default:
	}
	select {
	case ob.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ob *outbox) unlock() { <-ob.wlock }

// write writes e on link, recording the write's place in the order of
// tracked writes before it starts, so that an acknowledgement that comes
// back before write returns finds it.
func (ob *outbox) write(ctx context.Context, link *transport.Link, e *entry) error {
	if err := ob.lock(ctx); err != nil {
		return err
	}
	defer ob.unlock()
	ob.mu.Lock()
	if e.acked || ob.byID[e.msg.ID] != e { // acknowledged or given up meanwhile
		ob.mu.Unlock()
		return nil
	}
	prevLink, prevSeq, prevDue := e.link, e.wseq, e.due
	if e.link != link {
		// A copy written earlier on link keeps its place: a cumulative
		// acknowledgement of that copy covers only what came before it.
		ob.wseq++
		e.link, e.wseq = link, ob.wseq
	}
	e.due = false
	e.writes++ // counted before the acknowledgement can come back
	again := e.writes > 1 || e.stored
	if again {
		ob.resent++
	}
	ob.mu.Unlock()
	err := link.WriteMessage(ctx, int(e.msg.Type), e.msg.Data)
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if err != nil {
		// The write lock excludes other writes; a timeout meanwhile only
		// asked for a write the next connection makes anyway.
		e.link, e.wseq, e.due = prevLink, prevSeq, prevDue
		e.writes--
		if again {
			ob.resent--
		}
		return err
	}
	ob.armLocked(e)
	return nil
}

// commit keeps e, written for the first time, until its acknowledgement.
func (ob *outbox) commit(e *entry) error {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if e.acked {
		ob.finishLocked(e, nil)
		return nil
	}
	if ob.byID[e.msg.ID] != e {
		return nil // given up meanwhile
	}
	if st := ob.cfg.Store; st != nil {
		if err := st.Append(e.msg); err != nil {
			ob.freeLocked(e)
			err = fmt.Errorf("written, but the outbox store failed: %w", err)
			e.receipt.finish(err)
			return err
		}
	}
	e.stored = true
	ob.list = append(ob.list, e)
	if ob.ended {
		e.receipt.finish(ob.endErr)
	}
	return nil
}

// finishLocked removes e, acknowledged (err nil) or given up, and settles
// its receipt. ob.mu is held.
func (ob *outbox) finishLocked(e *entry, err error) {
	stored := e.stored
	ob.freeLocked(e)
	if stored && ob.cfg.Store != nil {
		_ = ob.cfg.Store.Remove(e.msg.ID) // a failure only means a duplicate later (see OutboxStore)
	}
	if err == nil {
		ob.acked++
	} else {
		ob.givenUp++
	}
	select {
	case <-e.receipt.done: // the Conn ended: settled as ErrClosed already
	default:
		e.receipt.finish(err)
	}
}

// ackLocked acknowledges e. One whose first write is still returning is
// settled by commit. ob.mu is held.
func (ob *outbox) ackLocked(e *entry) {
	if e.acked {
		return
	}
	e.acked = true
	if e.stored {
		ob.finishLocked(e, nil)
	}
}

// received applies the acknowledgements m carries and reports whether m
// goes on to Receive. It runs on the connection's reader.
func (ob *outbox) received(typ int, data []byte) bool {
	a := ob.cfg.Acks(MessageType(typ), data)
	if a.empty() {
		return true
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for _, id := range a.IDs {
		// A message reserved and not yet written cannot have been received:
		// an acknowledgement naming it is a stale one (an id reused).
		if e := ob.byID[id]; e != nil && (e.stored || e.link != nil) {
			ob.ackLocked(e)
		}
	}
	if x := ob.byID[a.UpTo]; a.UpTo != "" && x != nil && x.link != nil {
		var covered []*entry
		for _, e := range ob.byID {
			if e.link == x.link && e.wseq <= x.wseq {
				covered = append(covered, e)
			}
		}
		for _, e := range covered {
			ob.ackLocked(e)
		}
	} else if x != nil && x.stored {
		ob.ackLocked(x) // waiting since an earlier Conn (loaded from the Store)
	}
	return a.Keep
}

// armLocked sets e's acknowledgement deadline after a write and arms the
// timer for it if it is the earliest. ob.mu is held.
func (ob *outbox) armLocked(e *entry) {
	if ob.cfg.AckTimeout <= 0 || ob.timer == nil || ob.ended {
		return
	}
	e.deadline = time.Now().Add(ob.cfg.AckTimeout)
	if ob.armed.IsZero() || e.deadline.Before(ob.armed) {
		ob.armed = e.deadline
		ob.timer.Reset(time.Until(e.deadline))
	}
}

// expire handles the messages whose acknowledgement is overdue: gives them
// up, or marks them to be written again. It reports whether a resend is due.
func (ob *outbox) expire() bool {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.armed = time.Time{}
	if ob.ended {
		return false
	}
	now := time.Now()
	resend := false
	var next time.Time
	for _, e := range slices.Clone(ob.list) {
		switch {
		case e.deadline.IsZero():
		case e.deadline.After(now):
			if next.IsZero() || e.deadline.Before(next) {
				next = e.deadline
			}
		case ob.cfg.OnAckTimeout == GiveUpOnTimeout:
			ob.finishLocked(e, fmt.Errorf("%w: %s: no acknowledgement within %v", ErrGivenUp, e.msg.ID, ob.cfg.AckTimeout))
		default:
			e.deadline = time.Time{}
			e.due = true // to be written again, on the current connection
			resend = true
		}
	}
	if !next.IsZero() {
		ob.armed = next
		ob.timer.Reset(time.Until(next))
	}
	return resend
}

// nextLocked returns the first waiting message not yet written on link, or
// due again after its acknowledgement timed out, giving up on the way those written MaxResends times again already. ob.mu
// is held.
func (ob *outbox) nextLocked(link *transport.Link) *entry {
	for _, e := range slices.Clone(ob.list) {
		if (e.link == link && !e.due) || e.acked {
			continue
		}
		if m := ob.cfg.MaxResends; m > 0 && e.writes > m {
			ob.finishLocked(e, fmt.Errorf("%w: %s: written %d times without an acknowledgement", ErrGivenUp, e.msg.ID, e.writes))
			continue
		}
		return e
	}
	return nil
}

// end settles every receipt still open with err once the Conn ended; the
// messages stay in the Store and in Unacknowledged.
func (ob *outbox) end(err error) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.ended, ob.endErr = true, err
	if ob.timer != nil {
		ob.timer.Stop()
	}
	for _, e := range ob.byID {
		select {
		case <-e.receipt.done:
		default:
			if e.stored {
				e.receipt.finish(err)
			}
		}
	}
	close(ob.room)
	ob.room = make(chan struct{})
}

// The Conn's side: the outbox meets the send queue and the machine.

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
	if c.ob == nil || c.link == nil || c.closing || !c.needsResendLocked(c.link) {
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
		if !c.closing && c.link == link {
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
		link.SetFilter(func(m transport.Message) bool { return c.ob.received(m.Type, m.Data) })
	}
}
