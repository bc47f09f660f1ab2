package fsm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wsfsm/wsfsm/fsm"
)

// open returns a started machine in Open and its recorder, log cleared.
func open(t *testing.T) (*fsm.Machine, *recorder) {
	t.Helper()
	r := &recorder{}
	m := fsm.New(r, r)
	m.Start(context.Background())
	if err := m.Opened(context.Background(), nil); err != nil {
		t.Fatalf("Opened: %v", err)
	}
	r.log = nil
	return m, r
}

func TestStartRunsInitialActionOnce(t *testing.T) {
	r := &recorder{}
	m := fsm.New(r, r)
	hooked := 0
	m.OnTransition(func(fsm.Transition) { hooked++ })
	if len(r.log) != 0 || m.State() != fsm.Initial || fsm.Initial != fsm.Connecting {
		t.Fatalf("New ran %v, state %v", r.log, m.State())
	}
	m.Start(context.Background())
	m.Start(context.Background())
	if diff := cmp.Diff([]string{"dial(NoEvent:Connecting->Connecting)"}, r.log); diff != "" {
		t.Errorf("Start actions (-want +got):\n%s", diff)
	}
	if hooked != 0 {
		t.Errorf("Start called hooks %d times, want 0", hooked)
	}
}

func TestFireRunsActionThenHooksInOrder(t *testing.T) {
	r := &recorder{}
	m := fsm.New(r, r)
	m.Start(context.Background())
	m.OnTransition(func(tr fsm.Transition) { r.log = append(r.log, "hook1 "+tr.To.String()) })
	m.OnTransition(func(tr fsm.Transition) { r.log = append(r.log, "hook2 "+tr.To.String()) })
	if err := m.Opened(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"dial(NoEvent:Connecting->Connecting)", "start_io(opened:Connecting->Open)", "hook1 Open", "hook2 Open"}
	if diff := cmp.Diff(want, r.log); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if m.State() != fsm.Open {
		t.Errorf("state %v, want Open", m.State())
	}
}

func TestInvalidEventChangesNothing(t *testing.T) {
	m, r := open(t)
	err := m.Redial(context.Background(), nil)
	var ee *fsm.EventError
	if !errors.Is(err, fsm.ErrInvalidEvent) || !errors.As(err, &ee) {
		t.Fatalf("Redial in Open: %v, want *EventError wrapping ErrInvalidEvent", err)
	}
	if ee.Event != fsm.EventRedial || ee.State != fsm.Open {
		t.Errorf("EventError = %+v", ee)
	}
	if m.State() != fsm.Open || len(r.log) != 0 {
		t.Errorf("state %v, calls %v; want Open and none", m.State(), r.log)
	}
	if err := m.Fire(context.Background(), fsm.Event(200), nil); !errors.Is(err, fsm.ErrInvalidEvent) {
		t.Errorf("unknown event: %v", err)
	}
}

