package wsfsm

import "sync"

// serial runs queued work one item at a time, each to completion, on
// whichever goroutine posted into an idle queue; the others only enqueue.
// This gives the machine exactly one owner at any moment, as a loop goroutine
// would, without a goroutine per Conn: an idle Conn costs its reader and
// nothing else, and an I/O result is handled on the goroutine that produced
// it instead of waking another one.
//
// Work must not block: it may only start goroutines and send on buffered
// channels. Work posted from inside work runs after the current item.
type serial struct {
	mu      sync.Mutex
	queue   []func()
	running bool // a goroutine is draining the queue
	ended   bool // done reported true: no more work is accepted

	done  func() bool // after each item: true once the loop is over
	onEnd func()      // once, after the last item
}

// post queues f and, if no goroutine is draining, drains the queue on this
// one. It reports false, without running f, once the loop has ended. Work
// accepted before the end always runs.
func (s *serial) post(f func()) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, f)
	if s.running {
		s.mu.Unlock()
		return true
	}
	s.running = true
	s.mu.Unlock()
	s.drain()
	return true
}

func (s *serial) drain() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			ended := s.ended
			s.queue = nil // let a burst's backing array go
			s.mu.Unlock()
			if ended {
				s.onEnd()
			}
			return
		}
		f := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()

		f()
		if !s.ended && s.done() {
			// Only the draining goroutine writes ended; the lock publishes it
			// to post. What is already queued still runs, then onEnd.
			s.mu.Lock()
			s.ended = true
			s.mu.Unlock()
		}
	}
}
