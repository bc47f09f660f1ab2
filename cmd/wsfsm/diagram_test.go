package main

import (
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/fsm"
)

func TestDiagramPrintsTheGeneratedDiagram(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diagram"}, fsm.Mermaid()},
		{[]string{"diagram", "--format", "mermaid"}, fsm.Mermaid()},
		{[]string{"diagram", "-format=dot"}, fsm.DOT()},
	} {
		code, stdout, stderr := runCLI(t, tc.args, nil, nil)
		if code != exitOK || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, stderr)
		}
		if stdout != tc.want {
			t.Errorf("%q: printed\n%s\nwant\n%s", tc.args, stdout, tc.want)
		}
	}
	// Every state of the machine is in the diagram.
	_, mermaid, _ := runCLI(t, []string{"diagram"}, nil, nil)
	for _, s := range fsm.States() {
		if !strings.Contains(mermaid, s.String()) {
			t.Errorf("state %s missing from the diagram", s)
		}
	}
}
