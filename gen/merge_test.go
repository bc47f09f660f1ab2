package main

import (
	"strings"
	"testing"
)

// An extending spec changes what it names again: to, timer and then
// replace the reference's; from, enter and exit add to them; new states and
// events come after the reference's; the reference's docs stay unless
// restated.
func TestExtendsMerges(t *testing.T) {
	spec := `extends: reference
states:
  - name: Open
    enter: [note_open]
    exit: [note_left]
  - name: Closing
    timer: {after: linger, event: abort}
  - name: Idle
    doc: Added.
events:
  - {name: redial, to: Idle}
  - {name: abort, from: [Connecting]}
  - {name: wake, doc: Added., from: [Idle], to: Connecting}
  - {name: stop, from: [Idle]}
actions:
  - {name: note_open, doc: Note it.}
  - {name: note_left, doc: Note it.}
timers:
  - {name: linger, doc: Linger.}
`
	s, err := loadSpec([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	m, dl := validate(s)
	if dl != nil {
		t.Fatalf("refused:\n%s", dl.Format("spec.yaml"))
	}
	state := map[string]*mState{}
	var order []string
	for _, st := range m.States {
		state[st.Name] = st
		order = append(order, st.Name)
	}
	if got := strings.Join(order, " "); got != "Connecting Open Closing Aborted Reconnecting Closed Idle" {
		t.Errorf("states %s", got)
	}
	if got := actionNames(state["Open"].Enter); got != "start_reader, release_sends, note_open" {
		t.Errorf("Open enters %s", got)
	}
	if got := actionNames(state["Open"].Exit); got != "note_left" {
		t.Errorf("Open exits %s", got)
	}
	if got := state["Closing"].Timer.Decl.Name; got != "linger" {
		t.Errorf("Closing's timer %s, want linger", got)
	}
	if state["Open"].Doc != "The WebSocket is up; messages flow and pings watch the peer." {
		t.Errorf("Open's doc %q, want the reference's", state["Open"].Doc)
	}
	for _, e := range m.Events {
		switch e.Name {
		case "redial":
			if e.To.Name != "Idle" {
				t.Errorf("redial leads to %s, want Idle", e.To.Name)
			}
		case "abort":
			if got := movesOf(e); got != "Connecting, Open or Closing to Aborted" {
				t.Errorf("abort moves %s", got)
			}
		case "stop":
			if got := movesOf(e); got != "Aborted, Reconnecting or Idle to Closed" {
				t.Errorf("stop moves %s", got)
			}
		}
	}
}

// A name repeated within the extending spec is reported, not merged twice;
// extends names only the reference.
func TestExtendsRefusesDuplicates(t *testing.T) {
	spec := `extends: reference
states:
  - {name: Idle, doc: Added., enter: [shutdown_tcp]}
  - {name: Idle, doc: Again.}
  - {name: Open, doc: Changed.}
  - {name: Open, doc: Changed twice.}
`
	_, err := render([]byte(spec), "spec.yaml", "fsm", true)
	got := formatErr(err)
	for _, want := range []string{`states.yaml:4:12: duplicate state "Idle"`, `states.yaml:6:12: duplicate state "Open"`} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
}
