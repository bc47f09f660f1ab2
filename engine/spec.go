package engine

import (
	"errors"
	"fmt"
	"sync"

	looplab "github.com/looplab/fsm"
)

// Version is the table format this engine reads, with its Hooks: it changes
// with either (5: Leave and Entered replaced Act, Duration and Moved).
// Generated code pins the value it was generated for (an "invalid array
// index" compiler error when they differ), so code generated for another
// engine fails to build instead of misbehaving.
const Version = 5

// None marks a missing entry in the Spec's int tables: no guard on an edge,
// no timer on a state, no event (the initial state's entry).
const None = -1

// NoID is None in a generated package's uint8 types: the value of its
// NoEvent (the Event of the initial state's entry, which no event caused)
// and of its NoGuard (the Guard of an unguarded edge). Ids are numbered from
// 0, well below (the generator allows 200).
const NoID = 255

// Spec is one machine as data, over small integer ids: states, events,
// actions, guards and timers are numbered in spec order, and every table is
// indexed by those numbers. Package gen emits it; the tables are read, never
// written, by the engine, which derives what it needs from them once per
// Spec. A Spec must not be copied after first use, nor its tables changed.
type Spec struct {
	// Name is the spec's file name, for messages.
	Name string
	// States, Events, Actions, Guards and Timers are the names, in spec order.
	States, Events, Actions, Guards, Timers []string
	// Initial is the state a new Machine starts in.
	Initial int
	// Final[s] reports whether no event leaves state s.
	Final []bool
	// Edges is the transition table: events in spec order, then their
	// from-list order.
	Edges []Edge
	// Enter[s] and Exit[s] are the actions run on entering and leaving s, in
	// order. Exit actions run before the enter actions of the next state.
	Enter, Exit [][]int
	// Then[s] are the events tried, in order, right after entering s: the
	// first whose guard allows it is taken at once.
	Then [][]int
	// Timer[s] is the timer of state s ({None, None} for none).
	Timer []StateTimer

	// What every Machine of this Spec shares, derived from the tables once.
	prep     sync.Once
	derived  *derived
	checkErr error
}

// derived is what the engine computes from a Spec's tables, once per Spec:
// every Machine of it shares them, read only.
type derived struct {
	edge   [][]int        // edge[e][s]: index in Edges, or None
	states map[string]int // looplab's state names -> ids
	events looplab.Events // the transitions, for looplab.NewFSM
}

// prepare checks the tables and derives what Machines share, once.
func (sp *Spec) prepare() (*derived, error) {
	sp.prep.Do(func() {
		idx, err := sp.check()
		if err != nil {
			sp.checkErr = err
			return
		}
		d := &derived{edge: idx, states: make(map[string]int, len(sp.States))}
		for i, name := range sp.States {
			d.states[name] = i
		}
		for e, name := range sp.Events {
			ed := looplab.EventDesc{Name: name}
			for _, x := range sp.Edges {
				if x.Event == e {
					ed.Src = append(ed.Src, sp.States[x.From])
					ed.Dst = sp.States[x.To]
				}
			}
			if len(ed.Src) > 0 {
				d.events = append(d.events, ed)
			}
		}
		sp.derived = d
	})
	return sp.derived, sp.checkErr
}

// Edge is one row of the transition table: Event moves From to To if Guard
// (None for none) allows it.
type Edge struct {
	Event, From, To, Guard int
}

// StateTimer is a per-state timer: after the owner's duration for Timer in the
// state, Event fires.
type StateTimer struct {
	Timer, Event int
}

// ErrSpec reports tables that do not describe a machine: an id out of range,
// tables of the wrong length, two edges for one (event, state) pair.
var ErrSpec = errors.New("engine: invalid spec")

// check verifies that the tables are consistent, so that the engine can index
// them without further checks. It returns the edge index: idx[e][s] is the
// edge of event e from state s, or None.
func (sp *Spec) check() ([][]int, error) {
	bad := func(format string, args ...any) ([][]int, error) {
		return nil, fmt.Errorf("%w %s: %s", ErrSpec, sp.Name, fmt.Sprintf(format, args...))
	}
	ns, ne := len(sp.States), len(sp.Events)
	in := func(i, n int) bool { return i >= 0 && i < n }
	switch {
	case ns == 0:
		return bad("no states")
	case !in(sp.Initial, ns):
		return bad("initial state %d out of range", sp.Initial)
	case len(sp.Final) != ns || len(sp.Enter) != ns || len(sp.Exit) != ns || len(sp.Then) != ns || len(sp.Timer) != ns:
		return bad("per-state tables must have %d entries", ns)
	}
	idx := make([][]int, ne)
	for e := range idx {
		idx[e] = make([]int, ns)
		for s := range idx[e] {
			idx[e][s] = None
		}
	}
	dst := make([]int, ne)
	for e := range dst {
		dst[e] = None
	}
	for i, ed := range sp.Edges {
		switch {
		case !in(ed.Event, ne) || !in(ed.From, ns) || !in(ed.To, ns):
			return bad("edge %d: id out of range", i)
		case ed.Guard != None && !in(ed.Guard, len(sp.Guards)):
			return bad("edge %d: guard %d out of range", i, ed.Guard)
		case idx[ed.Event][ed.From] != None:
			return bad("event %s has two edges from %s", sp.Events[ed.Event], sp.States[ed.From])
		case dst[ed.Event] != None && dst[ed.Event] != ed.To:
			return bad("event %s has two targets", sp.Events[ed.Event]) // looplab/fsm: one Dst per event
		case sp.Final[ed.From]:
			return bad("event %s leaves final state %s", sp.Events[ed.Event], sp.States[ed.From])
		}
		idx[ed.Event][ed.From] = i
		dst[ed.Event] = ed.To
	}
	for s := range ns {
		for _, a := range append(sp.Enter[s][:len(sp.Enter[s]):len(sp.Enter[s])], sp.Exit[s]...) {
			if !in(a, len(sp.Actions)) {
				return bad("state %s: action %d out of range", sp.States[s], a)
			}
		}
		for _, e := range sp.Then[s] {
			if !in(e, ne) || idx[e][s] == None {
				return bad("state %s: `then` event %d has no edge from it", sp.States[s], e)
			}
		}
		if n := len(sp.Then[s]); n > 0 && sp.Edges[idx[sp.Then[s][n-1]][s]].Guard != None {
			return bad("state %s: the last `then` event must have no guard", sp.States[s])
		}
		if t := sp.Timer[s]; t.Timer != None || t.Event != None {
			if !in(t.Timer, len(sp.Timers)) || !in(t.Event, ne) || idx[t.Event][s] == None {
				return bad("state %s: timer out of range or its event has no edge from it", sp.States[s])
			}
		}
	}
	return idx, nil
}
