package wsfsm

import (
	"sync"
	"sync/atomic"
)

// notifier hands transitions to Options.OnTransition on a goroutine of its own,
// in order, through an unbounded queue: the loop never waits for the observer,
// and the observer may call back into the Conn without deadlock.
type notifier struct {
	f          func(Transition)
	mu         sync.Mutex
	cond       sync.Cond
	queue      []Transition
	closed     bool
	inCallback atomic.Bool
	done       chan struct{}
}

func newNotifier(f func(Transition)) *notifier {
	n := &notifier{f: f, done: make(chan struct{})}
	n.cond.L = &n.mu
	go n.run()
	return n
}

func (n *notifier) push(t Transition) {
	n.mu.Lock()
	n.queue = append(n.queue, t)
	n.mu.Unlock()
	n.cond.Signal()
}

// close lets the goroutine end once the queue is drained.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cond.Signal()
}

// wait waits for the goroutine to end, unless called from inside the callback,
// where waiting would deadlock.
func (n *notifier) wait() {
	if !n.inCallback.Load() {
		<-n.done
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for {
		n.mu.Lock()
		for len(n.queue) == 0 && !n.closed {
			n.cond.Wait()
		}
		if len(n.queue) == 0 {
			n.mu.Unlock()
			return
		}
		t := n.queue[0]
		n.queue[0] = Transition{}
		n.queue = n.queue[1:]
		n.mu.Unlock()
		n.inCallback.Store(true)
		n.f(t)
		n.inCallback.Store(false)
	}
}
