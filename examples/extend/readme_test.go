package extend

import (
	"os"
	"strings"
	"testing"
)

// The walkthrough in the main README quotes this example: its YAML lines are
// lines of states.yaml, in the same order, and its go:generate line is the
// one in machine/doc.go.
func TestReadmeWalkthroughQuotesTheExample(t *testing.T) {
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme := read("../../README.md")
	_, section, ok := strings.Cut(readme, "## Extending the machine by editing YAML\n")
	_, snippet, ok2 := strings.Cut(section, "```yaml\n")
	snippet, _, ok3 := strings.Cut(snippet, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no ```yaml block in its section \"Extending the machine by editing YAML\"")
	}
	spec := strings.Split(read("states.yaml"), "\n")
	next := 0
	for line := range strings.SplitSeq(strings.TrimSpace(snippet), "\n") {
		line = strings.TrimSpace(line)
		for next < len(spec) && strings.TrimSpace(spec[next]) != line {
			next++
		}
		if next == len(spec) {
			t.Errorf("README's YAML line %q is not in states.yaml (after the lines before it)", line)
			return
		}
	}
	for line := range strings.SplitSeq(read("machine/doc.go"), "\n") {
		if strings.HasPrefix(line, "//go:generate ") && !strings.Contains(section, "`"+line+"`") {
			t.Errorf("README does not quote the go:generate line %q", line)
		}
	}
}
