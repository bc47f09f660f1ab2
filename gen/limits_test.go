package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sizedSpec writes a spec with the given numbers of states, events and
// actions, guards and timers (each at most states or events). Event i
// enters state i%states from every other state; or, if chain is set, it
// enters state i+1 from state i (modulo all states but the last, which is
// final). It has guard i, if declared. State i enters action i (the last
// state enters the rest) and waits timer i, if declared, for event
// (i+1)%events.
func sizedSpec(states, events, decls int, chain bool) []byte {
	var b strings.Builder
	b.WriteString("states:\n")
	for i := range states {
		fmt.Fprintf(&b, "  - name: S%03d\n    doc: State %d.\n", i, i)
		if i == 0 {
			b.WriteString("    initial: true\n")
		}
		if chain && i == states-1 {
			b.WriteString("    final: true\n")
		}
		var enter []string
		for a := i; a < decls && (a == i || i == states-1); a++ {
			enter = append(enter, fmt.Sprintf("act_%03d", a))
		}
		if len(enter) > 0 {
			fmt.Fprintf(&b, "    enter: [%s]\n", strings.Join(enter, ", "))
		}
		if i < decls {
			fmt.Fprintf(&b, "    timer: {after: wait_%03d, event: ev_%03d}\n", i, (i+1)%events)
		}
	}
	b.WriteString("events:\n")
	for i := range events {
		to, from := i%states, []string{}
		if chain {
			to, from = min(i+1, states-1), []string{fmt.Sprintf("S%03d", i%(states-1))}
		} else {
			for s := range states {
				if s != to {
					from = append(from, fmt.Sprintf("S%03d", s))
				}
			}
		}
		fmt.Fprintf(&b, "  - name: ev_%03d\n    doc: Event %d.\n    from: [%s]\n    to: S%03d\n", i, i, strings.Join(from, ", "), to)
		if i < decls {
			fmt.Fprintf(&b, "    guard: may_%03d\n", i)
		}
	}
	for _, kind := range []struct{ key, prefix string }{{"actions", "act"}, {"guards", "may"}, {"timers", "wait"}} {
		if decls > 0 {
			fmt.Fprintf(&b, "%s:\n", kind.key)
		}
		for i := range decls {
			fmt.Fprintf(&b, "  - {name: %s_%03d, doc: %s %d.}\n", kind.prefix, i, kind.prefix, i)
		}
	}
	return []byte(b.String())
}

// The largest spec the validator accepts (maxStates states, maxEvents events
// each from every state but its target: maxEdges transitions; maxDecls
// actions, guards and timers) generates a package that builds and vets.
func TestLargestSpecCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; skipped with -short")
	}
	spec := withVocabulary(sizedSpec(maxStates, maxEvents, maxDecls, false))
	parsed, err := parseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	edges := 0
	for _, e := range parsed.Events {
		edges += len(e.From)
	}
	// opened leaves S000 only, and the library's events are unguarded
	// (withVocabulary): maxStates-2 edges and 3 guards fewer.
	if len(parsed.States) != maxStates || len(parsed.Events) != maxEvents || edges != maxEdges-(maxStates-2) ||
		len(parsed.Actions) != maxDecls || len(parsed.Guards) != maxDecls-3 || len(parsed.Timers) != maxDecls {
		t.Fatalf("the spec is not the largest: %d states, %d events, %d transitions, %d actions, %d guards, %d timers",
			len(parsed.States), len(parsed.Events), edges, len(parsed.Actions), len(parsed.Guards), len(parsed.Timers))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "states.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-spec", filepath.Join(dir, "states.yaml"), "-out", filepath.Join(dir, "fsm")}, &stderr); code != 0 {
		t.Fatalf("gen exit %d:\n%s", code, stderr.String())
	}
	buildModule(t, dir, "build", "vet")
}

