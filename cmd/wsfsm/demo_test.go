package main

import (
	"bytes"
	"regexp"
	"strings"
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

func TestDemoShowsEveryStateAndEndsClosed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(testContext(t), nil, strings.NewReader(""), &stdout, &stderr, nil); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
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
	if summary := lines[len(lines)-1]; !strings.HasPrefix(summary, "summary: 2 conns") || !strings.Contains(summary, "all 6 states") {
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