func TestGuardRejectedChangesNothing(t *testing.T) {
	m, r := open(t)
	if err := m.Close(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	r.log = nil
	cause := errors.New("going away")
	err := m.Retry(context.Background(), cause)
	var ee *fsm.EventError
	if !errors.Is(err, fsm.ErrGuardRejected) || !errors.As(err, &ee) || ee.Guard != "may_retry" {
		t.Fatalf("Retry with may_retry false: %v", err)
	}
	if m.State() != fsm.Closing {
		t.Errorf("state %v, want Closing", m.State())
	}
	if diff := cmp.Diff([]string{"may_retry(retry:Closing->Reconnecting)=false"}, r.log); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Aborted decides at once: then [retry, stop], the cause carried over.
func TestThenChain(t *testing.T) {
	for _, mayRetry := range []bool{true, false} {
		t.Run(fmt.Sprint("mayRetry=", mayRetry), func(t *testing.T) {
			m, r := open(t)
			r.mayRetry = mayRetry
			cause := errors.New("read: connection reset")
			var seen []fsm.Transition
			m.OnTransition(func(tr fsm.Transition) { seen = append(seen, tr) })
			if err := m.Abort(context.Background(), cause); err != nil {
				t.Fatal(err)
			}
			want := []string{
				"shutdown_tcp(abort:Open->Aborted)",
				fmt.Sprintf("may_retry(retry:Aborted->Reconnecting)=%v", mayRetry),
			}
			end := fsm.Reconnecting
			if mayRetry {
				want = append(want, "schedule_backoff(retry:Aborted->Reconnecting)")
			} else {
				want = append(want, "release(stop:Aborted->Closed)")
				end = fsm.Closed
			}
			if diff := cmp.Diff(want, r.log); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if m.State() != end || len(seen) != 2 || seen[1].To != end {
				t.Fatalf("state %v, hooks %v; want %v after two transitions", m.State(), seen, end)
			}
			for _, tr := range seen {
				if tr.Cause != cause {
					t.Errorf("transition %v lost the cause: %v", tr, tr.Cause)
				}
			}
		})
	}
}

// The seed scenario: force-close and reconnect at once.
func TestReconnectCycle(t *testing.T) {
	m, r := open(t)
	r.mayRetry = true
	ctx := context.Background()
	for _, step := range []struct {
		fire func(context.Context, error) error
		want fsm.State
	}{{m.Abort, fsm.Reconnecting}, {m.Redial, fsm.Connecting}, {m.Opened, fsm.Open}} {
		if err := step.fire(ctx, nil); err != nil || m.State() != step.want {
			t.Fatalf("err %v, state %v, want %v", err, m.State(), step.want)
		}
	}
}

func TestClosedIsFinal(t *testing.T) {
	m, r := open(t)
	ctx := context.Background()
	if err := m.Close(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Closed(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !m.State().Final() || m.State() != fsm.Closed || r.log[len(r.log)-1] != "release(closed:Closing->Closed)" {
		t.Fatalf("state %v, log %v", m.State(), r.log)
	}
	for _, e := range fsm.Events() {
		if m.Can(e) {
			t.Errorf("Can(%v) in Closed", e)
		}
		if err := m.Fire(ctx, e, nil); !errors.Is(err, fsm.ErrInvalidEvent) {
			t.Errorf("Fire(%v) in Closed: %v", e, err)
		}
	}
}

func TestReentrantFireIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, where := range []string{"action", "guard", "hook"} {
		t.Run(where, func(t *testing.T) {
			m, r := open(t)
			r.mayRetry = true
			var nested []error
			try := func() { nested = append(nested, m.Stop(ctx, nil)) }
			switch where {
			case "action":
				r.onAction = func(string, fsm.Transition) { try() }
			case "guard":
				r.onGuard = func(fsm.Transition) { try() }
			case "hook":
				m.OnTransition(func(fsm.Transition) { try() })
			}
			if err := m.Abort(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if len(nested) == 0 {
				t.Fatal("nested Fire never attempted")
			}
			for _, err := range nested {
				if !errors.Is(err, fsm.ErrReentrant) {
					t.Errorf("nested Fire: %v, want ErrReentrant", err)
				}
			}
			if m.State() != fsm.Reconnecting {
				t.Errorf("state %v, want Reconnecting (the nested stop must not have happened)", m.State())
			}
			r.onAction, r.onGuard = nil, nil
			if err := m.Redial(ctx, nil); err != nil && where != "hook" {
				t.Errorf("Fire after the nested attempt: %v", err)
			}
		})
	}
}

// A cancelled ctx would wedge a raw looplab/fsm forever; here it is ignored.
func TestCancelledContextDoesNotWedge(t *testing.T) {
	r := &recorder{mayRetry: true}
	m := fsm.New(r, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.Start(ctx)
	for _, fire := range []func(context.Context, error) error{m.Opened, m.Abort, m.Redial, m.Opened, m.Close} {
		if err := fire(ctx, nil); err != nil {
			t.Fatalf("with a cancelled ctx: %v", err)
		}
	}
	if m.State() != fsm.Closing {
		t.Errorf("state %v, want Closing", m.State())
	}
}

// A panicking action does not leave the machine refusing every event.
func TestPanicInActionDoesNotWedge(t *testing.T) {
	m, r := open(t)
	r.onAction = func(string, fsm.Transition) { panic("boom") }
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_ = m.Close(context.Background(), nil)
	}()
	r.onAction = nil
	if err := m.Abort(context.Background(), nil); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
}

func TestCanIsTableOnly(t *testing.T) {
	m, _ := open(t)
	if !m.CanClose() || !m.CanAbort() || m.CanOpened() || m.CanRetry() {
		t.Errorf("Can* in Open wrong")
	}
	_ = m.Close(context.Background(), nil)
	if !m.CanRetry() {
		t.Error("CanRetry in Closing must be true: guards are not consulted")
	}
}

func TestTables(t *testing.T) {
	if got := fmt.Sprint(fsm.States()); got != "[Connecting Open Closing Aborted Reconnecting Closed]" {
		t.Errorf("States() = %s", got)
	}
	if got := fmt.Sprint(fsm.Events()); got != "[opened close closed abort retry redial stop]" {
		t.Errorf("Events() = %s", got)
	}
	for _, s := range fsm.States() {
		if s.Doc() == "" || s.Final() != (s == fsm.Closed) {
			t.Errorf("%v: doc %q final %v", s, s.Doc(), s.Final())
		}
	}
	if fsm.State(99).String() != "State(99)" || fsm.NoEvent.String() != "NoEvent" || fsm.Event(99).String() != "Event(99)" {
		t.Error("String of out-of-range values")
	}
	tab := fsm.Table()
	if len(tab) != 11 || tab[6] != (fsm.Edge{Event: fsm.EventRetry, From: fsm.Aborted, To: fsm.Reconnecting, Guard: "may_retry"}) {
		t.Errorf("Table() = %v", tab)
	}
	tab[0].To = fsm.Closed
	if fsm.Table()[0].To != fsm.Open {
		t.Error("Table() is not a fresh copy")
	}
	r := &recorder{}
	var got []string
	for _, tm := range fsm.Timers() {
		got = append(got, fmt.Sprintf("%v:%s=%v->%v", tm.State, tm.Name, tm.Duration(r), tm.Event))
	}
	want := []string{"Connecting:handshake_timeout=10s->abort", "Closing:close_timeout=5s->abort", "Reconnecting:backoff=250ms->redial"}
	if !slices.Equal(got, want) {
		t.Errorf("Timers() = %v", got)
	}
	if _, ok := fsm.TimerOf(fsm.Open); ok {
		t.Error("Open has no timer")
	}
	if tm, ok := fsm.TimerOf(fsm.Closing); !ok || tm.Name != "close_timeout" {
		t.Errorf("TimerOf(Closing) = %v, %v", tm, ok)
	}
}
