package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The README's extension snippet generates as it stands, pasted into a
// states.yaml, and is exactly examples/graphql: the same package comes out.
func TestReadmeSnippetGenerates(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Extending the machine by editing YAML")
	if !ok {
		t.Fatal("README.md has no section Extending the machine by editing YAML")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	// The block is indented under its list item; paste it as a reader would.
	var snippet strings.Builder
	for line := range strings.Lines(block) {
		snippet.WriteString(strings.TrimPrefix(line, "   "))
	}
	files, err := render([]byte(snippet.String()), "states.yaml", "graphql", true)
	if err != nil {
		t.Fatalf("the README's snippet is refused:\n%v\n%s", formatErr(err), snippet.String())
	}
	for _, name := range []string{"states.go", "conn.go"} {
		want, err := os.ReadFile("../examples/graphql/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[name], want) {
			t.Errorf("the README's snippet generates another %s than examples/graphql's", name)
		}
	}
}

// formatErr renders a spec's diagnostics compiler style.
func formatErr(err error) string {
	if dl, ok := err.(diagList); ok {
		return dl.Format("states.yaml")
	}
	return err.Error()
}