// withVocabulary renames a few names of a sizedSpec (not chained) to built-ins
// so that a Conn can run it: S000 dials (act_000 becomes dial), ev_001 is
// opened, ev_002 abort (its target S002 runs shutdown_tcp, for act_002) and
// ev_003 stop. Every event leaves every state but its target, so the
// vocabulary's needs are met.
func withVocabulary(spec []byte) []byte {
	for old, name := range map[string]string{
		"act_000": "dial", "act_002": "shutdown_tcp",
		"ev_001": "opened", "ev_002": "abort", "ev_003": "stop",
	} {
		spec = regexp.MustCompile(`\b`+old+`\b`).ReplaceAll(spec, []byte(name))
	}
	// The library's events take no guard of the spec's own.
	spec = regexp.MustCompile(`(?m)^(    guard: may_00[123]|  - \{name: may_00[123], doc: [^}]*\})\n`).ReplaceAll(spec, nil)
	// S001, where opened leads (from S000 only), starts the reader and
	// releases the Sends.
	spec = regexp.MustCompile(`(name: opened\n    doc: [^\n]*\n    from: )\[[^\]]*\]`).ReplaceAll(spec, []byte("${1}[S000]"))
	return bytes.Replace(spec, []byte("enter: [act_001]"), []byte("enter: [start_reader, release_sends, act_001]"), 1)
}

// consumerModule makes dir the module path that requires this one, replaced
// by the checkout, and the modules in requires ("path version"), with this
// module's go.sum; it returns the go command, and skips the test without one.
func consumerModule(t *testing.T, dir, path string, requires ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var req strings.Builder
	for _, r := range append(requires, "github.com/wsfsm/wsfsm v0.0.0") {
		req.WriteString("\t" + r + "\n")
	}
	gomod := "module " + path + "\n\ngo 1.26\n\nrequire (\n" + req.String() + ")\n\nreplace github.com/wsfsm/wsfsm => " + root + "\n"
	for name, b := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return goBin
}

// buildModule makes dir a module that requires this one and looplab/fsm
// (consumerModule), then runs each go command on ./... in it.
func buildModule(t *testing.T, dir string, commands ...string) {
	t.Helper()
	goBin := consumerModule(t, dir, "example.com/gen", "github.com/looplab/fsm v1.0.3")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, c := range commands {
		cmd := exec.CommandContext(ctx, goBin, c, "./...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			if len(out) > 4000 {
				out = append(out[:4000], "\n[...]"...)
			}
			t.Fatalf("go %s: %v\n%s", c, err, out)
		}
	}
}

