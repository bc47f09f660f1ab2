package main

// The limits of a spec, in one place. Each exists because something
// downstream needs it (the YAML parser's memory, the generated types) or
// to bound what a hostile spec costs; past one, the generator refuses the
// spec with a positioned error rather than use unbounded memory or emit
// code that does not compile. TestLargestSpecCompiles builds the largest
// spec they allow; TestLimitsRefused checks each is refused one over.
const (
	// maxSpecBytes bounds the input, and with it the work of every stage.
	maxSpecBytes = 1 << 20

	// maxNesting bounds how deeply collections nest, as nestTracker counts
	// levels (each flow "[" or "{", each block "- ", "? " and "key:"). The
	// YAML parser's memory grows with the square of the depth; the
	// reference spec nests 4 levels (the spec, states, a state, a value).
	maxNesting = 32

	// maxKeys bounds the keys of one block mapping: the YAML parser copies
	// a mapping's entries once per entry, so its memory grows with the
	// square of their number (1 MiB of "k: v" lines took 169 GB and four
	// minutes). No mapping of a spec needs more than a few keys.
	maxKeys = 64

	// maxStates and maxEvents: the generated State and Event are uint8, and
	// engine.NoID (255) is NoEvent and NoGuard. 200 stays clear of both, and is ten times the
	// states of any machine a person can read.
	maxStates = 200
	maxEvents = 200

	// maxEdges bounds the transition table, one edge per event and state it
	// leaves: every event may leave every state but one (its target), the
	// densest table of the largest machine. The generated edge index must
	// hold maxEdges-1 and a value for "none".
	maxEdges = maxEvents * (maxStates - 1)

	// maxDecls bounds the actions, the guards and the timers, each. No
	// generated type needs it (guards and timers are bounded anyway, each
	// used by an event or a state); it keeps each generated interface, and
	// the work for a hostile spec, small.
	maxDecls = 200
)

// limits reports each limit the spec is over, at the first item past it.
func (v *validator) limits(s *specFile) {
	// over reports n items of a kind, the first past the limit named name
	// (at the item itself if it has no name).
	over := func(what string, n, limit int, name ident, item pos) {
		if name.Set {
			item = name.Pos
		}
		v.errorf(item, "too many %s: %d, at most %d", what, n, limit)
	}
	if n := len(s.States); n > maxStates {
		over("states", n, maxStates, s.States[maxStates].Name, s.States[maxStates].Pos)
	}
	if n := len(s.Events); n > maxEvents {
		over("events", n, maxEvents, s.Events[maxEvents].Name, s.Events[maxEvents].Pos)
	}
	for what, decls := range map[string][]declSpec{"actions": s.Actions, "guards": s.Guards, "timers": s.Timers} {
		if n := len(decls); n > maxDecls {
			over(what, n, maxDecls, decls[maxDecls].Name, decls[maxDecls].Pos)
		}
	}
	edges := 0
	for _, e := range s.Events {
		for _, f := range e.From {
			if edges++; edges == maxEdges+1 {
				v.errorf(f.Pos, "too many transitions: event %s from %q makes %d, at most %d (one per event and state it leaves)", quoteIfSet(e.Name), f.Value, edges, maxEdges)
			}
		}
	}
}
