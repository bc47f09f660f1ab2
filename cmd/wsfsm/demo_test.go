package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wsfsm/wsfsm/fsm"
)

// transitionLine matches a line of formatTransition: time, from, to, event,
// attempt, delay, cause.
var transitionLine = regexp.MustCompile(`^ +\d+\.\d{3}s  (\w+) +-> (\w+) +(\w+) +(\d+)  (\S+) +(.*)$`)

type shownTransition struct{ from, to, event, delay, cause string }

func parseTransitions(t *testing.T, out string) []shownTransition {
	t.Helper()
	var ts []shownTransition
	for _, line := range strings.Split(out, "\n") {
		if m := transitionLine.FindStringSubmatch(line); m != nil {
			ts = append(ts, shownTransition{from: m[1], to: m[2], event: m[3], delay: m[5], cause: m[6]})
		}
	}
	return ts
}

// demoRun runs the demo once for every test that looks at its output.
var demoRun = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, nil, strings.NewReader(""), &stdout, &stderr, nil); code != exitOK {
		return "", fmt.Errorf("exit %d, want 0; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
})

func demoOutput(t *testing.T) string {
	t.Helper()
	out, err := demoRun()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoShowsEveryStateAndEndsClosed(t *testing.T) {
	out := demoOutput(t)
	ts := parseTransitions(t, out)
	if len(ts) == 0 {
		t.Fatalf("no transition lines in:\n%s", out)
	}
	seen := map[string]bool{}
	for _, tr := range ts {
		seen[tr.from], seen[tr.to] = true, true
	}
	for _, s := range fsm.States() {
		if !seen[s.String()] {
			t.Errorf("state %s never shown; output:\n%s", s, out)
		}
	}
	if last := ts[len(ts)-1]; last.to != "Closed" {
		t.Errorf("last transition %+v, want one into Closed", last)
	}

	// Each step of the story shows up as the transitions it should cause.
	want := []struct {
		what string
		ok   func(shownTransition) bool
	}{
		{"a dropped connection retried after a backoff", func(tr shownTransition) bool {
			return tr.to == "Reconnecting" && strings.Contains(tr.cause, "1006")
		}},
		{"Reconnect redialing with zero delay", func(tr shownTransition) bool {
			return tr.to == "Reconnecting" && tr.delay == "0s" && strings.Contains(tr.cause, "reconnect requested")
		}},
		{"a graceful close completing", func(tr shownTransition) bool {
			return tr.from == "Closing" && tr.to == "Closed" && tr.event == "closed"
		}},
		{"an unanswered close aborted", func(tr shownTransition) bool {
			return tr.from == "Closing" && tr.to == "Aborted" && strings.Contains(tr.cause, "close frame in time")
		}},
	}
	for _, w := range want {
		found := false
		for _, tr := range ts {
			found = found || w.ok(tr)
		}
		if !found {
			t.Errorf("no transition shows %s; output:\n%s", w.what, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if summary := lines[len(lines)-1]; !strings.HasPrefix(summary, "summary: 2 Conns (one per wsfsm.Dial), 4 dials (each a new TCP connection), 4 opened") || !strings.Contains(summary, "all 6 states") {
		t.Errorf("last line %q, want the summary", summary)
	}
	if !strings.Contains(out, "CloseTimeout is 1s") {
		t.Errorf("the demo does not say its CloseTimeout:\n%s", out)
	}
}

func TestDemoRejectsArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(testContext(t), []string{"demo", "extra"}, nil, &stdout, &stderr, nil); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if n := strings.Count(stderr.String(), "\n"); n != 1 || !strings.Contains(stderr.String(), `"extra"`) {
		t.Errorf("stderr %q, want one line naming the argument", stderr.String())
	}
}

// The demo output in the README comes from a real run, and a run today still
// takes the same transitions in the same order and ends with the same counts
// (times, ports and backoff delays vary).
func TestReadmeDemoOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- BEGIN demo output -->\n")
	block, _, ok2 := strings.Cut(block, "<!-- END demo output -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no demo output between <!-- BEGIN demo output --> and <!-- END demo output -->")
	}
	steps := func(out string) (s []string) {
		for _, tr := range parseTransitions(t, out) {
			s = append(s, fmt.Sprintf("%s -> %s (%s)", tr.from, tr.to, tr.event))
		}
		return s
	}
	summary := regexp.MustCompile(`(?m)^summary: (.*), [0-9.]+s$`)
	out := demoOutput(t)
	if got, want := steps(out), steps(block); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the demo takes other transitions than README.md shows: paste a new run.\nrun:\n%s\nREADME:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got, want := summary.FindStringSubmatch(out), summary.FindStringSubmatch(block)
	if got == nil || want == nil || got[1] != want[1] {
		t.Errorf("summary of the run %q, of README.md %q: paste a new run", got, want)
	}
}
