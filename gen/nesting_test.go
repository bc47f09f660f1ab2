package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// hostileNesting builds inputs of about n bytes that nest as deep as their
// size allows, in each way YAML can nest.
var hostileNesting = map[string]func(n int) string{
	"flow sequences": func(n int) string { return strings.Repeat("[", n) },
	"flow mappings":  func(n int) string { return strings.Repeat("{a: ", n/4) },
	"flow in a spec": func(n int) string { return "states:\n  - name: A\n    enter: " + strings.Repeat("[{", n/2) },
	"block sequences on one line": func(n int) string {
		return strings.Repeat("- ", n/2) + "x\n"
	},
	"explicit keys": func(n int) string { return strings.Repeat("? ", n/2) + "x\n" },
	"indentation": func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(strings.Repeat(" ", i) + "a:\n")
		}
		return b.String()
	},
	"sequences of mappings": func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(strings.Repeat("  ", i) + "- a:\n")
		}
		return b.String()
	},
	"anchored flow": func(n int) string { return strings.Repeat("&a [", n/4) },
	// goccy/go-yaml nests these although YAML does not.
	"sequences in flow":   func(n int) string { return "[" + strings.Repeat("- ", n/2) },
	"entries then keys":   func(n int) string { return strings.Repeat("- \nk: \n", n/6) },
	"keys then entries":   func(n int) string { return strings.Repeat("k: \n- \n", n/6) },
	"explicit keys lines": func(n int) string { return strings.Repeat("? -? -\n-\n\n? \n-? ? \n", n/20) },
	"tagged entries":      func(n int) string { return strings.Repeat("- !t \n", n/6) },
	"anchored entries":    func(n int) string { return strings.Repeat("- &a\n", n/5) },
}

// hostileKeys builds inputs of about n bytes with as many keys in one block
// mapping as their size allows.
var hostileKeys = map[string]func(n int) string{
	"one key, repeated": func(n int) string { return strings.Repeat("k: v\n", n/5) },
	"distinct keys": func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "k%d: v\n", i)
		}
		return b.String()
	},
	"keys of a state": func(n int) string { return "states:\n  - name: A\n" + strings.Repeat("    doc: x\n", n/11) },
	"null keys":       func(n int) string { return strings.Repeat("k:\n", n/3) },
	"explicit keys":   func(n int) string { return strings.Repeat("? k\n: v\n", n/8) },
}

// hostileDocuments builds inputs of about n bytes with as many documents as
// their size allows.
var hostileDocuments = map[string]func(n int) string{
	"documents":                func(n int) string { return strings.Repeat("---\nk: v\n", n/9) },
	"documents ended":          func(n int) string { return strings.Repeat("k: v\n...\n", n/9) },
	"documents on marker line": func(n int) string { return strings.Repeat("--- k\n", n/6) },
	"empty documents":          func(n int) string { return strings.Repeat("...\n---\n", n/8) },
}

