package main

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxSpecBytes bounds the input so a hostile spec cannot make the generator slow.
const maxSpecBytes = 1 << 20

// pos is a 1-based line and column in the spec file.
type pos struct{ Line, Col int }

func posOf(n ast.Node) pos {
	if n == nil || n.GetToken() == nil {
		return pos{1, 1}
	}
	p := n.GetToken().Position
	return pos{max(p.Line, 1), max(p.Column, 1)}
}

// ident is a name in the spec, with where it was written. Only plain YAML
// strings are accepted: `name: true` or `name: 12` is a type error.
type ident struct {
	Value string
	Pos   pos
	Set   bool
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (i *ident) UnmarshalYAML(n ast.Node) error {
	s, ok := n.(*ast.StringNode)
	if !ok {
		return &diag{posOf(n), fmt.Sprintf("expected a name (a string), found %s", n.Type().YAMLName())}
	}
	*i = ident{Value: s.Value, Pos: posOf(n), Set: true}
	return nil
}

// text is a one-line doc string in the spec.
type text struct {
	Value string
	Pos   pos
	Set   bool
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (t *text) UnmarshalYAML(n ast.Node) error {
	s, ok := n.(*ast.StringNode)
	if !ok {
		return &diag{posOf(n), fmt.Sprintf("expected a one-line doc string, found %s", n.Type().YAMLName())}
	}
	*t = text{Value: s.Value, Pos: posOf(n), Set: true}
	return nil
}

// specFile is the raw, unvalidated shape of states.yaml.
type specFile struct {
	States  []stateSpec `yaml:"states"`
	Events  []eventSpec `yaml:"events"`
	Actions []declSpec  `yaml:"actions"`
	Guards  []declSpec  `yaml:"guards"`
	Timers  []declSpec  `yaml:"timers"`
	Pos     pos         `yaml:"-"`
}

type stateSpec struct {
	Name    ident      `yaml:"name"`
	Doc     text       `yaml:"doc"`
	Initial bool       `yaml:"initial"`
	Final   bool       `yaml:"final"`
	Enter   []ident    `yaml:"enter"`
	Timer   *timerSpec `yaml:"timer"`
	Then    []ident    `yaml:"then"`
	Pos     pos        `yaml:"-"`
}

type timerSpec struct {
	After ident `yaml:"after"`
	Event ident `yaml:"event"`
	Pos   pos   `yaml:"-"`
}

type eventSpec struct {
	Name  ident   `yaml:"name"`
	Doc   text    `yaml:"doc"`
	From  []ident `yaml:"from"`
	To    ident   `yaml:"to"`
	Guard ident   `yaml:"guard"`
	Pos   pos     `yaml:"-"`
}

// declSpec declares an action, a guard or a timer.
type declSpec struct {
	Name ident `yaml:"name"`
	Doc  text  `yaml:"doc"`
	Pos  pos   `yaml:"-"`
}

// decodeMapping decodes a YAML mapping strictly into v (a pointer to a struct
// without custom unmarshaler), rejecting anything but a mapping.
func decodeMapping(n ast.Node, what string, v any) error {
	if _, ok := n.(ast.MapNode); !ok {
		return &diag{posOf(n), fmt.Sprintf("expected %s (a mapping), found %s", what, n.Type().YAMLName())}
	}
	return yaml.NodeToValue(n, v, yaml.Strict())
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (s *stateSpec) UnmarshalYAML(n ast.Node) error {
	type plain stateSpec
	s.Pos = posOf(n)
	return decodeMapping(n, "a state", (*plain)(s))
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (t *timerSpec) UnmarshalYAML(n ast.Node) error {
	type plain timerSpec
	t.Pos = posOf(n)
	return decodeMapping(n, "a timer {after, event}", (*plain)(t))
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (e *eventSpec) UnmarshalYAML(n ast.Node) error {
	type plain eventSpec
	e.Pos = posOf(n)
	return decodeMapping(n, "an event", (*plain)(e))
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (d *declSpec) UnmarshalYAML(n ast.Node) error {
	type plain declSpec
	d.Pos = posOf(n)
	return decodeMapping(n, "a declaration {name, doc}", (*plain)(d))
}

// parseSpec parses data strictly: YAML syntax errors, duplicate keys, unknown
// fields, wrong types, anchors/aliases and multiple documents are all errors.
// The returned error is a diagList positioned in the file.
func parseSpec(data []byte) (*specFile, error) {
	if len(data) > maxSpecBytes {
		return nil, diagList{{pos{1, 1}, fmt.Sprintf("spec is %d bytes, more than the %d allowed", len(data), maxSpecBytes)}}
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, diagList{yamlDiag(err)}
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, diagList{{pos{1, 1}, "empty spec: expected a mapping with states and events"}}
	case len(docs) > 1:
		return nil, diagList{{posOf(docs[1].Body), "only one YAML document is allowed"}}
	}
	body := docs[0].Body
	if d := rejectAliases(body); d != nil {
		return nil, diagList{*d}
	}
	var s specFile
	s.Pos = posOf(body)
	if err := decodeMapping(body, "the spec", (*specFile)(&s)); err != nil {
		return nil, diagList{yamlDiag(err)}
	}
	return &s, nil
}

// rejectAliases refuses anchors, aliases and merge keys: they make positions
// ambiguous and let a tiny file expand into a huge one.
func rejectAliases(root ast.Node) *diag {
	var found *diag
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n.(type) {
		case *ast.AnchorNode, *ast.AliasNode, *ast.MergeKeyNode:
			found = &diag{posOf(n), "YAML anchors, aliases and merge keys are not supported"}
			return false
		case *ast.TagNode:
			found = &diag{posOf(n), "YAML tags are not supported"}
			return false
		}
		return true
	}), root)
	return found
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}

// yamlDiag turns an error from goccy/go-yaml (or from our unmarshalers) into a
// positioned diagnostic.
func yamlDiag(err error) diag {
	var d *diag
	if errors.As(err, &d) {
		return *d
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && te.Token != nil {
		return diag{pos{max(te.Token.Position.Line, 1), max(te.Token.Position.Column, 1)}, fmt.Sprintf("wrong type: expected %s, found %s", yamlKind(te.DstType), yamlKind(te.SrcType))}
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := pos{1, 1}
		if tk := ye.GetToken(); tk != nil {
			p = pos{max(tk.Position.Line, 1), max(tk.Position.Column, 1)}
		}
		return diag{p, ye.GetMessage()}
	}
	return diag{pos{1, 1}, err.Error()}
}

// yamlKind names a Go type the way a spec author thinks of it.
func yamlKind(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "a mapping"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}
