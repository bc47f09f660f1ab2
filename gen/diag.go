package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// diag is one problem found in the spec, at a position.
type diag struct {
	Pos pos
	Msg string
}

func (d *diag) Error() string { return fmt.Sprintf("%d:%d: %s", d.Pos.Line, d.Pos.Col, d.Msg) }

// diagList is every problem found in a spec. It is the error returned by
// parsing and validation.
type diagList []diag

func (l diagList) Error() string { return l.Format("spec") }

// Format renders the list compiler style, one `file:line:col: message` per
// line, sorted by position: the spec's own problems first, then those
// positioned in the reference machine it extends.
func (l diagList) Format(file string) string {
	s := slices.Clone(l)
	slices.SortStableFunc(s, func(a, b diag) int {
		return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col), strings.Compare(a.Msg, b.Msg))
	})
	s = slices.Compact(s)
	var b strings.Builder
	for _, d := range s {
		f := file
		if d.Pos.File != "" {
			f = d.Pos.File
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s\n", f, d.Pos.Line, d.Pos.Col, d.Msg)
	}
	return b.String()
}
