package wsfsm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

// go doc shows no methods for an alias, so Conn's doc comment lists
// ConnOf's exported methods by name: the list must be exactly the method set.
func TestConnDocListsEveryMethod(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "conn.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE && g.Specs[0].(*ast.TypeSpec).Name.Name == "Conn" {
			doc = g.Doc.Text()
		}
	}
	m := regexp.MustCompile(`ConnOf\): ([^.]*)\.`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("Conn's doc does not list its methods:\n%s", doc)
	}
	listed := regexp.MustCompile(`[A-Z][A-Za-z]*`).FindAllString(m[1], -1)
	var have []string
	typ := reflect.TypeFor[*Conn]()
	for i := range typ.NumMethod() {
		have = append(have, typ.Method(i).Name)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, have) {
		t.Errorf("Conn's doc lists %v; its methods are %v", listed, have)
	}
}
