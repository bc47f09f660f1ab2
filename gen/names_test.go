package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm"
)

// The reserved names are what the generated package and the Conn really
// declare, so that they cannot drift: connMethods are the methods of
// *wsfsm.Conn (and the name of the field a generated Conn embeds it by), and
// packageNames the exported identifiers the committed generated files
// declare besides the constants their specs name.
func TestReservedNamesAreDeclared(t *testing.T) {
	var methods []string
	conn := reflect.TypeFor[*wsfsm.Conn]()
	for i := range conn.NumMethod() {
		methods = append(methods, conn.Method(i).Name)
	}
	methods = append(methods, "ConnOf") // struct{ *wsfsm.ConnOf[State, Event] }
	slices.Sort(methods)
	if got := slices.Sorted(slices.Values(connMethods)); !slices.Equal(got, methods) {
		t.Errorf("connMethods = %q\nwant what *wsfsm.Conn has: %q", got, methods)
	}

	declared := map[string]bool{}
	for _, pkg := range []struct{ spec, dir, golden string }{
		{"../vocab/states.yaml", "../fsm", ""},
		{"../examples/suspend/states.yaml", "../examples/suspend", ""},
		{"../examples/graphql/states.yaml", "../examples/graphql", ""},
		{"testdata/extended/extended.yaml", "testdata/extended", ".golden"},
	} {
		data, err := os.ReadFile(pkg.spec)
		if err != nil {
			t.Fatal(err)
		}
		s, err := loadSpec(data)
		if err != nil {
			t.Fatal(err)
		}
		m, dl := validate(s)
		if dl != nil {
			t.Fatalf("%s: %v", pkg.spec, dl)
		}
		own := map[string]bool{}
		for _, st := range m.States {
			own[st.Name] = true
		}
		for _, e := range m.Events {
			own["Event"+e.Go] = true
		}
		for _, group := range []struct {
			prefix string
			decls  []*mDecl
		}{{"Action", m.Actions}, {"Guard", m.Guards}, {"Timer", m.Timers}} {
			for _, d := range group.decls {
				own[group.prefix+d.Go] = true
			}
		}
		for _, name := range []string{"states.go", "conn.go"} {
			src, err := os.ReadFile(filepath.Join(pkg.dir, name+pkg.golden))
			if os.IsNotExist(err) && name == "conn.go" {
				continue // fsm/ has no conn.go
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range topLevel(f) {
				if ast.IsExported(id) && !own[id] {
					declared[id] = true
				}
			}
		}
	}
	want := slices.Sorted(func(yield func(string) bool) {
		for id := range declared {
			if !yield(id) {
				return
			}
		}
	})
	if got := slices.Sorted(slices.Values(packageNames)); !slices.Equal(got, want) {
		t.Errorf("packageNames = %s\nwant what the generated files declare: %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}

// topLevel returns the names a Go file declares at package level (not its
// methods).
func topLevel(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	return out
}
