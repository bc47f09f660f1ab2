package main

import (
	"fmt"
	"slices"

	"github.com/wsfsm/wsfsm/vocab"
)

// resolve looks up ref, a reference to a declared kind ("action", "event",
// ...), in byName. A misspelled ref is reported by checkName; an unknown one
// with unknown (a format taking what and the name), unless its declaration
// was reported as bad already. It returns nil in both cases.
func resolve[T any](v *validator, kind string, ref ident, byName map[string]*T, unknown, what string) *T {
	if !v.checkName(kind, ref.Pos, ref) {
		return nil
	}
	if x := byName[ref.Value]; x != nil {
		return x
	}
	if !v.bad[kind+" "+ref.Value] {
		msg := fmt.Sprintf(unknown, what, ref.Value)
		if near := nearBuiltin(kind, ref.Value); near != "" {
			msg += fmt.Sprintf("; did you mean the built-in %s?", near)
		}
		v.errorf(ref.Pos, "%s", msg)
	}
	return nil
}

// stateDetails checks each state's enter actions, timer and then list.
func (v *validator) stateDetails(s *specFile, stateOf []*mState, events map[string]*mEvent, actions, timers map[string]*mDecl) {
	for i, st := range s.States {
		ms := stateOf[i]
		if ms == nil {
			continue // bad or duplicate name, reported already
		}
		what := fmt.Sprintf("state %q", ms.Name)
		ms.Enter = v.actionList(what, "enter", st.Enter, actions)
		ms.Exit = v.actionList(what, "exit", st.Exit, actions)
		if ms.Final && len(ms.Exit) > 0 {
			v.errorf(st.Exit[0].Pos, "%s: a final state is never left: `exit` actions would never run", what)
		}
		if t := st.Timer; t != nil {
			v.timer(what, ms, t, events, timers)
		}
		v.then(what, ms, st, events)
	}
}

// actionList resolves the actions of a state's `enter` or `exit` list.
func (v *validator) actionList(what, key string, refs []ident, actions map[string]*mDecl) []*mDecl {
	var out []*mDecl
	seen := map[string]bool{}
	var own *mDecl // the first of the spec's own actions listed
	for _, a := range refs {
		d := resolve(v, "action", a, actions, "%s: unknown action %q (declare it under `actions:`)", what)
		switch {
		case d == nil:
		case seen[a.Value]:
			v.errorf(a.Pos, "%s: action %q is listed twice in `%s`", what, a.Value, key)
		default:
			out = append(out, d)
			builtin := vocab.ActionNamed(d.Name) != vocab.NoAction
			if builtin && own != nil {
				v.errorf(a.Pos, "%s: %s: built-in action %s is listed after %s, but built-in actions run inside the machine at once, and the spec's own after them, in order, on a goroutine of their own: this order cannot be kept; run %s in a state of its own, entered before this one", what, key, d.Name, own.Name, own.Name)
			}
			if !builtin && own == nil {
				own = d
			}
		}
		seen[a.Value] = true
	}
	return out
}

func (v *validator) timer(what string, ms *mState, t *timerSpec, events map[string]*mEvent, timers map[string]*mDecl) {
	mt := &mTimer{}
	if !t.After.Set {
		v.errorf(t.Pos, "%s: timer: missing `after` (a timer name)", what)
	} else {
		mt.Decl = resolve(v, "timer", t.After, timers, "%s: unknown timer %q (declare it under `timers:`)", what)
	}
	if !t.Event.Set {
		v.errorf(t.Pos, "%s: timer: missing `event`", what)
	} else if mt.Event = resolve(v, "event", t.Event, events, "%s: timer: unknown event %q", what); mt.Event != nil {
		if mt.Edge = edgeFrom(ms, mt.Event); mt.Edge == nil && mt.Event.Complete {
			v.errorf(t.Event.Pos, "%s: timer: event %q has no transition from %q", what, t.Event.Value, ms.Name)
		}
	}
	if ms.Final {
		v.errorf(t.Pos, "%s: final state cannot have a timer", what)
	}
	if mt.Decl != nil && mt.Edge != nil {
		ms.Timer = mt
		mt.Edge.Timer = mt.Decl
	}
}

func (v *validator) then(what string, ms *mState, st stateSpec, events map[string]*mEvent) {
	if len(st.Then) == 0 {
		return
	}
	p := st.Then[0].Pos
	if ms.Final {
		v.errorf(p, "%s: final state cannot have `then`", what)
	}
	if ms.Initial {
		v.errorf(p, "%s: the initial state cannot have `then` (Start runs only its enter actions)", what)
	}
	if st.Timer != nil {
		v.errorf(st.Timer.Pos, "%s: a state with `then` is left at once; its timer would never fire", what)
	}
	seen := map[string]bool{}
	for i, n := range st.Then {
		e := resolve(v, "event", n, events, "%s: then: unknown event %q", what)
		switch {
		case e == nil:
			continue
		case seen[n.Value]:
			v.errorf(n.Pos, "%s: then: event %q is listed twice", what, n.Value)
			continue
		}
		seen[n.Value] = true
		ed := edgeFrom(ms, e)
		if ed == nil && !e.Complete {
			continue
		}
		if ed == nil {
			v.errorf(n.Pos, "%s: then: event %q has no transition from %q", what, n.Value, ms.Name)
			continue
		}
		if i == len(st.Then)-1 && ed.Guard != nil {
			v.errorf(n.Pos, "%s: then: the last event %q has guard %q; it must be unguarded so the machine cannot get stuck in %q", what, n.Value, ed.Guard.Name, ms.Name)
		}
		ed.ThenRank = len(ms.Then) + 1
		ms.Then = append(ms.Then, ed)
	}
}

