package wsfsm

import (
	"testing"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/vocab"
)

// Every built-in that package vocab declares has its implementation in the
// tables of builtins.go: the tables' types hold one entry per built-in (a
// compile error otherwise), and none of them is left empty.
func TestEveryBuiltinImplemented(t *testing.T) {
	actions := actionImpls[fsm.State, fsm.Event]()
	for _, a := range vocab.Actions() {
		if actions[a] == nil {
			t.Errorf("built-in action %s has no implementation in actionImpls", a)
		}
	}
	guards := guardImpls[fsm.State, fsm.Event]()
	for _, g := range vocab.Guards() {
		if guards[g] == nil {
			t.Errorf("built-in guard %s has no implementation in guardImpls", g)
		}
	}
	timers := timerImpls[fsm.State, fsm.Event]()
	for _, tm := range vocab.Timers() {
		if timers[tm].duration == nil {
			t.Errorf("built-in timer %s has no duration in timerImpls", tm)
		}
	}
}
