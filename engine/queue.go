package engine

// The Machine's queue (q) runs posted work one item at a time, each to
// completion, on whichever goroutine posted into an idle queue; the others
// only enqueue. This gives the machine exactly one owner at any moment, as a
// loop goroutine would, without a goroutine per machine: an idle machine
// costs nothing, and an I/O result is handled on the goroutine that
// produced it instead of waking another.
//
// Work posted from inside work runs after the current item. If an item
// panics, the queue is left usable: the panic goes on up the goroutine that
// was draining, and a new goroutine drains what was queued behind it, so a
// panic recovered upstream does not wedge the machine.
//
// post and drain are the Machine's own methods (not a queue type's holding
// the machine's over and its Hooks' Ended as func values): no closure is
// allocated for them, and a Machine fits the runtime's 176 B size class.

// post queues f and, if no goroutine is draining, runs it at once on this
// one and drains what was queued meanwhile. It reports false, without
// running f, once the queue has ended. Work accepted before the end always
// runs.
func (m *Machine) post(f func()) bool {
	run, ok := m.q.Take(f)
	if run {
		m.drain(f)
	}
	return ok
}

// drain runs f (if not nil), then the queued items until none is left. Once
// an item leaves the machine over, the queue is closed: what is already
// queued still runs, then the Hooks' Ended, once.
func (m *Machine) drain(f func()) {
	clean := false
	defer func() {
		if !clean && m.q.Abandon() { // an item panicked: the next goroutine drains the rest
			go m.drain(nil)
		}
	}()
	for {
		if f == nil {
			var ended bool
			if f, ended = m.q.Next(); f == nil {
				clean = true
				if ended {
					m.hooks.Ended()
				}
				return
			}
		}
		f()
		f = nil
		if !m.ended && m.over() {
			m.ended = true
			m.q.Close() // what is already queued still runs, then Ended
		}
	}
}
