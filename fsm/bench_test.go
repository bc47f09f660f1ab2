package fsm_test

import (
	"context"
	"testing"

	looplab "github.com/looplab/fsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// nop implements Actions and Guards with no-op bodies, so the benchmarks
// measure the machine itself.
type nop struct{}

func (nop) Dial(fsm.Transition)            {}
func (nop) StartIO(fsm.Transition)         {}
func (nop) SendClose(fsm.Transition)       {}
func (nop) ShutdownTCP(fsm.Transition)     {}
func (nop) ScheduleBackoff(fsm.Transition) {}
func (nop) Release(fsm.Transition)         {}
func (nop) MayRetry(fsm.Transition) bool   { return true }

// transitionsPerCycle is how many transitions one benchmark op makes:
// Connecting -opened-> Open -abort-> Aborted -retry-> Reconnecting -redial-> Connecting.
const transitionsPerCycle = 4

// BenchmarkMachineTransition runs the reconnect cycle through the generated
// Machine (table lookup, guard, looplab Event, enter action, then-step).
func BenchmarkMachineTransition(b *testing.B) {
	ctx := context.Background()
	m := fsm.New(nop{}, nop{})
	m.Start(ctx)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Opened(ctx, nil); err != nil {
			b.Fatal(err)
		}
		if err := m.Abort(ctx, nil); err != nil { // Aborted, then retry to Reconnecting
			b.Fatal(err)
		}
		if err := m.Redial(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*transitionsPerCycle), "ns/transition")
}

// BenchmarkLooplabEvent runs the same four transitions with raw
// looplab/fsm Event calls on an equivalent machine without callbacks.
func BenchmarkLooplabEvent(b *testing.B) {
	ctx := context.Background()
	var events looplab.Events
	for _, e := range fsm.Events() {
		var src []string
		dst := ""
		for _, ed := range fsm.Table() {
			if ed.Event == e {
				src = append(src, ed.From.String())
				dst = ed.To.String()
			}
		}
		events = append(events, looplab.EventDesc{Name: e.String(), Src: src, Dst: dst})
	}
	f := looplab.NewFSM(fsm.Initial.String(), events, nil)
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range [...]string{"opened", "abort", "retry", "redial"} {
			if err := f.Event(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*transitionsPerCycle), "ns/transition")
}

// BenchmarkNew reports what one Machine costs in memory (B/op): one is made
// per connection.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = fsm.New(nop{}, nop{})
	}
}