// unused reports declarations nothing refers to: most often a typo elsewhere.
func (v *validator) unused(s *specFile, actions, guards, timers map[string]*mDecl) {
	used := map[*mDecl]bool{}
	for _, st := range v.m.States {
		for _, a := range slices.Concat(st.Enter, st.Exit) {
			used[a] = true
		}
		if st.Timer != nil {
			used[st.Timer.Decl] = true
		}
	}
	for _, e := range v.m.Events {
		if e.Guard != nil {
			used[e.Guard] = true
		}
	}
	// Timers referenced by a state whose timer had other problems still count.
	for _, st := range s.States {
		if st.Timer != nil && timers[st.Timer.After.Value] != nil {
			used[timers[st.Timer.After.Value]] = true
		}
		for _, a := range slices.Concat(st.Enter, st.Exit) {
			if actions[a.Value] != nil {
				used[actions[a.Value]] = true
			}
		}
	}
	for _, e := range s.Events {
		if guards[e.Guard.Value] != nil {
			used[guards[e.Guard.Value]] = true
		}
	}
	report := func(kind string, specs []declSpec, byName map[string]*mDecl) {
		for _, d := range specs {
			if md := byName[d.Name.Value]; md != nil && !used[md] {
				v.errorf(d.Name.Pos, "%s %q is declared but never used", kind, d.Name.Value)
				used[md] = true // report a name once
			}
		}
	}
	report("action", s.Actions, actions)
	report("guard", s.Guards, guards)
	report("timer", s.Timers, timers)
}

// graph checks reachability, dead ends and eventless cycles. It runs only
// when every state and edge made it into the model, so that one bad name does
// not cascade into more errors.
func (v *validator) graph(s *specFile) {
	m := v.m
	if m.Initial == nil || len(m.States) != len(s.States) || len(m.Events) != len(s.Events) {
		return
	}
	for i, e := range m.Events {
		if e.To == nil || len(e.From) != len(s.Events[i].From) {
			return
		}
	}
	reached := make([]bool, len(m.States))
	queue := []*mState{m.Initial}
	reached[m.Initial.Index] = true
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		for _, ed := range st.Out {
			if !reached[ed.To.Index] {
				reached[ed.To.Index] = true
				queue = append(queue, ed.To)
			}
		}
	}
	for i, st := range m.States {
		p := st.Pos
		if !reached[i] {
			v.errorf(p, "state %q is unreachable from the initial state %q", st.Name, m.Initial.Name)
		}
		if !st.Final && len(st.Out) == 0 {
			v.errorf(p, "state %q has no outgoing events and is not final (mark it `final: true`)", st.Name)
		}
	}
	// Eventless (`then`) edges must not form a cycle, or Fire would never settle.
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(m.States))
	var visit func(st *mState) bool
	visit = func(st *mState) bool {
		color[st.Index] = grey
		for _, ed := range st.Then {
			switch color[ed.To.Index] {
			case grey:
				v.errorf(st.Pos, "state %q: then: event %q leads back into a chain of `then` states (%q); the machine would never settle", st.Name, ed.Event.Name, ed.To.Name)
				return true
			case white:
				if visit(ed.To) {
					return true
				}
			}
		}
		color[st.Index] = black
		return false
	}
	for _, st := range m.States {
		if color[st.Index] == white && len(st.Then) > 0 && visit(st) {
			break
		}
	}
}

// collisions checks that generated Go identifiers are unique in each
// namespace after case conversion, and take no name the generated package
// or its Conn already has.
func (v *validator) collisions() {
	type taken struct {
		what string
		pos  pos
	}
	check := func(ns map[string]taken, id, what string, p pos) bool {
		if predeclared[id] {
			v.errorf(p, "%s: Go name %s is a predeclared Go identifier", what, id)
			return false
		}
		if prev, ok := ns[id]; ok {
			if p.File != "" && prev.pos.File == "" && prev.pos.Line > 0 {
				// Said where the spec's author can change it, not in the reference.
				p, what, prev.what = prev.pos, prev.what, what
			}
			v.errorf(p, "%s: Go name %s collides with %s", what, id, prev.what)
			return false
		}
		ns[id] = taken{what, p}
		return true
	}
	pkg := map[string]taken{}
	for _, n := range packageNames {
		pkg[n] = taken{what: "the generated package's own " + n}
	}
	methods := map[string]taken{}
	for _, n := range connMethods {
		methods[n] = taken{what: "the Conn's method " + n + " (of wsfsm.ConnOf)"}
	}
	impl := map[string]taken{} // one Extension interface holds actions, guards and timers
	for _, st := range v.m.States {
		check(pkg, st.Name, fmt.Sprintf("state %q", st.Name), st.Pos)
	}
	for _, e := range v.m.Events {
		what, p := fmt.Sprintf("event %q", e.Name), e.Pos
		// One report per event: a case collision would otherwise show twice.
		if check(pkg, "Event"+e.Go, what, p) && hasMethod(e) {
			check(methods, e.Go, what+" (its method "+e.Go+")", p)
		}
	}
	for _, group := range []struct {
		kind, prefix string
		decls        []*mDecl
	}{{"action", "Action", v.m.Actions}, {"guard", "Guard", v.m.Guards}, {"timer", "Timer", v.m.Timers}} {
		for _, d := range group.decls {
			what := fmt.Sprintf("%s %q", group.kind, d.Name)
			_ = check(pkg, group.prefix+d.Go, what, d.Pos) && check(impl, d.Go, what, d.Pos)
		}
	}
}

// hasMethod reports whether the generated Conn has a method for e: the
// events the spec adds, unless internal.
func hasMethod(e *mEvent) bool { return vocab.EventNamed(e.Name) == vocab.NoEvent && !e.Internal }
