// Package fsmbench holds what the transition benchmarks share: the Go
// benchmarks of package fsm and the bench command's fsm_transition_ratio run
// the same reconnect cycle through the generated Machine and through raw
// looplab/fsm.
package fsmbench

import (
	"context"
	"fmt"

	looplab "github.com/looplab/fsm"

	"github.com/wsfsm/wsfsm/fsm"
)

// Nop implements fsm.Actions and fsm.Guards with empty bodies, so that the
// machine itself is measured. Its guard always allows the event.
type Nop struct{}

// Dial does nothing.
func (Nop) Dial(fsm.Transition) {}

// StartIO does nothing.
func (Nop) StartIO(fsm.Transition) {}

// SendClose does nothing.
func (Nop) SendClose(fsm.Transition) {}

// ShutdownTCP does nothing.
func (Nop) ShutdownTCP(fsm.Transition) {}

// ScheduleBackoff does nothing.
func (Nop) ScheduleBackoff(fsm.Transition) {}

// Release does nothing.
func (Nop) Release(fsm.Transition) {}

// MayRetry allows every retry.
func (Nop) MayRetry(fsm.Transition) bool { return true }

// TransitionsPerCycle is how many transitions one cycle makes: Connecting
// -opened-> Open -abort-> Aborted -retry-> Reconnecting -redial-> Connecting.
const TransitionsPerCycle = 4

// NewMachine returns a started Machine over Nop, in Connecting.
func NewMachine() *fsm.Machine {
	m := fsm.New(Nop{}, Nop{})
	m.Start(context.Background())
	return m
}

// MachineCycle runs one cycle through m (retry is a `then` step of abort).
func MachineCycle(ctx context.Context, m *fsm.Machine) error {
	if err := m.Opened(ctx, nil); err != nil {
		return fmt.Errorf("fsmbench: machine: %w", err)
	}
	if err := m.Abort(ctx, nil); err != nil {
		return fmt.Errorf("fsmbench: machine: %w", err)
	}
	if err := m.Redial(ctx, nil); err != nil {
		return fmt.Errorf("fsmbench: machine: %w", err)
	}
	return nil
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
