package main

import (
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ErrSpec means the spec has problems; they were listed, compiler style.
var ErrSpec = errors.New("invalid spec")

// options are the command-line flags.
type options struct {
	Spec   string // path of the YAML spec
	Out    string // output directory of the package and diagrams
	Pkg    string // package name of the generated code
	Readme string // README whose diagram section to rewrite ("" for none)
	Conn   bool   // emit conn.go: the package's Conn over package wsfsm
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the exit: 0 on success, 1 on a bad spec or I/O error,
// 2 on bad usage.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.Spec, "spec", "", "the YAML `file` describing the machine (required)")
	fs.StringVar(&o.Out, "out", ".", "the `directory` to write the Go package and diagrams to")
	fs.StringVar(&o.Pkg, "pkg", "fsm", "the package `name` of the generated Go code")
	fs.BoolVar(&o.Conn, "conn", true, "emit conn.go: a Conn type, Dial and one method per added event, over package wsfsm (false only for the reference machine that package wsfsm itself uses)")
	fs.StringVar(&o.Readme, "readme", "", "a Markdown `file` whose section between "+beginMarker+" and "+endMarker+" is replaced by the diagram (and, where it has them, the section between "+vocabBeginMarker+" and "+vocabEndMarker+" by the table of the built-in vocabulary)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gen -spec FILE -out DIR [-pkg NAME] [-conn=false] [-readme FILE]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Spec == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if err := generate(o, stderr); err != nil {
		if !errors.Is(err, ErrSpec) {
			fmt.Fprintf(stderr, "gen: %v\n", err)
		}
		return 1
	}
	return 0
}

// safeFileName is what the spec's base name may look like: it is written into
// generated comments.
var safeFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// generate reads the spec, and either writes every output or nothing: all
// files are rendered in memory first, then written by writeFiles.
// Problems in the spec are printed to stderr and reported as ErrSpec.
func generate(o options, stderr io.Writer) error {
	data, err := readSpec(o.Spec)
	if err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	if err := checkPackageName(o.Pkg); err != nil {
		return err
	}
	specName := filepath.Base(o.Spec)
	if !safeFileName.MatchString(specName) {
		return fmt.Errorf("spec file name %q: use letters, digits, '.', '_' and '-' only", specName)
	}
	files, err := render(data, specName, o.Pkg, o.Conn)
	if err != nil {
		var dl diagList
		if errors.As(err, &dl) {
			fmt.Fprint(stderr, dl.Format(o.Spec))
			return fmt.Errorf("%w: %d problem(s)", ErrSpec, len(dl))
		}
		return err
	}
	var outs []output
	for _, name := range sortedKeys(files) {
		outs = append(outs, output{filepath.Join(o.Out, name), files[name]})
	}
	if o.Readme != "" {
		old, err := os.ReadFile(o.Readme)
		if err != nil {
			return fmt.Errorf("read README: %w", err)
		}
		b, err := rewriteReadme(old, files["states.mmd"])
		if err != nil {
			return fmt.Errorf("%s: %w", o.Readme, err)
		}
		outs = append(outs, output{o.Readme, b})
	}
	return writeFiles(outs)
}

// checkPackageName refuses a -pkg name that would not make an importable
// package: not an identifier, a keyword, the blank identifier (package _
// cannot be referred to) or main (a command, which no one can import).
func checkPackageName(pkg string) error {
	switch {
	case !token.IsIdentifier(pkg) || token.IsKeyword(pkg):
		return fmt.Errorf("-pkg %q is not a valid package name", pkg)
	case pkg == "_" || pkg == "main":
		return fmt.Errorf("-pkg %q: the generated package would not be importable; name it after the machine (-pkg graphql)", pkg)
	}
	return nil
}

// readSpec reads the spec file, but no more than one byte past
// maxSpecBytes: parseSpec refuses it then, and a path to a huge file (or
// to /dev/zero) costs no more than that.
func readSpec(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxSpecBytes+1))
}

// render parses, validates and emits: file name -> contents. A bad spec
// yields a diagList.
func render(data []byte, specName, pkg string, conn bool) (map[string][]byte, error) {
	spec, err := loadSpec(data)
	if err != nil {
		return nil, err
	}
	m, dl := validate(spec)
	if dl != nil {
		return nil, dl
	}
	files, err := emitGo(m, specName, pkg, conn)
	if err != nil {
		return nil, fmt.Errorf("emit Go (a bug in gen: please report it): %w", err)
	}
	files["states.mmd"] = emitMermaid(m, specName)
	files["states.dot"] = emitDOT(m, specName)
	return files, nil
}
