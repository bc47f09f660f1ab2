package bench

import (
	"context"
	"time"

	"github.com/wsfsm/wsfsm/internal/fsmbench"
)

// measureTransition returns the cost of one transition of the reference
// machine through the engine (guard, actions, then, run to completion; no-op
// hooks) and of one raw looplab/fsm Event on an equivalent machine without
// callbacks, each over cycles reconnect cycles.
func measureTransition(cycles int) (machine, raw time.Duration, err error) {
	m, err := fsmbench.NewMachine()
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	for range cycles {
		if err := fsmbench.MachineCycle(m); err != nil {
			return 0, 0, err
		}
	}
	machine = time.Since(t0) / time.Duration(cycles*fsmbench.TransitionsPerCycle)
	ctx := context.Background()
	f := fsmbench.NewLooplab()
	t0 = time.Now()
	for range cycles {
		if err := fsmbench.LooplabCycle(ctx, f); err != nil {
			return 0, 0, err
		}
	}
	raw = time.Since(t0) / time.Duration(cycles*fsmbench.TransitionsPerCycle)
	return machine, raw, nil
}
