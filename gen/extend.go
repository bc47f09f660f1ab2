package main

import (
	"fmt"
	"reflect"

	"github.com/wsfsm/wsfsm/vocab"
)

// referenceFile names the reference machine in diagnostics: the file that
// package vocab embeds.
const referenceFile = "github.com/wsfsm/wsfsm/vocab/states.yaml"

// loadSpec parses data; a spec that says `extends: reference` is merged into
// the reference machine (vocab.Reference).
func loadSpec(data []byte) (*specFile, error) {
	s, err := parseSpec(data)
	if err != nil || !s.Extends.Set {
		return s, err
	}
	if s.Extends.Value != "reference" {
		return nil, diagList{{s.Extends.Pos, fmt.Sprintf("extends: %q is not a machine this generator knows (only \"reference\", the machine of wsfsm.Conn)", s.Extends.Value)}}
	}
	base, err := parseSpec(vocab.Reference())
	if err != nil {
		return nil, fmt.Errorf("the reference machine does not parse (a bug in wsfsm: please report it): %w", err)
	}
	setFile(reflect.ValueOf(base).Elem(), referenceFile)
	return merge(base, s), nil
}

// setFile marks every position in v (a specFile or a part of one) as being
// in file.
func setFile(v reflect.Value, file string) {
	switch v.Kind() {
	case reflect.Struct:
		if p, ok := v.Addr().Interface().(*pos); ok {
			p.File = file
			return
		}
		for i := range v.NumField() {
			setFile(v.Field(i), file)
		}
	case reflect.Slice:
		for i := range v.Len() {
			setFile(v.Index(i), file)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			setFile(v.Elem(), file)
		}
	}
}

// merge applies delta, an extending spec, to base. A state, event, action,
// guard or timer the base lacks is added, after the base's; one it has is
// changed: `to`, `doc`, `guard`, `timer` and `then` replace the base's,
// `from`, `enter` and `exit` add to them, `initial`, `final` and `internal`
// can only be set. A name repeated within delta is kept twice, so that
// validation reports the duplicate.
func merge(base, delta *specFile) *specFile {
	out := *base
	out.Extends, out.Options, out.Pos = delta.Extends, delta.Options, delta.Pos
	out.States = mergeList(base.States, delta.States, func(s stateSpec) ident { return s.Name }, func(b, d stateSpec) stateSpec {
		b.Name, b.Pos = d.Name, d.Pos
		setIf(&b.Doc, d.Doc)
		b.Initial = b.Initial || d.Initial
		b.Final = b.Final || d.Final
		b.Enter = append(b.Enter[:len(b.Enter):len(b.Enter)], d.Enter...)
		b.Exit = append(b.Exit[:len(b.Exit):len(b.Exit)], d.Exit...)
		if d.Timer != nil {
			b.Timer = d.Timer
		}
		if d.Then != nil {
			b.Then = d.Then
		}
		return b
	})
	out.Events = mergeList(base.Events, delta.Events, func(e eventSpec) ident { return e.Name }, func(b, d eventSpec) eventSpec {
		b.Name, b.Pos = d.Name, d.Pos
		setIf(&b.Doc, d.Doc)
		setIf(&b.To, d.To)
		setIf(&b.Guard, d.Guard)
		b.Internal = b.Internal || d.Internal
		for _, f := range d.From {
			if !containsName(b.From, f.Value) {
				b.From = append(b.From[:len(b.From):len(b.From)], f)
			}
		}
		return b
	})
	decl := func(b, d declSpec) declSpec {
		b.Name, b.Pos = d.Name, d.Pos
		setIf(&b.Doc, d.Doc)
		return b
	}
	name := func(d declSpec) ident { return d.Name }
	out.Actions = mergeList(base.Actions, delta.Actions, name, decl)
	out.Guards = mergeList(base.Guards, delta.Guards, name, decl)
	out.Timers = mergeList(base.Timers, delta.Timers, name, decl)
	return &out
}

// mergeList merges the items of delta into base, by name.
func mergeList[T any](base, delta []T, nameOf func(T) ident, change func(b, d T) T) []T {
	out := append([]T(nil), base...)
	at := map[string]int{}
	for i, b := range base {
		if n := nameOf(b); n.Set {
			at[n.Value] = i
		}
	}
	changed := map[string]bool{}
	for _, d := range delta {
		n := nameOf(d)
		if i, ok := at[n.Value]; ok && n.Set && !changed[n.Value] {
			changed[n.Value] = true
			out[i] = change(out[i], d)
			continue
		}
		out = append(out, d)
	}
	return out
}

func setIf(dst *ident, v ident) {
	if v.Set {
		*dst = v
	}
}

func containsName(ids []ident, name string) bool {
	for _, id := range ids {
		if id.Value == name {
			return true
		}
	}
	return false
}