// A spec one over any limit is refused, at the item that is one too many.
func TestLimitsRefused(t *testing.T) {
	// at is the line:col of needle's first byte in spec.
	at := func(spec []byte, after, needle string) string {
		i := bytes.Index(spec, []byte(after))
		j := bytes.Index(spec[max(i, 0):], []byte(needle))
		if i < 0 || j < 0 {
			t.Fatalf("%q then %q not in the spec", after, needle)
		}
		i += j
		line := 1 + bytes.Count(spec[:i], []byte("\n"))
		return fmt.Sprintf("%d:%d", line, i-bytes.LastIndexByte(spec[:i], '\n'))
	}
	// decls is a small valid spec with n declarations of kind (prefix),
	// all entered by its initial state if they are actions.
	decls := func(kind, prefix string, n int) []byte {
		var list, names []string
		for i := range n {
			list = append(list, fmt.Sprintf("  - {name: %s_%03d, doc: Number %d.}\n", prefix, i, i))
			names = append(names, fmt.Sprintf("%s_%03d", prefix, i))
		}
		spec := string(sizedSpec(2, 2, 0, true)) + kind + ":\n" + strings.Join(list, "")
		if kind == "actions" {
			spec = strings.Replace(spec, "initial: true\n", "initial: true\n    enter: ["+strings.Join(names, ", ")+"]\n", 1)
		}
		return []byte(spec)
	}
	largest := sizedSpec(maxStates, maxEvents, maxDecls, false)
	// One transition more: event 0 also leaves its own target.
	overEdges := bytes.Replace(largest, []byte("from: [S001,"), []byte("from: [S000, S001,"), 1)
	// The last event's last source state: the last state, or the one
	// before if that is the event's target.
	lastSource := fmt.Sprintf("S%03d", maxStates-1)
	if (maxEvents-1)%maxStates == maxStates-1 {
		lastSource = fmt.Sprintf("S%03d", maxStates-2)
	}
	overStates := sizedSpec(maxStates+1, maxStates, 0, true)
	overEvents := sizedSpec(2, maxEvents+1, 0, true)
	overActions, overGuards, overTimers := decls("actions", "act", maxDecls+1), decls("guards", "may", maxDecls+1), decls("timers", "wait", maxDecls+1)
	for name, c := range map[string]struct {
		spec []byte
		want string
	}{
		"states": {overStates, at(overStates, fmt.Sprintf("name: S%03d", maxStates), "S") +
			fmt.Sprintf(": too many states: %d, at most %d", maxStates+1, maxStates)},
		"events": {overEvents, at(overEvents, fmt.Sprintf("name: ev_%03d", maxEvents), "ev_") +
			fmt.Sprintf(": too many events: %d, at most %d", maxEvents+1, maxEvents)},
		"transitions": {overEdges, at(overEdges, fmt.Sprintf("name: ev_%03d", maxEvents-1), lastSource) +
			fmt.Sprintf(": too many transitions: event \"ev_%03d\" from %q makes %d, at most %d (one per event and state it leaves)", maxEvents-1, lastSource, maxEdges+1, maxEdges)},
		"actions": {overActions, at(overActions, fmt.Sprintf("{name: act_%03d", maxDecls), "act_") +
			fmt.Sprintf(": too many actions: %d, at most %d", maxDecls+1, maxDecls)},
		"guards": {overGuards, at(overGuards, fmt.Sprintf("{name: may_%03d", maxDecls), "may_") +
			fmt.Sprintf(": too many guards: %d, at most %d", maxDecls+1, maxDecls)},
		"timers": {overTimers, at(overTimers, fmt.Sprintf("{name: wait_%03d", maxDecls), "wait_") +
			fmt.Sprintf(": too many timers: %d, at most %d", maxDecls+1, maxDecls)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(c.spec, "spec.yaml", "fsm", true)
			var dl diagList
			if !errors.As(err, &dl) {
				t.Fatalf("render: %v, want diagnostics", err)
			}
			got := dl.Format("spec.yaml")
			if !strings.Contains(got, "spec.yaml:"+c.want+"\n") {
				if len(got) > 2000 {
					got = got[:2000] + "[...]\n"
				}
				t.Errorf("got\n%swant spec.yaml:%s", got, c.want)
			}
			// Guards and timers past the limit are also unused (each is used
			// by one event or one state); the other specs are otherwise valid.
			if name != "guards" && name != "timers" {
				if n := strings.Count(got, "\n"); n != 1 {
					t.Errorf("%d diagnostics, want only the limit's:\n%s", n, got)
				}
			}
		})
	}
}

// A spec over maxSpecBytes is refused after reading one byte more than the
// limit, not the whole file (a path to a huge file, or to /dev/zero).
func TestHugeSpecReadBounded(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "states.yaml")
	f, err := os.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Truncate(256<<20), f.Close()); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	var stderr bytes.Buffer
	runtime.GC()
	runtime.ReadMemStats(&before)
	code := run([]string{"-spec", spec, "-out", filepath.Join(t.TempDir(), "fsm")}, &stderr)
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("%s:1:1: spec is more than %d bytes\n", spec, maxSpecBytes)
	if code != 1 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8*maxSpecBytes {
		t.Errorf("allocated %d bytes for a %d-byte spec, want at most %d", got, 256<<20, 8*maxSpecBytes)
	}
}
