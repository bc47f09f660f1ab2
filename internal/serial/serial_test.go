package serial

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runTurn runs f (the item Take gave the turn for; nil: none) and then the
// queue's items, as the goroutine holding the turn does, and reports
// whether the last Next said closed.
func runTurn(q *Queue, f func()) (closed bool) {
	for {
		if f == nil {
			if f, closed = q.Next(); f == nil {
				return closed
			}
		}
		f()
		f = nil
	}
}

// Work pushed from many goroutines runs one item at a time, each exactly
// once, and each pusher's items in the order it pushed them.
func TestOneAtATimeInOrder(t *testing.T) {
	var q Queue
	const pushers, each = 8, 500
	var mu sync.Mutex
	running := 0
	seen := make([][]int, pushers)
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				item := func() {
					mu.Lock()
					running++
					if running != 1 {
						t.Errorf("%d items running at once", running)
					}
					seen[p] = append(seen[p], i)
					running--
					mu.Unlock()
				}
				run, ok := q.Take(item)
				if !ok {
					t.Error("an open queue refused work")
				}
				if run {
					runTurn(&q, item)
				}
			}
		})
	}
	wg.Wait()
	for p, got := range seen {
		if len(got) != each {
			t.Fatalf("pusher %d: %d items ran, want %d", p, len(got), each)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("pusher %d: item %d ran in place %d", p, v, i)
			}
		}
	}
}

// Pushing into an idle queue hands the turn to the pusher; pushing while
// someone holds it does not; the holder runs the item pushed meanwhile.
func TestTheTurn(t *testing.T) {
	var q Queue
	var order []string
	first := func() {
		order = append(order, "first")
		if run, _ := q.Take(func() { order = append(order, "second") }); run {
			t.Error("a push while the turn is held got the turn")
		}
	}
	run, _ := q.Take(first)
	if !run {
		t.Fatal("a push into an idle queue did not get the turn")
	}
	if runTurn(&q, first) {
		t.Error("an open queue said closed")
	}
	if len(order) != 2 || order[0] != "first" || order[1] != "second" {
		t.Errorf("ran %v, want [first second]", order)
	}
}

// Close refuses new work but lets what is queued run; Over says when
// nothing will run again.
func TestClose(t *testing.T) {
	var q Queue
	ran := 0
	item := func() { ran++ }
	run, _ := q.Take(item)
	if !run {
		t.Fatal("no turn")
	}
	if q.Close() {
		t.Error("Close said idle while the turn is held")
	}
	if _, ok := q.Take(func() { ran++ }); ok {
		t.Error("a closed queue took work")
	}
	if q.Over() {
		t.Error("Over before the queued item ran")
	}
	if !runTurn(&q, item) {
		t.Error("the last Next did not say closed")
	}
	if ran != 1 || !q.Over() {
		t.Errorf("ran %d items, over %v; want 1 and true", ran, q.Over())
	}
}

// Abandon gives the turn up, or keeps it when items are left for another
// goroutine to run.
func TestAbandon(t *testing.T) {
	var q Queue
	q.Take(func() {}) // the turn: not queued
	q.Take(func() {})
	q.Take(func() {})
	if f, _ := q.Next(); f == nil {
		t.Fatal("no item")
	}
	if !q.Abandon() {
		t.Fatal("Abandon with an item left gave the turn up")
	}
	if runTurn(&q, nil) {
		t.Error("closed")
	}
	if q.Abandon() {
		t.Error("Abandon of an empty queue kept the turn")
	}
	if run, _ := q.Take(func() {}); !run {
		t.Error("the turn was not free after Abandon of an empty queue")
	}
}

// Take into an idle queue hands the turn to the caller without queuing its
// item (the caller runs it); while the turn is held it queues the item for
// the holder; a closed queue refuses it.
func TestTake(t *testing.T) {
	var q Queue
	run, ok := q.Take(func() { t.Error("the item taken into an idle queue was queued") })
	if !run || !ok {
		t.Fatalf("Take into an idle queue: run %v, ok %v; want true, true", run, ok)
	}
	ran := false
	if run, ok := q.Take(func() { ran = true }); run || !ok {
		t.Errorf("Take while the turn is held: run %v, ok %v; want false, true", run, ok)
	}
	if runTurn(&q, nil) {
		t.Error("an open queue said closed")
	}
	if !ran {
		t.Error("the item taken while the turn was held did not run")
	}
	q.Close()
	if run, ok := q.Take(func() {}); run || ok {
		t.Errorf("Take into a closed queue: run %v, ok %v; want false, false", run, ok)
	}
}
