package vocab

import (
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// decl is a built-in as TestDeclarations checks it.
type decl struct{ kind, name, doc string }

// declsOf checks that each built-in of xs is found again by named under its
// name, and returns them as decls of kind.
func declsOf[T interface {
	~uint8
	String() string
}](t *testing.T, kind string, xs []T, named func(string) T, doc func(T) string) []decl {
	t.Helper()
	var ds []decl
	for _, x := range xs {
		ds = append(ds, decl{kind, x.String(), doc(x)})
		if named(x.String()) != x {
			t.Errorf("%sNamed(%q) != %d", strings.ToUpper(kind[:1])+kind[1:], x, x)
		}
	}
	return ds
}

// Every built-in is declared: a snake_case name no other built-in of its
// kind has, found again by that name, and a one-line doc ending in a period.
func TestDeclarations(t *testing.T) {
	var all []decl
	all = append(all, declsOf(t, "action", Actions(), ActionNamed, func(a Action) string { return a.Info().Doc })...)
	all = append(all, declsOf(t, "guard", Guards(), GuardNamed, func(g Guard) string { return g.Info().Doc })...)
	all = append(all, declsOf(t, "timer", Timers(), TimerNamed, func(tm Timer) string { return tm.Info().Doc })...)
	all = append(all, declsOf(t, "event", Events(), EventNamed, func(e Event) string { return e.Info().Doc })...)
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
