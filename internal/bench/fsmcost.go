package bench

import (
	"context"
	"fmt"
	"time"

	looplab "github.com/looplab/fsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// nopActions implements fsm.Actions and fsm.Guards with empty bodies, so
// that the machine itself is measured.
type nopActions struct{}

func (nopActions) Dial(fsm.Transition)            {}
func (nopActions) StartIO(fsm.Transition)         {}
func (nopActions) SendClose(fsm.Transition)       {}
func (nopActions) ShutdownTCP(fsm.Transition)     {}
func (nopActions) ScheduleBackoff(fsm.Transition) {}
func (nopActions) Release(fsm.Transition)         {}
func (nopActions) MayRetry(fsm.Transition) bool   { return true }

// cycle is the reconnect cycle both sides run: opened, abort, retry (a
// `then` step of the generated machine), redial.
const transitionsPerCycle = 4

// measureTransition returns the cost of one transition of the generated
// Machine and of one raw looplab/fsm Event on an equivalent machine
// without callbacks, each over cycles reconnect cycles.
func measureTransition(cycles int) (machine, raw time.Duration, err error) {
	ctx := context.Background()
	m := fsm.New(nopActions{}, nopActions{})
	m.Start(ctx)
	t0 := time.Now()
	for range cycles {
		if err := m.Opened(ctx, nil); err != nil {
			return 0, 0, fmt.Errorf("bench: machine: %w", err)
		}
		if err := m.Abort(ctx, nil); err != nil { // Aborted, then retry to Reconnecting
			return 0, 0, fmt.Errorf("bench: machine: %w", err)
		}
		if err := m.Redial(ctx, nil); err != nil {
			return 0, 0, fmt.Errorf("bench: machine: %w", err)
		}
	}
	machine = time.Since(t0) / time.Duration(cycles*transitionsPerCycle)

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
	names := [...]string{"opened", "abort", "retry", "redial"}
	t0 = time.Now()
	for range cycles {
		for _, e := range names {
			if err := f.Event(ctx, e); err != nil {
				return 0, 0, fmt.Errorf("bench: looplab: %w", err)
			}
		}
	}
	raw = time.Since(t0) / time.Duration(cycles*transitionsPerCycle)
	return machine, raw, nil
}
