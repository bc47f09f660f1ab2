package fsmbench

import (
	"context"
	"fmt"
	"time"

	looplab "github.com/looplab/fsm"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/fsm"
)

// Nop implements engine.Hooks with empty bodies, so that the engine itself
// is measured. Its guard always allows the event; no state has a timer.
type Nop struct{}

// Leave does nothing.
func (Nop) Leave(engine.Transition, []int) {}

// Allow allows every guarded event.
func (Nop) Allow(int, engine.Transition) bool { return true }

// Entered runs no action and arms no timer.
func (Nop) Entered(engine.Transition, []int, int) time.Duration { return -1 }

// TimerCause is never called: no timer is armed.
func (Nop) TimerCause(int) error { return nil }

// Ended does nothing.
func (Nop) Ended() {}

// TransitionsPerCycle is how many transitions one cycle makes: Connecting
// -opened-> Open -abort-> Aborted -retry-> Reconnecting -redial-> Connecting.
const TransitionsPerCycle = 4

// NewMachine returns a started engine Machine of the reference spec over
// Nop, in Connecting.
func NewMachine() (*engine.Machine, error) {
	m, err := engine.New(&fsm.Machine().Spec, Nop{})
	if err != nil {
		return nil, err
	}
	m.Start()
	return m, nil
}

// MachineCycle runs one cycle through m, as posted work run to completion
// (retry is a `then` step of abort).
func MachineCycle(m *engine.Machine) (err error) {
	m.Post(func() {
		for _, e := range []fsm.Event{fsm.EventOpened, fsm.EventAbort, fsm.EventRedial} {
			if err = m.Fire(int(e), nil); err != nil {
				err = fmt.Errorf("fsmbench: machine: %w", err)
				return
			}
		}
	})
	return err
}

// NewLooplab returns a raw looplab/fsm machine with the transitions of the
// generated table and no callbacks, in Connecting.
func NewLooplab() *looplab.FSM {
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
	return looplab.NewFSM(fsm.Initial.String(), events, nil)
}

var cycleEvents = [...]string{"opened", "abort", "retry", "redial"}

// LooplabCycle runs one cycle through f with four Event calls.
func LooplabCycle(ctx context.Context, f *looplab.FSM) error {
	for _, e := range cycleEvents {
		if err := f.Event(ctx, e); err != nil {
			return fmt.Errorf("fsmbench: looplab: %w", err)
		}
	}
	return nil
}
