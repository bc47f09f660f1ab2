package wsfsm

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// notifier hands transitions to Options.OnTransition in order, through an
// unbounded queue, on a goroutine that runs only while there is something to
// deliver: the loop never waits for the observer, the observer may call back
// into the Conn without deadlock, and an idle Conn holds no goroutine for it.
type notifier struct {
	f    func(Transition)
	goid atomic.Uint64 // the id of the goroutine delivering, 0 when none
	done chan struct{} // closed after the last delivery, once close was called

	mu      sync.Mutex
	queue   []Transition
	running bool   // a goroutine is delivering
	closed  bool   // no more pushes will come
	then    func() // run once everything was delivered after close
}

func newNotifier(f func(Transition)) *notifier {
	return &notifier{f: f, done: make(chan struct{})}
}

func (n *notifier) push(t Transition) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = append(n.queue, t)
	if !n.running {
		n.running = true
		go n.run()
	}
}

// close says no more transitions will come; then runs once the last one was
// delivered (at once if none is pending), and done closes after it.
func (n *notifier) close(then func()) {
	n.mu.Lock()
	n.closed, n.then = true, then
	idle := !n.running
	n.mu.Unlock()
	if idle {
		n.finish(then)
	}
}

func (n *notifier) finish(then func()) {
	if then != nil {
		then()
	}
	close(n.done)
}

// wait waits until every transition was delivered, unless called from
// inside the callback (on the delivering goroutine), where waiting would
// deadlock. Another goroutine calling while a callback runs does wait.
func (n *notifier) wait() {
	if id := n.goid.Load(); id != 0 && id == goroutineID() {
		return
	}
	<-n.done
}

// goroutineID returns the id of the calling goroutine, read from the first
// line of its stack trace ("goroutine 42 [running]:"). Go offers no other way
// to tell that Close was called from inside OnTransition, on the delivering
// goroutine; it costs about a microsecond, once per burst of transitions and
// once per Close or Abort.
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
	n.goid.Store(goroutineID())
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = false
			n.queue = nil
			closed, then := n.closed, n.then
			n.goid.Store(0)
			n.mu.Unlock()
			if closed {
				n.finish(then)
			}
			return
		}
		t := n.queue[0]
		n.queue[0] = Transition{}
		n.queue = n.queue[1:]
		n.mu.Unlock()
		n.f(t)
	}
}
