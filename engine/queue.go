package engine

import "sync"

// queue runs posted work one item at a time, each to completion, on whichever
// goroutine posted into an idle queue; the others only enqueue. This gives the
// machine exactly one owner at any moment, as a loop goroutine would, without
// a goroutine per machine: an idle machine costs nothing, and an I/O result
// is handled on the goroutine that produced it instead of waking another.
//
// Work posted from inside work runs after the current item. If an item
// panics, the queue is left usable: the panic goes on up the goroutine that
// was draining, and a new goroutine drains what was queued behind it, so a
// panic recovered upstream does not wedge the machine.
type queue struct {
	mu      sync.Mutex
	items   []func()
	running bool // a goroutine is draining
	ended   bool // over reported true: no more work is accepted

	over  func() bool // after each item: true once the machine is over
	onEnd func()      // once, after the last item
}

// post queues f and, if no goroutine is draining, drains the queue on this
// one. It reports false, without running f, once the queue has ended. Work
// accepted before the end always runs.
func (q *queue) post(f func()) bool {
	q.mu.Lock()
	if q.ended {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, f)
	if q.running {
		q.mu.Unlock()
		return true
	}
	q.running = true
	q.mu.Unlock()
	q.drain()
	return true
}

func (q *queue) drain() {
	clean := false
	defer func() {
		if clean {
			return
		}
		// An item panicked: let the next goroutine drain the rest.
		q.mu.Lock()
		more := len(q.items) > 0
		q.running = more
		q.mu.Unlock()
		if more {
			go q.drain()
		}
	}()
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			q.running = false
			ended := q.ended
			q.items = nil // let a burst's backing array go
			q.mu.Unlock()
			clean = true
			if ended {
				q.onEnd()
			}
			return
		}
		f := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		q.mu.Unlock()

		f()
		if !q.ended && q.over() {
			// Only the draining goroutine writes ended; the lock publishes
			// it to post. What is already queued still runs, then onEnd.
			q.mu.Lock()
			q.ended = true
			q.mu.Unlock()
		}
	}
}
