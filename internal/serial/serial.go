package serial

import "sync"

// Queue is work waiting to run. Its zero value is an empty, open queue.
type Queue struct {
	mu      sync.Mutex
	items   []func()
	running bool // a goroutine holds the turn: it runs the items
	closed  bool // no more work is accepted
}

// Take offers f to the queue. ok is false, and f dropped, once the queue
// is closed. When nobody held the turn, run is true, f is not queued, and
// the caller, holding the turn now, runs it and then calls Next until it
// returns nil: an item posted into an idle queue runs at once, without a trip through the queue. Otherwise f
// is queued for the goroutine holding the turn.
func (q *Queue) Take(f func()) (run, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, false
	}
	if q.running {
		q.items = append(q.items, f)
		return false, true
	}
	q.running = true
	return true, true
}

// Next returns the next item for the goroutine holding the turn. When none
// is left it gives the turn up and returns nil, and whether the queue is
// closed (nothing will ever run again).
func (q *Queue) Next() (f func(), closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		q.running = false
		q.items = nil // let a burst's backing array go
		return nil, q.closed
	}
	f = q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return f, false
}

// Abandon gives the turn up without running what is left, as an item that
// panicked does; more reports whether items are left, in which case the
// caller holds the turn still and must hand it to a goroutine calling Next.
func (q *Queue) Abandon() (more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running = len(q.items) > 0
	return q.running
}

// Close refuses work from now on; what is queued still runs. idle reports
// whether nobody holds the turn: then nothing is left to run.
func (q *Queue) Close() (idle bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	return !q.running
}

// Over reports whether the queue is closed and nothing runs.
func (q *Queue) Over() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed && !q.running
}
