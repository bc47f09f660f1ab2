package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	looplab "github.com/looplab/fsm"

	"github.com/wsfsm/wsfsm/internal/serial"
)

// Transition is one step of a machine, in the Spec's ids: Event moved From to
// To. Cause is the error given to Fire (nil for none); `then` steps carry the
// cause of the event that led to them. The initial state's entry has Event
// None and From equal to To.
type Transition struct {
	Event, From, To int
	Cause           error
}

// Hooks is what the owner of a Machine supplies: what the Spec's action,
// guard and timer names mean. Every method but TimerCause runs inside the
// machine, on the goroutine running its work: it must not block, and must not
// call Fire (it posts work instead).
//
// A transition costs the owner one Entered call, plus one Allow if its edge
// is guarded and one Leave if the state left has exit actions: the engine
// hands over the actions and the timer of a step instead of calling back for
// each.
type Hooks interface {
	// Leave runs the exit actions exit of t.From, in order, each with t. It
	// is called only when t leaves a state that has exit actions, before
	// Entered: the actions run in the entry being left (Machine.Epoch is
	// still its epoch, its timer still armed). exit belongs to the Spec:
	// read it, never change it.
	Leave(t Transition, exit []int)
	// Allow reports whether guard g lets t happen. It decides and changes
	// nothing: guards of `then` steps are asked in turn.
	Allow(g int, t Transition) bool
	// Entered does the owner's part of transition t once looplab/fsm moved
	// the state and the exit actions ran: for every transition, the initial
	// entry (see Start) included. In this order, it runs the enter actions
	// enter of t.To, each with t; returns how long timer tm of t.To runs,
	// from now (negative: no timer this time); and records t, last (what it
	// tells observers about t). The engine arms the timer when Entered
	// returns, before any work posted meanwhile runs: the record must not
	// need it armed. tm is None when t.To has no timer; the result is then
	// ignored. A self-loop leaves and enters nothing: enter is nil, tm is
	// None, the running timer is kept, and Entered only records t. enter
	// belongs to the Spec: read it, never change it.
	Entered(t Transition, enter []int, tm int) time.Duration
	// TimerCause is the cause that the event of timer tm carries. It is
	// called on the timer's own goroutine when the timer expires, outside the
	// machine, so it may take its time.
	TimerCause(tm int) error
	// Ended is called once, after the last work: the machine is in a final
	// state and no tracked goroutine (see Track) remains.
	Ended()
}

// Errors of Fire, matchable with errors.Is; they come wrapped in an
// *EventError.
var (
	// ErrNotAllowed: the current state has no transition for the event.
	ErrNotAllowed = errors.New("event not allowed in the current state")
	// ErrGuardRejected: the event's guard did not allow it.
	ErrGuardRejected = errors.New("guard rejected the event")
	// ErrReentrant: Fire was called from inside an action, guard or hook.
	ErrReentrant = errors.New("event fired from inside an action, guard or hook")
)

// EventError reports an event that was not taken; nothing changed.
type EventError struct {
	Event, State string // names from the Spec
	Guard        string // the guard that rejected it, for ErrGuardRejected
	Err          error  // ErrNotAllowed, ErrGuardRejected or ErrReentrant
}

// Error describes what was refused, and why.
func (e *EventError) Error() string {
	if e.Guard != "" {
		return fmt.Sprintf("event %s in state %s: guard %s rejected it", e.Event, e.State, e.Guard)
	}
	return fmt.Sprintf("event %s in state %s: %v", e.Event, e.State, e.Err)
}

// Unwrap returns the sentinel.
func (e *EventError) Unwrap() error { return e.Err }

// Machine drives one Spec. looplab/fsm holds its current state and decides
// which transitions are legal; the Machine keeps no copy of it. Its methods
// are safe for concurrent use except where said: Fire, Epoch and
// Track belong to the work the Machine runs (see Post).
type Machine struct {
	spec   *Spec
	hooks  Hooks
	fsm    *looplab.FSM
	edge   [][]int        // edge[e][s]: index in spec.Edges, or None (shared by the Spec's Machines)
	states map[string]int // looplab's state names -> ids (shared)
	q      serial.Queue   // the work (see post)

	// Owned by the goroutine running the work.
	cur         Transition // the transition in progress
	epoch       uint64     // counts state entries: a timer or step of an older one is stale
	timer       *time.Timer
	outstanding int // tracked goroutines that will still post
	firing      bool
	started     bool
	final       bool // a final state was entered: it is never left
	ended       bool // over reported true (see drain)
}

