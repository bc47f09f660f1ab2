package fsm_test

import (
	"context"
	"testing"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/fsmbench"
)

// BenchmarkMachineTransition runs the reconnect cycle through the generated
// Machine (table lookup, guard, looplab Event, enter action, then-step).
func BenchmarkMachineTransition(b *testing.B) {
	ctx := context.Background()
	m := fsmbench.NewMachine()
	b.ReportAllocs()
	for b.Loop() {
		if err := fsmbench.MachineCycle(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fsmbench.TransitionsPerCycle), "ns/transition")
}

// BenchmarkLooplabEvent runs the same four transitions with raw
// looplab/fsm Event calls on an equivalent machine without callbacks.
func BenchmarkLooplabEvent(b *testing.B) {
	ctx := context.Background()
	f := fsmbench.NewLooplab()
	b.ReportAllocs()
	for b.Loop() {
		if err := fsmbench.LooplabCycle(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fsmbench.TransitionsPerCycle), "ns/transition")
}

// BenchmarkNew reports what one Machine costs in memory (B/op): one is made
// per connection.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = fsm.New(fsmbench.Nop{}, fsmbench.Nop{})
	}
}
