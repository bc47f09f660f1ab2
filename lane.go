package wsfsm

import "github.com/wsfsm/wsfsm/internal/serial"

// lane runs user code (Options.OnTransition and the spec's own actions) in
// the order the machine produced it, one call at a time, on a goroutine that
// exists only while there is something to run. The machine never waits for
// it, so user code may block, or call any method of the Conn, without holding
// the machine; and an idle Conn holds no goroutine for it. It is the
// engine's serial executor (package serial), drained on a goroutine of its
// own instead of the poster's.
type lane struct {
	q    serial.Queue
	then func() // run once the queue is empty after close; set before close

	// Owned by the machine's work: while held, what is pushed waits in
	// batch, and release hands it to the queue as one item.
	held  bool
	batch []func()
}

// push queues f, or adds it to the batch while the lane is held.
func (n *lane) push(f func()) {
	if n.held {
		n.batch = append(n.batch, f)
		return
	}
	n.start(f)
}

// hold makes push keep what it is given until release: the user code of one
// event (its transitions' observer calls and actions) goes to the lane as
// one item, in order.
func (n *lane) hold() { n.held = true }

// release queues what push kept since hold, as one item.
func (n *lane) release() {
	n.held = false
	switch b := n.batch; len(b) {
	case 0:
		return
	case 1:
		n.start(b[0])
	default:
		n.start(func() {
			for _, f := range b {
				f()
			}
		})
	}
	n.batch = nil
}

// start queues f; if the lane was idle, a goroutine of its own runs f and
// what is queued behind it.
func (n *lane) start(f func()) {
	if run, _ := n.q.Take(f); run {
		go n.run(f)
	}
}

// close says nothing more will be pushed; then runs once the queue is empty
// (at once if it is).
func (n *lane) close(then func()) {
	n.then = then
	if n.q.Close() {
		then()
	}
}

// isOver reports whether the lane was closed and has nothing left to run.
func (n *lane) isOver() bool { return n.q.Over() }

// run runs f, then the queued items until none is left.
func (n *lane) run(f func()) {
	for {
		if f == nil {
			var closed bool
			if f, closed = n.q.Next(); f == nil {
				if closed {
					n.then()
				}
				return
			}
		}
		f()
		f = nil
	}
}
