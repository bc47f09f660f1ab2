package main

import (
	"fmt"
	"strings"

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

// nearBuiltin returns the built-in of kind ("action", "guard", "timer" or
// "event") that name, which is not one, looks like a typo of: the same Go
// name (release_Sends, releaseSends), or a few letters off (relase_sends).
// It returns "" when there is none.
func nearBuiltin(kind, name string) string {
	var names []string
	switch kind {
	case "action":
		names = builtinNames(vocab.Actions())
	case "guard":
		names = builtinNames(vocab.Guards())
	case "timer":
		names = builtinNames(vocab.Timers())
	case "event":
		names = builtinNames(vocab.Events())
	}
	for _, b := range names {
		if b == name {
			return ""
		}
	}
	for _, b := range names {
		limit := 2
		if len(b) <= 6 || kind == "event" {
			limit = 1
		}
		if goName(b) == goName(name) || editDistance(strings.ToLower(b), strings.ToLower(name)) <= limit {
			return b
		}
	}
	return ""
}

func builtinNames[T fmt.Stringer](all []T) []string {
	var out []string
	for _, x := range all {
		out = append(out, x.String())
	}
	return out
}

// editDistance is the number of single-byte insertions, deletions,
// substitutions and swaps of neighbours that turn a into b (optimal string
// alignment; names are ASCII).
func editDistance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// vocabularyTable is the built-in vocabulary as a Markdown table, from its
// declarations in package vocab: what the README shows between its
// vocabulary markers.
func vocabularyTable() string {
	var b strings.Builder
	b.WriteString("| kind | name | what it does | the generator requires | guarantee |\n|---|---|---|---|---|\n")
	row := func(kind, name, doc, rule, guarantee string) {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", kind, name, doc, cmpOr(rule, "—"), cmpOr(guarantee, "—"))
	}
	for _, a := range vocab.Actions() {
		in := a.Info()
		var rules []string
		for _, r := range []struct {
			applies bool // the action's ActionInfo says so
			rule    string
		}{
			{len(in.Fires) > 0, "its state takes " + join(quoted(builtinNames(in.Fires)), "and")},
			{in.NeedsConnection, "a connection is open whichever way its state is entered"},
			{in.DropsConnection, "ends the connection's use"},
			{in.OnExit, "may also run on exit"},
			{in.Opens != vocab.NoEvent, "some state runs one that opens"},
			{in.StartsReader, "once per connection"},
			{in.ReleasesSends, "the reader runs there; one follows every dial that opens"},
			{in.Final, "every final state runs it"},
		} {
			if r.applies {
				rules = append(rules, r.rule)
			}
		}
		row("action", a.String(), in.Doc, strings.Join(rules, "; "), in.Guarantee)
	}
	for _, g := range vocab.Guards() {
		row("guard", g.String(), g.Info().Doc, "", g.Info().Guarantee)
	}
	for _, t := range vocab.Timers() {
		rule := ""
		if after := t.Info().After; after != vocab.NoAction {
			rule = "its state runs `" + after.String() + "`"
		}
		row("timer", t.String(), t.Info().Doc, rule, "")
	}
	for _, e := range vocab.Events() {
		row("event", e.String(), e.Info().Doc, "no guard of the spec's own; never internal", "fired by the library")
	}
	return b.String()
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
