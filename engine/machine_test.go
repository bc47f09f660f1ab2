package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A small machine: Idle --go--> Busy --done--> Idle; Busy --fail--> Failed,
// which decides at once: then [again (guard ok) -> Idle, quit -> End].
// Busy has a timer (slow -> fail); Busy runs work on enter and tidy on exit;
// Idle takes a self-loop (poke).
const (
	sIdle = iota
	sBusy
	sFailed
	sEnd
)

const (
	eGo = iota
	eDone
	eFail
	eAgain
	eQuit
	ePoke
)

func testSpec() *Spec {
	return &Spec{
		Name:    "test.yaml",
		States:  []string{"Idle", "Busy", "Failed", "End"},
		Events:  []string{"go", "done", "fail", "again", "quit", "poke"},
		Actions: []string{"work", "tidy", "wrap"},
		Guards:  []string{"ok", "poked"},
		Timers:  []string{"slow"},
		Initial: sIdle,
		Final:   []bool{false, false, false, true},
		Edges: []Edge{
			{eGo, sIdle, sBusy, None},
			{eDone, sBusy, sIdle, None},
			{eFail, sBusy, sFailed, None},
			{eAgain, sFailed, sIdle, 0},
			{eQuit, sFailed, sEnd, None},
			{eQuit, sIdle, sEnd, None},
			{ePoke, sIdle, sIdle, 1},
		},
		Enter: [][]int{nil, {0}, nil, {2}},
		Exit:  [][]int{nil, {1}, nil, nil},
		Then:  [][]int{nil, nil, {eAgain, eQuit}, nil},
		Timer: []StateTimer{{None, None}, {0, eFail}, {None, None}, {None, None}},
	}
}

// recorder implements Hooks and logs what the machine asked of it: each
// action run (act, the exit actions then the enter ones), each guard asked,
// and each transition recorded (Entered's last part, moved).
type recorder struct {
	m       *Machine
	mu      sync.Mutex
	log     []string
	ok      bool          // guard "ok"
	slow    time.Duration // timer "slow"
	ended   chan struct{}
	checkLL func(Transition) // run in moved
	initial []Transition     // moved for the initial entry (not in log)
	act     func(a int)      // run by Act, if set
}

func newRecorder(t *testing.T, sp *Spec) *recorder {
	r := &recorder{ok: true, slow: -1, ended: make(chan struct{})}
	m, err := New(sp, r)
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	return r
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) Leave(t Transition, exit []int) {
	for _, a := range exit {
		r.Act(a, t)
	}
}

func (r *recorder) Entered(t Transition, enter []int, tm int) time.Duration {
	for _, a := range enter {
		r.Act(a, t)
	}
	d := time.Duration(-1)
	if tm != None {
		d = r.slow
	}
	r.moved(t)
	return d
}

func (r *recorder) Act(a int, t Transition) {
	if r.act != nil {
		r.act(a)
	}
	r.add("act %s", r.m.spec.Actions[a])
}

func (r *recorder) Allow(g int, t Transition) bool {
	r.add("guard %s", r.m.spec.Guards[g])
	return g == 0 && r.ok
}

func (r *recorder) TimerCause(tm int) error { return errors.New("timer " + r.m.spec.Timers[tm]) }

func (r *recorder) moved(t Transition) {
	if t.Event == None {
		r.mu.Lock()
		r.initial = append(r.initial, t)
		r.mu.Unlock()
		return
	}
	r.add("moved %s %s>%s", r.m.spec.Events[t.Event], r.m.spec.States[t.From], r.m.spec.States[t.To])
	if got := r.m.State(); got != t.To {
		panic(fmt.Sprintf("moved(%v) while looplab/fsm says %s", t, r.m.spec.States[got]))
	}
	if r.checkLL != nil {
		r.checkLL(t)
	}
}

func (r *recorder) Ended() { close(r.ended) }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// run posts f and waits for it to have run.
func (r *recorder) run(f func()) {
	done := make(chan struct{})
	r.m.Post(func() { f(); close(done) })
	<-done
}

func (r *recorder) fire(e int, cause error) (err error) {
	r.run(func() { err = r.m.Fire(e, cause) })
	return err
}

func expectLog(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	if got := r.take(); !slices.Equal(got, want) {
		t.Errorf("log:\n got %q\nwant %q", got, want)
	}
}

