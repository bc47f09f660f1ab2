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

// post queues f and, if no goroutine is draining, drains the queue on this
// one. It reports false, without running f, once the queue has ended. Work
// accepted before the end always runs.
func (q *queue) post(f func()) bool {
	run, ok := q.q.Push(f)
	if run {
		q.drain()
	}
	return ok
}

func (q *queue) drain() {
	clean := false
	defer func() {
		if !clean && q.q.Abandon() { // an item panicked: the next goroutine drains the rest
			go q.drain()
		}
	}()
	for {
		f, ended := q.q.Next()
		if f == nil {
			clean = true
			if ended {
				q.onEnd()
			}
			return
		}
		f()
		if !q.ended && q.over() {
			q.ended = true
			q.q.Close() // what is already queued still runs, then onEnd
		}
	}
}
