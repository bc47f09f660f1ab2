package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/wstest"
)

// readmeSection returns the README's section that starts with heading, up to
// the next "## " heading.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// The README's section on the command documents every flag, exit status,
// JSON key, serve flag, path and query option the command has.
func TestReadmeDocumentsTheCommand(t *testing.T) {
	section := readmeSection(t, "## The command")
	var cfg clientConfig
	for _, h := range newClientFlags(&cfg).help {
		for _, name := range dashed(append(h.names, h.aliases...)) {
			if !strings.Contains(section, "`"+name) && !strings.Contains(section, " "+name+"`") {
				t.Errorf("README's command section lacks the flag %s", name)
			}
		}
	}
	var scfg serveConfig
	for _, h := range newServeFlags(&scfg).help {
		for _, name := range dashed(h.names) {
			if !strings.Contains(section, name) {
				t.Errorf("README's command section lacks the serve flag %s", name)
			}
		}
	}
	for _, e := range exitCodes {
		if row := fmt.Sprintf("| %d | %s |", e.code, e.meaning); !strings.Contains(section, row) {
			t.Errorf("README's exit status table lacks %q", row)
		}
	}
	for typ, keys := range jsonKeyOrders {
		for _, k := range strings.Fields(keys.required + " " + keys.optional) {
			if !strings.Contains(section, "`"+k+"`") {
				t.Errorf("README's JSON schema lacks the key %q (of %s lines)", k, typ)
			}
		}
	}
	for _, p := range wstest.Paths() {
		if !strings.Contains(section, "| `"+p.Pattern+"` |") {
			t.Errorf("README's path table lacks %s", p.Pattern)
		}
		for _, q := range p.Query {
			if !strings.Contains(section, "`?"+q.Name+"=") {
				t.Errorf("README's path table lacks %s's option ?%s=", p.Pattern, q.Name)
			}
		}
	}
}

// The install section comes right after the quick start and gives the
// commands for the library, the command and the generator as a Go tool.
func TestReadmeInstallSection(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, afterQuick, _ := strings.Cut(string(readme), "\n## Quick start\n")
	if _, next, _ := strings.Cut(afterQuick, "\n## "); !strings.HasPrefix(next, "Install\n") {
		t.Errorf(`the section after "## Quick start" is %q, want "## Install"`, strings.SplitN(next, "\n", 2)[0])
	}
	install := readmeSection(t, "## Install")
	for _, want := range []string{
		"go get github.com/wsfsm/wsfsm",
		"go install github.com/wsfsm/wsfsm/cmd/wsfsm@latest",
		"go get -tool github.com/wsfsm/wsfsm/gen",
		"//go:generate go tool gen -spec states.yaml -out ",
	} {
		if !strings.Contains(install, want) {
			t.Errorf("the install section lacks %q", want)
		}
	}
}