// Hostile nesting, mappings with hostile numbers of keys and files of many
// documents are refused before the YAML parser sees them, in memory that
// does not grow with the input: 1 MiB of "[" allocates a few KiB, not the
// gigabytes goccy/go-yaml's parser would take (and 1 MiB of "k: v" lines,
// not 169 GB in 4 minutes).
func TestHostileNestingBoundedMemory(t *testing.T) {
	const budget = 16 << 10 // bytes allocated by one render, input excluded
	hostile := map[string]func(int) string{}
	for name, gen := range hostileNesting {
		hostile[name] = gen
	}
	for name, gen := range hostileKeys {
		hostile[name] = gen
	}
	for name, gen := range hostileDocuments {
		hostile[name] = gen
	}
	for name, gen := range hostile {
		// Small sizes first: without the limit, 4 KiB already costs
		// tens of MB, and 1 MiB would exhaust the machine.
		for _, size := range []int{4 << 10, 64 << 10, maxSpecBytes} {
			data := []byte(gen(size))[:min(size, len(gen(size)))]
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := render(data, "spec.yaml", "fsm", true)
			runtime.ReadMemStats(&after)
			var dl diagList
			want := "nested more than 32 levels deep (the reference spec needs 4)"
			switch {
			case hostileKeys[name] != nil:
				want = "more than 64 keys in one mapping (no mapping of a spec needs that many)"
			case hostileDocuments[name] != nil:
				want = "only one YAML document is allowed"
			}
			if !errors.As(err, &dl) || len(dl) != 1 || dl[0].Msg != want {
				t.Fatalf("%s, %d bytes: err %v, want %q", name, size, err, want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > budget {
				t.Fatalf("%s, %d bytes: render allocated %d bytes, want at most %d", name, size, got, budget)
			}
		}
	}
}

// Levels are counted the same way on bytes and on tokens; a real spec nests
// 4 levels deep.
func TestNestingLevels(t *testing.T) {
	for src, want := range map[string]int{
		"a: b\n":                          1,
		"a:\n  b:\n    c: d\n":            3,
		"a:\n- b\n- c\n":                  2, // a sequence at its key's column
		"a:\n- b: c\n  d: e\nf: g\n":      3,
		"- - - x\n":                       3,
		"a: [b, {c: d}]\n":                3,
		"a: '[[[[' # [[[[\n":              1, // quoted and commented brackets
		"a: \"[[\\\"[[\"\nb: [c]\n":       2,
		"a: |\n  [[[[\n  - - -\nb: [c]\n": 2, // a block scalar's text
		"a: x [[[[\n":                     1, // a plain scalar's brackets
		"a: [b,\n  c]\nd: e\n":            2,
		"- \nk: \n- \nk: \n":              4, // goccy nests these
		"[- - x]\n":                       3,
	} {
		tokens := lexer.Tokenize(src)
		if tk := tokens.InvalidToken(); tk != nil {
			t.Fatalf("%q: %v", src, tk.Error)
		}
		byBytes, d1 := scanNesting([]byte(src))
		byTokens, d2 := tokenNesting(tokens)
		if byBytes != want || byTokens != want || d1 != nil || d2 != nil {
			t.Errorf("%q: depth %d on bytes (%v), %d on tokens (%v); want %d", src, byBytes, d1, byTokens, d2, want)
		}
	}
	for _, spec := range []string{"../vocab/states.yaml", "testdata/extended/extended.yaml"} {
		data, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, eol := range []string{"\n", "\r\n", "\r"} {
			data := strings.ReplaceAll(string(data), "\n", eol)
			byBytes, _ := scanNesting([]byte(data))
			byTokens, _ := tokenNesting(lexer.Tokenize(data))
			if byBytes != 4 || byTokens != 4 {
				t.Errorf("%s, lines ending in %q: depth %d on bytes, %d on tokens; want 4", spec, eol, byBytes, byTokens)
			}
		}
	}
}

// parsedDepth is how deeply goccy/go-yaml's parser nested collections in n:
// each sequence and each mapping entry is a level.
func parsedDepth(n ast.Node) int {
	switch v := n.(type) {
	case *ast.DocumentNode:
		return parsedDepth(v.Body)
	case *ast.SequenceNode:
		most := 0
		for _, x := range v.Values {
			most = max(most, parsedDepth(x))
		}
		return 1 + most
	case *ast.MappingNode:
		most := 0
		for _, x := range v.Values {
			most = max(most, parsedDepth(x))
		}
		return most
	case *ast.MappingValueNode:
		return 1 + max(parsedDepth(v.Key), parsedDepth(v.Value))
	case *ast.MappingKeyNode:
		return parsedDepth(v.Value)
	}
	return 0
}

// The token check is what guarantees the parser's memory: on random
// YAML-ish inputs (and on each repeated, where goccy/go-yaml nests more
// than YAML says), the parser never nests more than one level deeper than
// checkTokens counts. The byte scan is checked against the token count on
// real specs above; where it counts less, the token check still refuses.
func TestTokenNestingBoundsParser(t *testing.T) {
	pieces := []string{"[", "]", "{", "}", ", ", ": ", ":", "- ", "-", "? ", "'", "\"", "#", " ", "  ",
		"\n", "\n  ", "\n    ", "a", "b c", "|", ">", "|-\n", "\\", "---\n", "''", "\t", "k: ", "\n- ", "\n  - ", "'a'", "\"b\""}
	r := rand.New(rand.NewPCG(1, 2))
	depths := func(src string) (parsed, counted int, ok bool) {
		tokens := lexer.Tokenize(src)
		if tokens.InvalidToken() != nil {
			return 0, 0, false
		}
		counted, d := tokenNesting(tokens)
		if d != nil {
			return 0, 0, false // refused: the parser never sees it
		}
		f, err := parser.Parse(tokens, 0)
		if err != nil {
			return 0, 0, false
		}
		for _, d := range f.Docs {
			parsed = max(parsed, parsedDepth(d))
		}
		return parsed, counted, true
	}
	n := 8000
	if testing.Short() {
		n = 1000
	}
	for range n {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		src := b.String()
		if parsed, counted, ok := depths(src); ok && parsed > counted+1 {
			t.Errorf("%q: parsed %d levels deep, counted %d", src, parsed, counted)
		}
		p1, c1, ok1 := depths(strings.Repeat(src, 4))
		p2, c2, ok2 := depths(strings.Repeat(src, 12))
		if ok1 && ok2 && c2 < maxNesting && p2-c2 > p1-c1 {
			t.Errorf("%q repeated: parsed %d levels deep, counted %d; 3 times as many: parsed %d, counted %d", src, p1, c1, p2, c2)
		}
	}
}

// A block mapping may have maxKeys keys, not one more: both scans count
// them, wherever the mapping is.
func TestKeysPerMapping(t *testing.T) {
	for _, wrap := range []struct {
		before, indent string
		keys           int // in before, of the mapping
	}{{"", "", 0}, {"a:\n", "  ", 0}, {"- x: y\n", "  ", 1}} {
		for _, n := range []int{maxKeys, maxKeys + 1} {
			src := wrap.before
			for i := range n - wrap.keys {
				src += fmt.Sprintf("%sk%d: v\n", wrap.indent, i)
			}
			_, d1 := scanNesting([]byte(src))
			_, d2 := tokenNesting(lexer.Tokenize(src))
			if n == maxKeys && (d1 != nil || d2 != nil) {
				t.Errorf("%d keys after %q refused: %v, %v", n, wrap.before, d1, d2)
			}
			want := pos{Line: strings.Count(src, "\n"), Col: len(wrap.indent) + 1}
			if n > maxKeys && (d1 == nil || d2 == nil || d1.Pos != want || d2.Pos != want) {
				t.Errorf("%d keys after %q: %v, %v; want refused at %v", n, wrap.before, d1, d2, want)
			}
		}
	}
}

// Document markers around the spec are fine; a second document, empty or
// not, is refused, on bytes and on tokens, at its "---" or first token.
// (goccy/go-yaml reads a directive, "%YAML 1.2", as a document of its own:
// such specs were refused before these checks, and still are.)
func TestOneDocument(t *testing.T) {
	spec, err := os.ReadFile("../vocab/states.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(spec), "\n")
	for prefix, suffix := range map[string]string{
		"":               "",
		"---\n":          "...\n",
		"# c\n--- # c\n": "...\n# c\n...\n",
	} {
		if got := renderDiags(t, prefix+string(spec)+suffix); got != "" {
			t.Errorf("%q + states.yaml + %q refused:\n%s", prefix, suffix, got)
		}
	}
	for suffix, want := range map[string]string{
		"---\nstates: []\n": fmt.Sprintf("%d:1", lines+1),
		"...\n  x\n":        fmt.Sprintf("%d:3", lines+2),
		"--- [a]\n":         fmt.Sprintf("%d:1", lines+1),
		"---\n":             fmt.Sprintf("%d:1", lines+1), // an empty one too
	} {
		src := string(spec) + suffix
		_, d1 := scanNesting([]byte(src))
		_, d2 := tokenNesting(lexer.Tokenize(src))
		for _, d := range []*diag{d1, d2} {
			if d == nil || d.Msg != "only one YAML document is allowed" || fmt.Sprintf("%d:%d", d.Pos.Line, d.Pos.Col) != want {
				t.Errorf("states.yaml + %q: %v; want %s: only one YAML document is allowed", suffix, d, want)
			}
		}
	}
}