// Entered records the initial entry too, once, with Event None and From
// equal to To (issue 17 item 14: the observer never saw it).
func TestStartReportsTheInitialEntry(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.m.Start()
	r.m.Start()
	r.mu.Lock()
	defer r.mu.Unlock()
	want := []Transition{{Event: None, From: sIdle, To: sIdle}}
	if !slices.Equal(r.initial, want) {
		t.Errorf("recorded for the initial entry: %v, want %v", r.initial, want)
	}
}

// Exit actions of the state left run before the enter actions of the state
// entered; the record comes last; looplab/fsm holds the state throughout.
func TestFireRunsExitEnterMoved(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.m.Start()
	if err := r.fire(eGo, nil); err != nil {
		t.Fatal(err)
	}
	expectLog(t, r, "act work", "moved go Idle>Busy")
	if err := r.fire(eDone, nil); err != nil {
		t.Fatal(err)
	}
	expectLog(t, r, "act tidy", "moved done Busy>Idle")
	if got := r.m.fsm.Current(); got != "Idle" || r.m.State() != sIdle {
		t.Errorf("looplab says %s, State() %d", got, r.m.State())
	}
}

// An event the state does not take, or whose guard refuses, changes nothing
// and says which.
func TestFireRefusals(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.m.Start()
	err := r.fire(eDone, nil)
	var ee *EventError
	if !errors.As(err, &ee) || !errors.Is(err, ErrNotAllowed) || ee.Event != "done" || ee.State != "Idle" {
		t.Errorf("done from Idle: %v", err)
	}
	err = r.fire(ePoke, nil) // guard "poked" always refuses
	if !errors.Is(err, ErrGuardRejected) || !errors.As(err, &ee) || ee.Guard != "poked" {
		t.Errorf("poke: %v", err)
	}
	expectLog(t, r, "guard poked")
	if r.m.State() != sIdle {
		t.Errorf("state %d after refusals", r.m.State())
	}
}

// `then` takes the first step whose guard allows it, carrying the cause.
func TestThenChoosesInOrder(t *testing.T) {
	for _, ok := range []bool{true, false} {
		t.Run(fmt.Sprint(ok), func(t *testing.T) {
			r := newRecorder(t, testSpec())
			r.ok = ok
			r.m.Start()
			cause := errors.New("boom")
			var causes []error
			r.checkLL = func(tr Transition) { causes = append(causes, tr.Cause) }
			_ = r.fire(eGo, nil)
			r.take()
			causes = nil
			if err := r.fire(eFail, cause); err != nil {
				t.Fatal(err)
			}
			if ok {
				expectLog(t, r, "act tidy", "moved fail Busy>Failed", "guard ok", "moved again Failed>Idle")
			} else {
				expectLog(t, r, "act tidy", "moved fail Busy>Failed", "guard ok", "act wrap", "moved quit Failed>End")
			}
			for _, c := range causes {
				if c != cause {
					t.Errorf("a then step carried cause %v, want %v", c, cause)
				}
			}
		})
	}
}

// A self-loop runs its guard and the record, but no exit or enter actions.
func TestSelfLoop(t *testing.T) {
	sp := testSpec()
	sp.Guards = []string{"ok", "ok2"}
	r := newRecorder(t, sp)
	r.m.Start()
	r.ok = true
	// make guard 1 allow: reuse "ok" semantics by pointing the edge at guard 0
	sp.Edges[6].Guard = 0
	if err := r.fire(ePoke, nil); err != nil {
		t.Fatal(err)
	}
	expectLog(t, r, "guard ok", "moved poke Idle>Idle")
}

// A state's timer fires its event after the duration; one of a state already
// left never does.
func TestTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(t, testSpec())
		r.slow = time.Second
		r.ok = false
		r.m.Start()
		_ = r.fire(eGo, nil)
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if r.m.State() != sBusy {
			t.Fatalf("state %d before the timer", r.m.State())
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if s := r.m.State(); s != sEnd {
			t.Fatalf("state %s after the timer, want End (fail, then quit)", sp(r, s))
		}
		<-r.ended

		// Leave Busy before its timer: nothing fires later.
		r2 := newRecorder(t, testSpec())
		r2.slow = time.Second
		r2.m.Start()
		_ = r2.fire(eGo, nil)
		time.Sleep(500 * time.Millisecond)
		_ = r2.fire(eDone, nil)
		_ = r2.fire(eGo, nil) // Busy again: a new timer, a new epoch
		time.Sleep(700 * time.Millisecond)
		synctest.Wait()
		if r2.m.State() != sBusy {
			t.Fatalf("the first Busy's timer fired in the second Busy")
		}
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		if r2.m.State() == sBusy {
			t.Fatalf("the second Busy's timer did not fire")
		}
	})
}

