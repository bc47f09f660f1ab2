package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// The generated code is type-checked in process against the export data of
// the packages it imports, which `go list -export` builds (or finds in the
// build cache) once per test binary: this works offline and in module mode,
// where a source importer would need GOPATH.
var (
	exportsOnce sync.Once
	exports     map[string]string // import path -> export data file
	exportsErr  error
	// imp is shared by every check of one test binary: it reads each
	// package's export data once.
	imp types.Importer
)

// exportImporter returns an importer of the packages generated code imports.
func exportImporter(t testing.TB) types.Importer {
	t.Helper()
	exportsOnce.Do(func() {
		cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}",
			"github.com/wsfsm/wsfsm", "github.com/wsfsm/wsfsm/engine", "github.com/wsfsm/wsfsm/vocab", "context", "strconv", "time")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			exportsErr = fmt.Errorf("go list -export: %v\n%s", err, stderr.String())
			return
		}
		exports = map[string]string{}
		for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
			if path, file, ok := strings.Cut(sc.Text(), "\t"); ok && file != "" {
				exports[path] = file
			}
		}
		imp = importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok {
				return nil, fmt.Errorf("generated code imports %q, which the test does not provide", path)
			}
			return os.Open(file)
		})
	})
	if exportsErr != nil {
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("go command not found")
		}
		t.Fatal(exportsErr)
	}
	return imp
}

// typeCheck type-checks the generated files of one package and returns it,
// with the files' syntax.
func typeCheck(t testing.TB, imp types.Importer, files map[string][]byte) (*types.Package, []*ast.File, error) {
	t.Helper()
	fset := token.NewFileSet()
	var syntax []*ast.File
	for _, name := range sortedKeys(files) {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, files[name], parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		syntax = append(syntax, f)
	}
	var errs []error
	conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err) }}
	pkg, _ := conf.Check("example.com/generated", fset, syntax, nil)
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%d type errors, the first: %w", len(errs), errs[0])
	}
	return pkg, syntax, nil
}

// shadowed returns the methods the generated Conn declares that replace a
// method it has from the wsfsm.ConnOf it embeds.
func shadowed(pkg *types.Package) []string {
	obj := pkg.Scope().Lookup("Conn")
	if obj == nil {
		return nil
	}
	named := obj.Type().(*types.Named)
	st := named.Underlying().(*types.Struct)
	promoted := types.NewMethodSet(st.Field(0).Type())
	var out []string
	for m := range named.Methods() {
		if promoted.Lookup(m.Pkg(), m.Name()) != nil || m.Name() == st.Field(0).Name() {
			out = append(out, m.Name())
		}
	}
	return out
}

// checkGenerated fails t unless files type-check and shadow no Conn method.
func checkGenerated(t testing.TB, imp types.Importer, files map[string][]byte) {
	t.Helper()
	pkg, _, err := typeCheck(t, imp, files)
	if err != nil {
		t.Fatalf("generated code does not type-check: %v\n%s", err, files["conn.go"])
	}
	if s := shadowed(pkg); len(s) > 0 {
		t.Fatalf("generated Conn methods %v replace wsfsm.ConnOf's own", s)
	}
}
