package wsfsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm/internal/transport"
)

// The outbox's state: what waits, in which order, on which connection each
// message was last written, and what an acknowledgement covers.

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
	err := link.WriteMessage(ctx, transport.MessageType(e.msg.Type), e.msg.Data)
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
