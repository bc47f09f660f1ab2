package vocab

import (
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// Every built-in is declared: a snake_case name no other built-in of its
// kind has, found again by that name, and a one-line doc ending in a period.
func TestDeclarations(t *testing.T) {
	type decl struct{ kind, name, doc string }
	var all []decl
	for _, a := range Actions() {
		all = append(all, decl{"action", a.String(), a.Info().Doc})
		if ActionNamed(a.String()) != a {
			t.Errorf("ActionNamed(%q) != %d", a, a)
		}
	}
	for _, g := range Guards() {
		all = append(all, decl{"guard", g.String(), g.Info().Doc})
		if GuardNamed(g.String()) != g {
			t.Errorf("GuardNamed(%q) != %d", g, g)
		}
	}
	for _, tm := range Timers() {
		all = append(all, decl{"timer", tm.String(), tm.Info().Doc})
		if TimerNamed(tm.String()) != tm {
			t.Errorf("TimerNamed(%q) != %d", tm, tm)
		}
	}
	for _, e := range Events() {
		all = append(all, decl{"event", e.String(), e.Info().Doc})
		if EventNamed(e.String()) != e {
			t.Errorf("EventNamed(%q) != %d", e, e)
		}
	}
	seen := map[string]bool{}
	for _, d := range all {
		if !snake.MatchString(d.name) || seen[d.kind+d.name] {
			t.Errorf("%s %q: not a unique snake_case name", d.kind, d.name)
		}
		seen[d.kind+d.name] = true
		if d.doc == "" || strings.ContainsAny(d.doc, "\n\r") || !strings.HasSuffix(d.doc, ".") {
			t.Errorf("%s %s: doc %q is not one sentence on one line", d.kind, d.name, d.doc)
		}
	}
	if NoAction.String() != "Action(0)" || Action(NumActions).Info().Name != "" {
		t.Errorf("NoAction is %q; out of range Info is %+v", NoAction, Action(NumActions).Info())
	}
}

// Each action's timer rule names an action, and the actions that fire
// events fire only the library's.
func TestRules(t *testing.T) {
	for _, tm := range Timers() {
		if after := tm.Info().After; after != NoAction && after.Info().Name == "" {
			t.Errorf("timer %s: After %d is not an action", tm, after)
		}
	}
	for _, a := range Actions() {
		for _, e := range a.Info().Fires {
			if e == NoEvent || e.Info().Name == "" {
				t.Errorf("action %s fires %d, not a library event", a, e)
			}
		}
	}
	if len(Reference()) == 0 {
		t.Error("the reference machine is empty")
	}
}