// New returns a Machine for sp in sp's initial state, driven by h. It checks
// the tables first and returns an error wrapping ErrSpec if they are
// inconsistent. Nothing runs until Start.
func New(sp *Spec, h Hooks) (*Machine, error) {
	if h == nil {
		return nil, fmt.Errorf("%w %s: nil Hooks", ErrSpec, sp.Name)
	}
	d, err := sp.prepare()
	if err != nil {
		return nil, err
	}
	m := &Machine{spec: sp, hooks: h, edge: d.edge, states: d.states}
	// No callbacks: the engine calls looplab/fsm once per transition, to
	// move the state, and asks the guard, Leave and Entered around that
	// call (see take).
	m.fsm = looplab.NewFSM(sp.States[sp.Initial], d.events, nil)
	return m, nil
}

// State returns the current state, as looplab/fsm holds it. Safe from any
// goroutine.
func (m *Machine) State() int { return m.states[m.fsm.Current()] }

// Spec returns the tables the Machine drives.
func (m *Machine) Spec() *Spec { return m.spec }

// Start posts the entry into the initial state: Entered runs its enter
// actions (with a Transition whose Event is None and From equal to To),
// gives its timer's duration and records it, and the timer is armed, as for
// any transition. Later calls do nothing.
func (m *Machine) Start() bool {
	return m.Post(func() {
		if m.started {
			return
		}
		m.started = true
		s := m.spec.Initial
		m.cur = Transition{Event: None, From: s, To: s}
		m.firing = true
		defer func() { m.firing, m.cur = false, Transition{} }()
		m.enter(s)
	})
}

// Post queues f to run inside the machine, after the work queued before it;
// see Hooks for what work may do. It reports false, without running f, once
// the machine has ended.
func (m *Machine) Post(f func()) bool { return m.post(f) }

// PostAt is Post for work that belongs to one entry into a state: f runs only
// if the machine has not moved since Epoch returned epoch.
func (m *Machine) PostAt(epoch uint64, f func()) bool {
	return m.post(func() {
		if epoch == m.epoch {
			f()
		}
	})
}

// Epoch identifies the current entry into the current state (see PostAt).
// Call it inside the machine's work.
func (m *Machine) Epoch() uint64 { return m.epoch }

// Ticket is a tracked goroutine's promise to post once more: the machine does
// not end while a ticket is outstanding.
type Ticket struct {
	m     *Machine
	used  bool
	epoch uint64 // the state entry it was taken in
}

// Track registers a goroutine that will post its result with the returned
// Ticket. Call it inside the machine's work, before starting the goroutine.
func (m *Machine) Track() *Ticket {
	m.outstanding++
	return &Ticket{m: m, epoch: m.epoch}
}

// Epoch is the state entry the ticket was taken in (see PostAt).
func (t *Ticket) Epoch() uint64 { return t.epoch }

// PostAt is Post for a result that counts only in the state entry the ticket
// was taken in: f runs if the machine has not moved since, else stale (if
// not nil), which lets go of what the result holds. The ticket is settled
// either way.
func (t *Ticket) PostAt(f, stale func()) {
	t.Post(func() {
		switch {
		case t.m.epoch == t.epoch:
			f()
		case stale != nil:
			stale()
		}
	})
}

// Post runs f inside the machine and settles the ticket in the same item.
// Work posted through a ticket is always accepted. Post or Release, once.
func (t *Ticket) Post(f func()) {
	if t.used {
		panic("engine: Ticket used twice")
	}
	t.used = true
	m := t.m
	m.post(func() {
		m.outstanding--
		f()
	})
}

// Release settles the ticket with nothing to run: the goroutine will post no
// result, or will post it with an untracked Post that may be refused once
// the machine ended.
func (t *Ticket) Release() { t.Post(func() {}) }

// over reports whether the machine has nothing left to do: it is in a final
// state and no tracked goroutine remains.
func (m *Machine) over() bool {
	return m.started && m.outstanding == 0 && m.final
}

