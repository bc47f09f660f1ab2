package main

import (
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// diagLine is the shape of every diagnostic the generator prints.
var diagLine = regexp.MustCompile(`^(spec\.yaml|` + regexp.QuoteMeta(referenceFile) + `):[1-9][0-9]*:[1-9][0-9]*: .+$`)

// safeDiagramLine is what a diagram line may contain: generated keywords,
// validated names and labels, nothing that could start a new statement.
var safeDiagramLine = regexp.MustCompile(`^[A-Za-z0-9_ \[\]*:\->(){}=;.,"%/\t]*$`)

// FuzzParse feeds arbitrary bytes to the parser, validator and emitters: the
// answer is either positioned diagnostics or Go code that parses and
// diagrams made of safe characters. It never panics.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.yaml")
	seeds = append(seeds, "../vocab/states.yaml", "testdata/extended/extended.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := render(data, "spec.yaml", "fsm", true)
		if err != nil {
			var dl diagList
			if !errors.As(err, &dl) {
				t.Fatalf("error that is not a spec diagnostic: %v", err)
			}
			if len(dl) == 0 {
				t.Fatal("empty diagnostic list")
			}
			for _, line := range strings.Split(strings.TrimSuffix(dl.Format("spec.yaml"), "\n"), "\n") {
				if !diagLine.MatchString(line) {
					t.Fatalf("malformed diagnostic %q", line)
				}
			}
			return
		}
		for _, name := range []string{"states.go", "conn.go"} {
			if _, err := parser.ParseFile(token.NewFileSet(), name, files[name], parser.AllErrors); err != nil {
				t.Fatalf("%s does not parse: %v", name, err)
			}
		}
		for _, name := range []string{"states.mmd", "states.dot"} {
			for _, line := range strings.Split(string(files[name]), "\n") {
				if !safeDiagramLine.MatchString(line) {
					t.Fatalf("%s: unsafe line %q", name, line)
				}
			}
		}
	})
}
