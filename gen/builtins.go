package main

import (
	"github.com/wsfsm/wsfsm/vocab"
)

// The built-in vocabulary as the generator sees it: package vocab declares
// each built-in once, with its doc; a spec names one where it needs it,
// without declaring it.

func actionDoc(name string) string { return vocab.ActionNamed(name).Info().Doc }
func guardDoc(name string) string  { return vocab.GuardNamed(name).Info().Doc }
func timerDoc(name string) string  { return vocab.TimerNamed(name).Info().Doc }

// builtins declares each built-in action, guard and timer that the spec
// names without declaring it, in the order of first use, after the spec's
// own declarations.
func (v *validator) builtins(s *specFile, actions, guards, timers map[string]*mDecl) {
	add := func(ref ident, byName map[string]*mDecl, out *[]*mDecl, doc func(string) string) {
		d := doc(ref.Value)
		if d == "" || byName[ref.Value] != nil {
			return
		}
		md := &mDecl{Name: ref.Value, Go: goName(ref.Value), Pos: ref.Pos, Doc: d}
		byName[md.Name] = md
		*out = append(*out, md)
	}
	for _, st := range s.States {
		for _, a := range st.Enter {
			add(a, actions, &v.m.Actions, actionDoc)
		}
	}
	for _, st := range s.States {
		for _, a := range st.Exit {
			add(a, actions, &v.m.Actions, actionDoc)
		}
	}
	for _, e := range s.Events {
		add(e.Guard, guards, &v.m.Guards, guardDoc)
	}
	for _, st := range s.States {
		if st.Timer != nil {
			add(st.Timer.After, timers, &v.m.Timers, timerDoc)
		}
	}
}
