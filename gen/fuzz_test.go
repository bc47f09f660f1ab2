package main

import (
	"encoding/json"
	"errors"
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

// checkRendered checks render's answer for any input: positioned
// diagnostics, or Go code that type-checks without shadowing a Conn method
// and diagrams made of safe characters.
func checkRendered(t *testing.T, files map[string][]byte, err error) {
	t.Helper()
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
	checkGenerated(t, exportImporter(t), files)
	for _, name := range []string{"states.mmd", "states.dot"} {
		for _, line := range strings.Split(string(files[name]), "\n") {
			if !safeDiagramLine.MatchString(line) {
				t.Fatalf("%s: unsafe line %q", name, line)
			}
		}
	}
}

// FuzzParse feeds arbitrary bytes to the parser, validator and emitters: the
// answer is either positioned diagnostics or a package that type-checks. It
// never panics.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.yaml")
	seeds = append(seeds, "../vocab/states.yaml", "testdata/extended/extended.yaml", "../examples/graphql/states.yaml", "../examples/suspend/states.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := render(data, "spec.yaml", "fsm", true)
		checkRendered(t, files, err)
	})
}

// hostileNames are names that broke generated code or shadowed the API
// before the reserved names came from what the package and Conn declare.
var hostileNames = []string{
	"Conn", "Options", "Dial", "Stats", "Step", "Extension", "Action", "Guard", "NoGuard",
	"StateTimer", "ActionDial", "GuardMayRetry", "TimerBackoff", "EventOpened", "Machine",
	"Table", "Edge", "Initial", "NoEvent", "Transition", "States", "Events", "Timers",
	"conn_of", "send", "send_now", "receive", "messages", "close_with", "reconnect", "err",
	"done", "stats", "subprotocol", "compressed", "local_addr", "fire", "state", "abort",
	"string", "len", "iota", "nil", "go", "func", "type", "relase_sends", "release_sends",
	"dial", "may_retry", "backoff", "x", "Ok", "a_b", "A", "extension", "machine", "name",
}

// nameSpec is the reference extended by a state, an event, an action, a
// guard and a timer with the given names (JSON-quoted, so any string is a
// YAML scalar).
func nameSpec(state, event, action, guard, timer string, internal bool) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	in, from := "", "Open"
	if internal { // fired by the added action, in the added state
		in, from = ", internal: true", "Open, "+q(state)
	}
	return []byte(`extends: reference
states:
  - {name: ` + q(state) + `, doc: Added., enter: [` + q(action) + `], timer: {after: ` + q(timer) + `, event: abort}}
events:
  - {name: ` + q(event) + `, doc: Added., from: [` + from + `], to: ` + q(state) + `, guard: ` + q(guard) + in + `}
  - {name: abort, from: [` + q(state) + `]}
actions:
  - {name: ` + q(action) + `, doc: Added.}
guards:
  - {name: ` + q(guard) + `, doc: Added.}
timers:
  - {name: ` + q(timer) + `, doc: Added.}
`)
}

// FuzzNames generates a spec that adds a state, an event, an action, a
// guard and a timer under random and hostile names: each is refused with
// positioned diagnostics, or the package type-checks and its Conn keeps
// every method of wsfsm.ConnOf.
func FuzzNames(f *testing.F) {
	for i, n := range hostileNames {
		other := hostileNames[(i+7)%len(hostileNames)]
		f.Add(n, "pause", "note_pause", "may_pause", "pause_for", false)
		f.Add("Paused", n, "note_pause", "may_pause", "pause_for", false)
		f.Add("Paused", n, "note_pause", "may_pause", "pause_for", true)
		f.Add("Paused", "pause", n, other, "pause_for", false)
		f.Add("Paused", "pause", "note_pause", "may_pause", n, false)
	}
	f.Fuzz(func(t *testing.T, state, event, action, guard, timer string, internal bool) {
		files, err := render(nameSpec(state, event, action, guard, timer, internal), "spec.yaml", "fsm", true)
		checkRendered(t, files, err)
	})
}
