package wsfsm

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// notifier hands transitions to Options.OnTransition on a goroutine of its own,
// in order, through an unbounded queue: the loop never waits for the observer,
// and the observer may call back into the Conn without deadlock.
type notifier struct {
	f      func(Transition)
	mu     sync.Mutex
	cond   sync.Cond
	queue  []Transition
	closed bool
	goid   atomic.Uint64 // the id of the goroutine that runs f
	done   chan struct{}
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

// wait waits for the goroutine to end, unless called from inside the
// callback (on that very goroutine), where waiting would deadlock. Another
// goroutine calling while a callback runs does wait: it must see every
// transition delivered.
func (n *notifier) wait() {
	if id := n.goid.Load(); id != 0 && id == goroutineID() {
		return
	}
	<-n.done
}

// goroutineID returns the id of the calling goroutine, read from the first
// line of its stack trace ("goroutine 42 [running]:"). Go offers no other way
// to tell that Close was called from inside OnTransition, on the notifier's
// own goroutine; it costs about a microsecond and runs once per Close or
// Abort.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

func (n *notifier) run() {
	defer close(n.done)
	n.goid.Store(goroutineID())
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
		n.f(t)
	}
}