func sp(r *recorder, s int) string { return r.m.spec.States[s] }

// PostAt drops work of a state entry already left; a ticket's PostAt hands
// its result to stale instead.
func TestStaleWorkDropped(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.m.Start()
	var epoch uint64
	var old, cur *Ticket
	r.run(func() { epoch = r.m.Epoch(); old = r.m.Track() })
	ran, stale := 0, 0
	_ = r.fire(eGo, nil)
	r.run(func() { cur = r.m.Track() })
	old.PostAt(func() { ran++ }, func() { stale++ })
	cur.PostAt(func() { stale-- }, nil)
	if stale != 0 {
		t.Errorf("stale %d: the old ticket's result was not handed to stale, or the current one's was", stale)
	}
	r.m.PostAt(epoch, func() { ran++ })
	r.run(func() {})
	if ran != 0 {
		t.Errorf("%d stale items ran", ran)
	}
	r.run(func() { epoch = r.m.Epoch() })
	r.m.PostAt(epoch, func() { ran++ })
	r.run(func() {})
	if ran != 1 {
		t.Errorf("%d current items ran, want 1", ran)
	}
}

// The machine ends (Ended, and posts refused) only in a final state with no
// ticket outstanding; work through a ticket is always accepted.
func TestEndWaitsForTickets(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.m.Start()
	var tk *Ticket
	r.run(func() { tk = r.m.Track() })
	_ = r.fire(eQuit, nil) // Idle -> End
	select {
	case <-r.ended:
		t.Fatal("ended with a ticket outstanding")
	default:
	}
	ran := false
	tk.Post(func() { ran = true })
	<-r.ended
	if !ran {
		t.Error("the ticket's work did not run")
	}
	if r.m.Post(func() { t.Error("ran after the end") }) {
		t.Error("a post was accepted after the end")
	}
}

// Fire from inside an action is refused, not deadlocked.
func TestReentrantFire(t *testing.T) {
	sp := testSpec()
	var inner error
	r := newRecorder(t, sp)
	r.act = func(int) { inner = r.m.Fire(eDone, nil) }
	r.m.Start()
	_ = r.fire(eGo, nil)
	if !errors.Is(inner, ErrReentrant) {
		t.Errorf("Fire from an action = %v, want ErrReentrant", inner)
	}
}

// A panic in an action, recovered by whoever posted, leaves the machine
// usable: looplab/fsm is not wedged and the queue runs what follows.
func TestPanicRecoveredUpstream(t *testing.T) {
	r := newRecorder(t, testSpec())
	r.act = func(a int) {
		if r.m.spec.Actions[a] == "work" {
			panic("user action")
		}
	}
	r.m.Start()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		r.m.Post(func() { _ = r.m.Fire(eGo, nil) })
	}()
	if err := r.fire(eDone, nil); err != nil {
		t.Fatalf("after a recovered panic: %v", err)
	}
	if r.m.State() != sIdle {
		t.Errorf("state %s", sp(r, r.m.State()))
	}
}

// Tables that do not describe a machine are refused with ErrSpec.
func TestSpecChecked(t *testing.T) {
	for name, breakIt := range map[string]func(*Spec){
		"no states":       func(s *Spec) { s.States = nil },
		"initial":         func(s *Spec) { s.Initial = 9 },
		"short table":     func(s *Spec) { s.Enter = s.Enter[:2] },
		"edge id":         func(s *Spec) { s.Edges[0].To = 9 },
		"guard id":        func(s *Spec) { s.Edges[0].Guard = 7 },
		"two edges":       func(s *Spec) { s.Edges = append(s.Edges, Edge{eGo, sIdle, sBusy, None}) },
		"two targets":     func(s *Spec) { s.Edges = append(s.Edges, Edge{eGo, sFailed, sEnd, None}) },
		"from final":      func(s *Spec) { s.Edges = append(s.Edges, Edge{ePoke, sEnd, sEnd, None}) },
		"action id":       func(s *Spec) { s.Enter[1] = []int{5} },
		"then no edge":    func(s *Spec) { s.Then[0] = []int{eDone} },
		"then last guard": func(s *Spec) { s.Then[2] = []int{eQuit, eAgain} },
		"timer event":     func(s *Spec) { s.Timer[0] = StateTimer{0, eDone} },
	} {
		sp := testSpec()
		breakIt(sp)
		_, err := New(sp, &recorder{})
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), "test.yaml") {
			t.Errorf("%s: New = %v, want ErrSpec naming the spec", name, err)
		}
	}
}
