package engine_test

import (
	"context"
	"testing"

	"github.com/wsfsm/wsfsm/internal/fsmbench"
)

// One transition of the reference machine through the engine (looplab/fsm
// holding the state, guards, `then`, run to completion), beside one raw
// looplab/fsm Event on the same table without callbacks.
func BenchmarkTransition(b *testing.B) {
	m, err := fsmbench.NewMachine()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := fsmbench.MachineCycle(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fsmbench.TransitionsPerCycle), "ns/transition")
}

func BenchmarkLooplabEvent(b *testing.B) {
	f := fsmbench.NewLooplab()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := fsmbench.LooplabCycle(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fsmbench.TransitionsPerCycle), "ns/transition")
}
