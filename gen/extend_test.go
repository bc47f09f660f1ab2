package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A user's extension (a state, two events, an action, a guard and a timer)
// in a module of its own, outside this one, exactly as the README says: the
// generator added as a Go tool (go get -tool), run by go generate; the
// generated package builds and vets, and a program of the user's drives its
// Conn over a real socket through the new events' typed methods.
func TestExtensionInAModuleOfItsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; skipped with -short")
	}
	dir := t.TempDir()
	goBin := consumerModule(t, dir, "example.com/ext")
	spec, err := os.ReadFile("testdata/extended/extended.yaml")
	if err != nil {
		t.Fatal(err)
	}
	driver, err := os.ReadFile("testdata/extended/driver.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	doc := "// Package paused is generated from states.yaml.\npackage paused\n\n//go:generate go tool gen -spec states.yaml -out . -pkg paused\n"
	for name, b := range map[string][]byte{
		"main.go": driver, "paused/states.yaml": spec, "paused/doc.go": []byte(doc),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		// GOPROXY=off: this module is replaced by the checkout, which the
		// proxy does not have (it answers 403 for the nested path gen);
		// everything else comes from the module cache, which .ci/run fills.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	goCmd("get", "-tool", "github.com/wsfsm/wsfsm/gen")
	goCmd("generate", "./...")
	for _, f := range []string{"states.go", "conn.go", "states.mmd", "states.dot"} {
		if _, err := os.Stat(filepath.Join(dir, "paused", f)); err != nil {
			t.Errorf("go generate did not write paused/%s: %v", f, err)
		}
	}
	goCmd("build", "./...")
	goCmd("vet", "./...")
	out := goCmd("run", ".")
	if !strings.HasPrefix(out, "ok 7 states 9 events") {
		t.Errorf("driver said %q", out)
	}
}
