package main

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// pos is a 1-based line and column in the spec file, or in File when it is
// set: the reference machine, for what an extending spec did not restate.
type pos struct {
	Line, Col int
	File      string
}

func posOf(n ast.Node) pos {
	if n == nil || n.GetToken() == nil {
		return pos{Line: 1, Col: 1}
	}
	p := n.GetToken().Position
	return pos{Line: max(p.Line, 1), Col: max(p.Column, 1)}
}

// ident is a name in the spec, with where it was written. Set is false when
// the key was absent or null.
type ident struct {
	Value string
	Pos   pos
	Set   bool
}

// text is a one-line doc string in the spec.
type text = ident

// specFile is the raw, unvalidated shape of states.yaml.
type specFile struct {
	Extends ident
	Options optionsSpec
	States  []stateSpec
	Events  []eventSpec
	Actions []declSpec
	Guards  []declSpec
	Timers  []declSpec
	Pos     pos
}

type stateSpec struct {
	Name    ident
	Doc     text
	Initial bool
	Final   bool
	Enter   []ident
	Exit    []ident
	Timer   *timerSpec
	Then    []ident
	Pos     pos
}

type timerSpec struct {
	After ident
	Event ident
	Pos   pos
}

type eventSpec struct {
	Name     ident
	Doc      text
	From     []ident
	To       ident
	Guard    ident
	Internal bool
	Pos      pos
}

// optionsSpec is what the spec's protocol needs of the options.
type optionsSpec struct {
	Subprotocols []ident
}

// declSpec declares an action, a guard or a timer.
type declSpec struct {
	Name ident
	Doc  text
	Pos  pos
}

// parseSpec parses data strictly: YAML syntax errors, duplicate keys, unknown
// fields, wrong types, anchors/aliases and multiple documents are all errors.
// A syntax error stops the parse; every other problem of the file's shape is
// reported at once. The returned error is a diagList positioned in the file.
func parseSpec(data []byte) (*specFile, error) {
	if len(data) > maxSpecBytes {
		return nil, diagList{{pos{Line: 1, Col: 1}, fmt.Sprintf("spec is more than %d bytes", maxSpecBytes)}}
	}
	if dl := checkText(data); dl != nil {
		return nil, dl
	}
	// goccy/go-yaml's parser needs memory that grows with the square of the
	// nesting depth: deep nesting, and anchors and tags (which the spec does
	// not support), are refused before it runs (nesting.go).
	if d := checkNesting(data); d != nil {
		return nil, diagList{*d}
	}
	tokens := lexer.Tokenize(string(data))
	if tokens.InvalidToken() == nil {
		if d := checkTokens(tokens); d != nil {
			return nil, diagList{*d}
		}
	}
	// Duplicate keys are found by the decoder, with the other shape errors.
	f, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, diagList{syntaxDiag(err)}
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, diagList{{pos{Line: 1, Col: 1}, "empty spec: expected a mapping with states and events"}}
	case len(docs) > 1:
		return nil, diagList{{posOf(docs[1].Body), "only one YAML document is allowed"}}
	}
	var dec decoder
	s := dec.spec(docs[0].Body)
	if len(dec.diags) > 0 {
		return nil, dec.diags
	}
	return s, nil
}

// syntaxDiag turns a YAML syntax error from goccy/go-yaml into a positioned
// diagnostic.
func syntaxDiag(err error) diag {
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := pos{Line: 1, Col: 1}
		if tk := ye.GetToken(); tk != nil {
			p = pos{Line: max(tk.Position.Line, 1), Col: max(tk.Position.Column, 1)}
		}
		return diag{p, ye.GetMessage()}
	}
	return diag{pos{Line: 1, Col: 1}, err.Error()}
}
