package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsfsm/wsfsm/vocab"
)

// vocabulary checks the spec against what package wsfsm's built-in actions,
// guards and timers need, so that a spec that cannot work is refused here and
// not at run time. It runs after graph, on a complete model.
//
//   - A state that runs a built-in whose outcome fires events (dial: opened
//     and abort; send_close: closed and abort; ...) has a transition for each.
//   - A state that works on the connection (start_reader, release_sends,
//     send_close) is entered only while one is open: by a dial's opened, or
//     from a state that has one and did not drop it.
//   - The reader is started once per connection, and Sends are released only
//     where it runs (the reader is what reports a broken connection).
//   - Every state where a connection may be open has an abort, for its
//     failures; every state that is neither final nor decides at once (then)
//     has abort or stop, so that Close and Abort can always end the Conn.
//   - Every final state runs release; the backoff timer runs only where
//     schedule_backoff chose it; built-ins that fire events or need the
//     connection do not run on exit.
func (v *validator) vocabulary() {
	m := v.m
	builtin := func(a *mDecl) vocab.Action { return vocab.ActionNamed(a.Name) }
	has := func(s *mState, a vocab.Action) bool {
		for _, x := range s.Enter {
			if builtin(x) == a {
				return true
			}
		}
		return false
	}
	takes := func(s *mState, e vocab.Event) bool {
		for _, ed := range s.Out {
			if ed.Event.Name == e.String() {
				return true
			}
		}
		return false
	}
	drops := func(s *mState) bool {
		for _, x := range s.Enter {
			if builtin(x).Info().DropsConnection {
				return true
			}
		}
		return false
	}

	// open[s]: a connection is open whichever way s is entered (greatest
	// fixpoint); mayOpen[s]: some way (least fixpoint). reading and
	// mayRead: the same for a running reader.
	n := len(m.States)
	open, reading := make([]bool, n), make([]bool, n)
	mayOpen, mayRead := make([]bool, n), make([]bool, n)
	for i, s := range m.States {
		open[i] = s != m.Initial && len(s.In) > 0
		reading[i] = open[i]
	}
	// opensOn: ed is the success of an action of its state that opens a
	// fresh connection (dial's opened).
	opensOn := func(ed *mEdge) bool {
		for _, x := range ed.From.Enter {
			if o := builtin(x).Info().Opens; o != vocab.NoEvent && o.String() == ed.Event.Name {
				return true
			}
		}
		return false
	}
	// runs reports whether s runs a built-in with property p on entering.
	runs := func(s *mState, p func(vocab.ActionInfo) bool) (vocab.Action, bool) {
		for _, x := range s.Enter {
			if b := builtin(x); p(b.Info()) {
				return b, true
			}
		}
		return vocab.NoAction, false
	}
	startsReader := func(s *mState) bool {
		_, ok := runs(s, func(i vocab.ActionInfo) bool { return i.StartsReader })
		return ok
	}
	for changed := true; changed; {
		changed = false
		for i, s := range m.States {
			if s == m.Initial {
				continue
			}
			o, r, mo, mr := len(s.In) > 0, len(s.In) > 0, false, false
			for _, ed := range s.In {
				f := ed.From.Index
				fresh := opensOn(ed)
				after := !drops(ed.From)
				eo := fresh || (open[f] && after)
				er := !fresh && (reading[f] || startsReader(ed.From)) && open[f] && after
				emo := fresh || (mayOpen[f] && after)
				emr := !fresh && (mayRead[f] || startsReader(ed.From)) && mayOpen[f] && after
				o, r, mo, mr = o && eo, r && er, mo || emo, mr || emr
			}
			if o != open[i] || r != reading[i] || mo != mayOpen[i] || mr != mayRead[i] {
				open[i], reading[i], mayOpen[i], mayRead[i] = o, r, mo, mr
				changed = true
			}
		}
	}
	// noConn names one way into s with no connection open, for messages.
	noConn := func(s *mState) string {
		for _, ed := range s.In {
			f := ed.From.Index
			if !opensOn(ed) && !(open[f] && !drops(ed.From)) {
				return fmt.Sprintf("event %q from %q", ed.Event.Name, ed.From.Name)
			}
		}
		return "its initial entry"
	}

	for i, s := range m.States {
		what := fmt.Sprintf("state %q", s.Name)
		for _, a := range s.Enter {
			b := builtin(a)
			for _, e := range b.Info().Fires {
				if !takes(s, e) {
					v.errorf(s.Pos, "%s runs %s, whose outcome fires %s, but no event %q leaves it", what, a.Name, e, e.String())
				}
			}
			if b.Info().NeedsConnection && !open[i] {
				v.errorf(s.Pos, "%s runs %s, which needs an open connection, but it can be entered by %s with none (a connection opens with opened from a state that runs dial)", what, a.Name, noConn(s))
			}
		}
		if a, ok := runs(s, func(i vocab.ActionInfo) bool { return i.StartsReader }); ok && mayRead[i] {
			v.errorf(s.Pos, "%s runs %s, but the reader may already run when it is entered: start it once per connection", what, a)
		}
		if a, ok := runs(s, func(i vocab.ActionInfo) bool { return i.ReleasesSends }); ok && open[i] && !reading[i] && !startsReader(s) {
			v.errorf(s.Pos, "%s runs %s, but the reader does not run there: run %s in it or before it (the reader reports a broken connection)", what, a, join(actionsWith(func(i vocab.ActionInfo) bool { return i.StartsReader }), "or"))
		}
		if mayOpen[i] && !drops(s) && !takes(s, vocab.Abort) {
			v.errorf(s.Pos, "%s may have a connection open, but no event %q leaves it: its failures would be lost", what, vocab.Abort.String())
		}
		if !s.Final && len(s.Then) == 0 && !takes(s, vocab.Abort) && !takes(s, vocab.Stop) {
			v.errorf(s.Pos, "%s is not final and takes neither %q nor %q: Close and Abort could not end the Conn there", what, vocab.Abort.String(), vocab.Stop.String())
		}
		for _, a := range actionsWith(func(i vocab.ActionInfo) bool { return i.Final }) {
			if s.Final && !has(s, vocab.ActionNamed(a)) {
				v.errorf(s.Pos, "%s is final but does not run %s: the Conn's goroutines and descriptors would outlive it", what, a)
			}
		}
		if s.Timer != nil {
			if t := vocab.TimerNamed(s.Timer.Decl.Name); t.Info().After != vocab.NoAction && !has(s, t.Info().After) {
				v.errorf(s.Pos, "%s uses timer %s, which waits the delay %s chose, but does not run %s", what, t, t.Info().After, t.Info().After)
			}
		}
		for _, a := range s.Exit {
			if b := builtin(a); b != vocab.NoAction && !b.Info().OnExit {
				v.errorf(s.Pos, "%s runs %s on exit; built-in actions run on enter (only %s may also run on exit)", what, a.Name, strings.Join(actionsWith(func(i vocab.ActionInfo) bool { return i.OnExit }), ", "))
			}
		}
	}
	// Sends wait for a state that runs release_sends: after each dial that
	// opens, one must be reachable before the connection is dropped.
	for _, ed := range m.Edges {
		if !opensOn(ed) {
			continue
		}
		seen := make([]bool, n)
		queue := []*mState{ed.To}
		seen[ed.To.Index] = true
		released := false
		for len(queue) > 0 && !released {
			s := queue[0]
			queue = queue[1:]
			if _, released = runs(s, func(i vocab.ActionInfo) bool { return i.ReleasesSends }); released || drops(s) {
				continue
			}
			for _, out := range s.Out {
				if !seen[out.To.Index] {
					seen[out.To.Index] = true
					queue = append(queue, out.To)
				}
			}
		}
		if !released {
			v.errorf(ed.Event.Pos, "event %q from %q opens a connection, but no state that runs %s can follow before the connection is dropped: Sends waiting for a connection would never go out", ed.Event.Name, ed.From.Name, join(actionsWith(func(i vocab.ActionInfo) bool { return i.ReleasesSends }), "or"))
		}
	}
	opensAny := false
	for _, st := range m.States {
		_, ok := runs(st, func(i vocab.ActionInfo) bool { return i.Opens != vocab.NoEvent })
		opensAny = opensAny || ok
	}
	// An internal event has no method: the spec's own actions (Step.Fire)
	// or a timer must be able to fire it.
	for _, e := range m.Events {
		if !e.Internal {
			continue
		}
		fired := false
		for _, s := range e.From {
			for _, a := range slices.Concat(s.Enter, s.Exit) {
				fired = fired || builtin(a) == vocab.NoAction
			}
			fired = fired || s.Timer != nil && s.Timer.Event == e
		}
		if !fired {
			v.errorf(e.Pos, "event %q is internal, but no state it leaves runs an action of the spec's own or a timer that fires it: nothing could ever fire it", e.Name)
		}
	}
	if len(v.diags) == 0 && !opensAny {
		v.errorf(m.Initial.Pos, "no state runs %s: a Conn could never open (built-in actions: %s)", join(actionsWith(func(i vocab.ActionInfo) bool { return i.Opens != vocab.NoEvent }), "or"), builtinList())
	}
}

// actionsWith returns the names of the built-in actions with property p.
func actionsWith(p func(vocab.ActionInfo) bool) []string {
	var names []string
	for _, a := range vocab.Actions() {
		if p(a.Info()) {
			names = append(names, a.String())
		}
	}
	return names
}

func builtinList() string {
	var names []string
	for _, a := range vocab.Actions() {
		names = append(names, a.String())
	}
	return strings.Join(names, ", ")
}
