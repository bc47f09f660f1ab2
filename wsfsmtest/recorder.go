package wsfsmtest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsfsm/wsfsm"
)

// Recorder collects a Conn's transitions (give its On to
// Options.OnTransition), and adds each to a Set of pairs.
type Recorder[S, E wsfsm.Enum] struct {
	pairs *Set
	mu    sync.Mutex
	all   []wsfsm.TransitionOf[S, E]
	ch    chan wsfsm.TransitionOf[S, E]
}

// NewRecorder returns a Recorder that adds every transition to pairs (nil:
// none).
func NewRecorder[S, E wsfsm.Enum](pairs *Set) *Recorder[S, E] {
	return &Recorder[S, E]{pairs: pairs, ch: make(chan wsfsm.TransitionOf[S, E], 4096)}
}

// FastOptions are options for tests: short timers so that a scenario takes
// milliseconds, no pings, and r as the observer.
func (r *Recorder[S, E]) FastOptions() *wsfsm.OptionsOf[S, E] {
	return &wsfsm.OptionsOf[S, E]{
		HandshakeTimeout: 5 * time.Second,
		CloseTimeout:     2 * time.Second,
		PingInterval:     -1,
		BackoffInitial:   time.Millisecond,
		BackoffMax:       5 * time.Millisecond,
		MinUptime:        -1,
		OnTransition:     r.On,
	}
}

// On records t; it is an Options.OnTransition.
func (r *Recorder[S, E]) On(t wsfsm.TransitionOf[S, E]) {
	if r.pairs != nil {
		r.pairs.Add(t.Event, t.From)
	}
	r.mu.Lock()
	r.all = append(r.all, t)
	r.mu.Unlock()
	r.ch <- t
}

// WaitFor consumes transitions until one enters to, and returns it; it fails
// the test after 20 s (a safety net, not a measurement).
func (r *Recorder[S, E]) WaitFor(t testing.TB, to S) wsfsm.TransitionOf[S, E] {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case tr := <-r.ch:
			if tr.To == to {
				return tr
			}
		case <-deadline.C:
			t.Fatalf("no transition into %s; so far: %s", to, r.Path())
		}
	}
}

// Path renders every transition so far as "Connecting>Open>Aborted...".
func (r *Recorder[S, E]) Path() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.all) == 0 {
		return ""
	}
	var parts []string
	for i, t := range r.all {
		if i == 0 && !t.Initial() {
			parts = append(parts, t.From.String())
		}
		parts = append(parts, t.To.String())
	}
	return strings.Join(parts, ">")
}

// Transitions returns every transition so far.
func (r *Recorder[S, E]) Transitions() []wsfsm.TransitionOf[S, E] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wsfsm.TransitionOf[S, E](nil), r.all...)
}

// Main runs a suite's tests, then fails the run if a pair of table was
// never taken (only for a full run) or a goroutine was left behind. Call it
// from TestMain: os.Exit(wsfsmtest.Main(m, pairs, table)).
func Main(m *testing.M, pairs *Set, table []Edge) int {
	code := m.Run()
	if code == 0 && pairs != nil && FullRun() {
		if missing := pairs.Missing(table); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "transition coverage: pairs never taken: %s\n", strings.Join(missing, ", "))
			code = 1
		} else {
			fmt.Fprintf(os.Stderr, "transition coverage: all %d (event, from) pairs taken\n", len(table))
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	return code
}

// Eventually waits until cond holds, yielding the processor in between; it
// fails the test after 10 s (a safety net for a condition that a goroutine
// of the test makes true, not a measurement).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}