// Fire takes event e with the given cause and runs it to completion: the
// guard, the move (looplab/fsm decides it), the exit actions (Leave), the
// enter actions and the record (Entered), the new state's timer, then the
// new state's `then` steps until a state without them is reached. Call it inside the machine's work.
//
// It returns an *EventError wrapping ErrNotAllowed or ErrGuardRejected when
// e is not taken (nothing changed), or ErrReentrant when called from inside
// an action, guard or hook.
func (m *Machine) Fire(e int, cause error) error {
	if e < 0 || e >= len(m.spec.Events) {
		return &EventError{Event: fmt.Sprintf("Event(%d)", e), State: m.spec.States[m.State()], Err: ErrNotAllowed}
	}
	if m.firing {
		return &EventError{Event: m.spec.Events[e], State: m.spec.States[m.State()], Err: ErrReentrant}
	}
	m.firing = true
	defer func() { m.firing, m.cur = false, Transition{} }()
	m.started = true
	s, err := m.take(m.State(), e, cause)
	if err != nil {
		return err
	}
	// `then` steps: the validated spec has no cycle of them, so this ends;
	// the bound guards against hand-written tables.
	for range len(m.spec.States) {
		steps := m.spec.Then[s]
		if len(steps) == 0 {
			return nil
		}
		taken := false
		for _, step := range steps {
			to, err := m.take(s, step, cause)
			if err == nil {
				s, taken = to, true
				break
			}
			if !errors.Is(err, ErrGuardRejected) {
				return err
			}
		}
		if !taken {
			return nil
		}
	}
	return fmt.Errorf("%w %s: `then` steps from %s do not settle", ErrSpec, m.spec.Name, m.spec.States[s])
}

// take takes one event from state from, the current one: its guard, then
// looplab/fsm moves the state (it holds the state and checks the move), then
// the exit actions of the state left (Leave), the enter actions of the state
// entered and the record of the transition (Entered), and that state's timer
// is armed. A self-loop runs its guard and the record only. It returns the
// state entered.
func (m *Machine) take(from, e int, cause error) (int, error) {
	i := m.edge[e][from]
	if i == None {
		return from, &EventError{Event: m.spec.Events[e], State: m.spec.States[from], Err: ErrNotAllowed}
	}
	ed := m.spec.Edges[i]
	m.cur = Transition{Event: e, From: from, To: ed.To, Cause: cause}
	if ed.Guard != None && !m.hooks.Allow(ed.Guard, m.cur) {
		return from, &EventError{Event: m.spec.Events[e], State: m.spec.States[from], Guard: m.spec.Guards[ed.Guard], Err: ErrGuardRejected}
	}
	// A cancelled ctx would wedge looplab/fsm (InTransitionError from then
	// on): it gets one that is never cancelled.
	err := m.fsm.Event(context.Background(), m.spec.Events[e])
	var noTransition looplab.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) { // a self-loop succeeded
		return from, fmt.Errorf("engine: looplab/fsm refused event %s in state %s: %w", m.spec.Events[e], m.spec.States[from], err)
	}
	if ed.To == from {
		m.hooks.Entered(m.cur, nil, None) // a self-loop: nothing left or entered, the timer runs on
		return from, nil
	}
	if exit := m.spec.Exit[from]; len(exit) > 0 {
		m.hooks.Leave(m.cur, exit)
	}
	m.enter(ed.To)
	return ed.To, nil
}

// enter enters state s: a new epoch, the old timer stopped, then Entered
// (the enter actions, the duration of s's timer, the record), then s's
// timer armed: a duration may depend on what the actions decided (the
// backoff delay).
func (m *Machine) enter(s int) {
	m.epoch++
	m.final = m.spec.Final[s]
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	st := m.spec.Timer[s]
	d := m.hooks.Entered(m.cur, m.spec.Enter[s], st.Timer)
	if st.Timer == None || d < 0 {
		return
	}
	epoch := m.epoch
	m.timer = time.AfterFunc(d, func() {
		cause := m.hooks.TimerCause(st.Timer)
		m.PostAt(epoch, func() {
			m.timer = nil
			_ = m.Fire(st.Event, cause) // taken: the timer's state has an edge for it
		})
	})
}
