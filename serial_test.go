package wsfsm

import (
	"sync"
	"testing"
)

// Work runs one item at a time, in the order posted; work posted from inside
// work runs after it; after the end no work is accepted, but all that was
// accepted ran, and onEnd ran once, last.
func TestSerial(t *testing.T) {
	var (
		log     []int
		running int // items in progress; more than one is a failure
		ends    int
	)
	var s serial
	limit := 1000
	s.done = func() bool { return len(log) >= limit }
	s.onEnd = func() { ends++; log = append(log, -1) }

	var wg sync.WaitGroup
	var accepted sync.Map
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := g*1000 + i
				ok := s.post(func() {
					running++
					if running != 1 {
						t.Errorf("%d items ran at once", running)
					}
					log = append(log, id)
					if id%100 == 0 {
						s.post(func() { log = append(log, id+1_000_000) })
					}
					running--
				})
				if ok {
					accepted.Store(id, true)
				}
			}
		})
	}
	wg.Wait()
	if s.post(func() { t.Error("ran after the end") }) {
		t.Error("post accepted work after the end")
	}
	if ends != 1 || log[len(log)-1] != -1 {
		t.Fatalf("onEnd ran %d times; last entry %d", ends, log[len(log)-1])
	}
	ran := map[int]bool{}
	last := map[int]int{} // per poster, the index of its last item
	for _, id := range log[:len(log)-1] {
		ran[id] = true
		if id < 1_000_000 {
			if prev, ok := last[id/1000]; ok && id <= prev {
				t.Errorf("poster %d: item %d ran after %d", id/1000, id, prev)
			}
			last[id/1000] = id
		}
	}
	accepted.Range(func(k, _ any) bool {
		if !ran[k.(int)] {
			t.Errorf("item %d was accepted and never ran", k)
		}
		return true
	})
}
