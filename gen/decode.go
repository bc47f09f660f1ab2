package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// decoder turns the YAML tree of a spec into a specFile. It checks the shape
// strictly (unknown keys, repeated keys, wrong types) and collects every such
// problem instead of stopping at the first, so that one run lists them all.
type decoder struct{ diags diagList }

func (d *decoder) errorf(n ast.Node, format string, args ...any) {
	d.diags = append(d.diags, diag{posOf(n), fmt.Sprintf(format, args...)})
}

// field is a key a mapping may hold and what to do with its value.
type field struct {
	key    string
	decode func(value ast.Node)
}

// mapping decodes n, which must be a mapping described as what ("a state"),
// key by key in file order. A null value leaves its field unset.
func (d *decoder) mapping(n ast.Node, what string, fields []field) {
	mn, ok := n.(ast.MapNode)
	if !ok {
		d.errorf(n, "expected %s (a mapping), found %s", what, kindOf(n))
		return
	}
	var known []string
	for _, f := range fields {
		known = append(known, f.key)
	}
	first := map[string]pos{}
	for it := mn.MapRange(); it.Next(); {
		k, ok := it.Key().(*ast.StringNode)
		if !ok {
			d.errorf(it.Key(), "expected a key of %s (%s), found %s", what, strings.Join(known, ", "), kindOf(it.Key()))
			continue
		}
		if p, dup := first[k.Value]; dup {
			d.errorf(k, "duplicate key %q in %s (first at %d:%d)", k.Value, what, p.Line, p.Col)
			continue
		}
		first[k.Value] = posOf(k)
		i := slices.Index(known, k.Value)
		if i < 0 {
			d.errorf(k, "unknown field %q in %s (known: %s)", k.Value, what, strings.Join(known, ", "))
			continue
		}
		if v := it.Value(); v != nil && v.Type() != ast.NullType {
			fields[i].decode(v)
		}
	}
}

// list decodes n, which must be a sequence (the value of key), item by item.
func (d *decoder) list(n ast.Node, key string, item func(ast.Node)) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, "%s: expected a list, found %s", key, kindOf(n))
		return
	}
	for _, v := range seq.Values {
		item(v)
	}
}

// str decodes a plain string (a name or a doc line); want says what it
// should be, for the message.
func (d *decoder) str(n ast.Node, key, want string) ident {
	s, ok := n.(*ast.StringNode)
	if !ok {
		d.errorf(n, "%s: expected %s, found %s", key, want, kindOf(n))
		return ident{}
	}
	return ident{Value: s.Value, Pos: posOf(n), Set: true}
}

func (d *decoder) boolean(n ast.Node, key string) bool {
	b, ok := n.(*ast.BoolNode)
	if !ok {
		d.errorf(n, "%s: expected a boolean (true or false), found %s", key, kindOf(n))
		return false
	}
	return b.Value
}

// The fields of the schema: each decodes its key's value into dst.

func (d *decoder) nameField(key string, dst *ident) field {
	return field{key, func(v ast.Node) { *dst = d.str(v, key, "a name (a string)") }}
}

func (d *decoder) docField(dst *text) field {
	return field{"doc", func(v ast.Node) { *dst = d.str(v, "doc", "one line of text (a string)") }}
}

func (d *decoder) boolField(key string, dst *bool) field {
	return field{key, func(v ast.Node) { *dst = d.boolean(v, key) }}
}

func (d *decoder) namesField(key string, dst *[]ident) field {
	return field{key, func(v ast.Node) {
		d.list(v, key, func(it ast.Node) { *dst = append(*dst, d.str(it, key, "a name (a string)")) })
	}}
}

// listField decodes a list of mappings, each with item.
func listField[T any](d *decoder, key string, dst *[]T, item func(ast.Node) T) field {
	return field{key, func(v ast.Node) {
		d.list(v, key, func(it ast.Node) { *dst = append(*dst, item(it)) })
	}}
}

func (d *decoder) spec(n ast.Node) *specFile {
	s := &specFile{Pos: posOf(n)}
	decl := func(what string) func(ast.Node) declSpec {
		return func(n ast.Node) declSpec {
			ds := declSpec{Pos: posOf(n)}
			d.mapping(n, what+" {name, doc}", []field{d.nameField("name", &ds.Name), d.docField(&ds.Doc)})
			return ds
		}
	}
	d.mapping(n, "the spec", []field{
		d.nameField("extends", &s.Extends),
		{"options", func(v ast.Node) {
			d.mapping(v, "options {subprotocols}", []field{d.namesField("subprotocols", &s.Options.Subprotocols)})
		}},
		listField(d, "states", &s.States, d.state),
		listField(d, "events", &s.Events, d.event),
		listField(d, "actions", &s.Actions, decl("an action")),
		listField(d, "guards", &s.Guards, decl("a guard")),
		listField(d, "timers", &s.Timers, decl("a timer declaration")),
	})
	return s
}

func (d *decoder) state(n ast.Node) stateSpec {
	st := stateSpec{Pos: posOf(n)}
	d.mapping(n, "a state", []field{
		d.nameField("name", &st.Name),
		d.docField(&st.Doc),
		d.boolField("initial", &st.Initial),
		d.boolField("final", &st.Final),
		d.namesField("enter", &st.Enter),
		d.namesField("exit", &st.Exit),
		{"timer", func(v ast.Node) {
			st.Timer = &timerSpec{Pos: posOf(v)}
			d.mapping(v, "a timer {after, event}", []field{
				d.nameField("after", &st.Timer.After),
				d.nameField("event", &st.Timer.Event),
			})
		}},
		d.namesField("then", &st.Then),
	})
	return st
}

func (d *decoder) event(n ast.Node) eventSpec {
	e := eventSpec{Pos: posOf(n)}
	d.mapping(n, "an event", []field{
		d.nameField("name", &e.Name),
		d.docField(&e.Doc),
		d.namesField("from", &e.From),
		d.nameField("to", &e.To),
		d.nameField("guard", &e.Guard),
		d.boolField("internal", &e.Internal),
	})
	return e
}

// kindOf names a YAML node's kind the way a spec author thinks of it.
func kindOf(n ast.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Type() {
	case ast.NullType:
		return "null"
	case ast.BoolType:
		return "a boolean"
	case ast.IntegerType:
		return "an integer"
	case ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.StringType:
		return "a string"
	case ast.LiteralType:
		return "a block scalar"
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	}
	return n.Type().YAMLName()
}
