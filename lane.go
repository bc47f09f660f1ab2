package wsfsm

import "sync"

// lane runs user code (Options.OnTransition and the spec's own actions) in
// the order the machine produced it, one call at a time, on a goroutine that
// exists only while there is something to run. The machine never waits for
// it, so user code may block, or call any method of the Conn, without holding
// the machine; and an idle Conn holds no goroutine for it.
type lane struct {
	mu      sync.Mutex
	queue   []func()
	running bool   // a goroutine is running the queue
	closed  bool   // nothing more will be pushed
	then    func() // run once the queue is empty after close
}

func (n *lane) push(f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = append(n.queue, f)
	if !n.running {
		n.running = true
		go n.run()
	}
}

// close says nothing more will be pushed; then runs once the queue is empty
// (at once if it is).
func (n *lane) close(then func()) {
	n.mu.Lock()
	n.closed, n.then = true, then
	idle := !n.running
	n.mu.Unlock()
	if idle {
		then()
	}
}

// isOver reports whether the lane was closed and has nothing left to run.
func (n *lane) isOver() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed && !n.running
}

func (n *lane) run() {
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = false
			n.queue = nil
			closed, then := n.closed, n.then
			n.mu.Unlock()
			if closed {
				then()
			}
			return
		}
		f := n.queue[0]
		n.queue[0] = nil
		n.queue = n.queue[1:]
		n.mu.Unlock()
		f()
	}
}
