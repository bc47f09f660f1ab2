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
}

func (n *lane) push(f func()) {
	if run, _ := n.q.Push(f); run {
		go n.run()
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

func (n *lane) run() {
	for {
		f, closed := n.q.Next()
		if f == nil {
			if closed {
				n.then()
			}
			return
		}
		f()
	}
}
