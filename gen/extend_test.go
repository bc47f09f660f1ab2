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

// A user's extended spec (one more state, two more events, one more action
// and guard) generates a package that builds and vets in a module of its own
// pointing back at this one, and a program drives the new events through
// their typed methods.
func TestExtendedSpecCompilesAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-spec", "testdata/extended/extended.yaml", "-out", filepath.Join(dir, "fsm"), "-pkg", "fsm"}, &stderr); code != 0 {
		t.Fatalf("gen exit %d: %s", code, stderr.String())
	}
	driver, err := os.ReadFile("testdata/extended/driver.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/ext\n\ngo 1.26\n\nrequire (\n\tgithub.com/looplab/fsm v1.0.3\n\tgithub.com/wsfsm/wsfsm v0.0.0\n)\n\nreplace github.com/wsfsm/wsfsm => " + root + "\n"
	for name, b := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": driver} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("build", "./...")
	goCmd("vet", "./...")
	out := goCmd("run", ".")
	if !strings.HasPrefix(out, "ok 7 states 9 events") {
		t.Errorf("driver said %q", out)
	}
}
