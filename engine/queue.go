package engine

import "github.com/wsfsm/wsfsm/internal/serial"

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
	q     serial.Queue
	ended bool // over reported true; only the goroutine draining touches it

	over  func() bool // after each item: true once the machine is over
	onEnd func()      // once, after the last item
}

// post queues f and, if no goroutine is draining, runs it at once on this
// one and drains what was queued meanwhile. It reports false, without
// running f, once the queue has ended. Work accepted before the end always
// runs.
func (q *queue) post(f func()) bool {
	run, ok := q.q.Take(f)
	if run {
		q.drain(f)
	}
	return ok
}

// drain runs f (if not nil), then the queued items until none is left.
func (q *queue) drain(f func()) {
	clean := false
	defer func() {
		if !clean && q.q.Abandon() { // an item panicked: the next goroutine drains the rest
			go q.drain(nil)
		}
	}()
	for {
		if f == nil {
			var ended bool
			if f, ended = q.q.Next(); f == nil {
				clean = true
				if ended {
					q.onEnd()
				}
				return
			}
		}
		f()
		f = nil
		if !q.ended && q.over() {
			q.ended = true
			q.q.Close() // what is already queued still runs, then onEnd
		}
	}
}
