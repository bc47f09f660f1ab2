package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every spec under testdata/invalid is refused with compiler-style
// diagnostics (golden in NAME.golden), a non-zero exit and no output at all.
func TestInvalidSpecs(t *testing.T) {
	specs, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no invalid specs: %v", err)
	}
	for _, spec := range specs {
		name := strings.TrimSuffix(filepath.Base(spec), ".yaml")
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			readme := filepath.Join(out, "README.md")
			readmeText := []byte("# x\n" + beginMarker + "\n" + endMarker + "\n")
			if err := os.WriteFile(readme, readmeText, 0o644); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			code := run([]string{"-spec", spec, "-out", filepath.Join(out, "pkg"), "-readme", readme}, &stderr)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if _, err := os.Stat(filepath.Join(out, "pkg")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output directory was created for an invalid spec (stat: %v)", err)
			}
			if b, _ := os.ReadFile(readme); !bytes.Equal(b, readmeText) {
				t.Errorf("README was rewritten for an invalid spec")
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if !strings.HasPrefix(line, spec+":") {
					t.Errorf("diagnostic %q does not start with %q", line, spec+":")
				}
			}
			// The golden file names the spec by its base name.
			got := strings.ReplaceAll(stderr.String(), spec, filepath.Base(spec))
			checkGolden(t, strings.TrimSuffix(spec, ".yaml")+".golden", []byte(got))
		})
	}
}

// Problems are reported all at once: those of the model, and those of the
// file's shape (unknown and repeated keys, wrong types).
func TestAllProblemsAtOnce(t *testing.T) {
	for spec, atLeast := range map[string]int{"hostile_names.yaml": 5, "shape_errors.yaml": 8} {
		data, err := os.ReadFile(filepath.Join("testdata/invalid", spec))
		if err != nil {
			t.Fatal(err)
		}
		_, err = render(data, spec, "fsm", true)
		var dl diagList
		if !errors.As(err, &dl) {
			t.Fatalf("%s: render: %v, want a diagList", spec, err)
		}
		lines := strings.Split(strings.TrimSpace(dl.Format(spec)), "\n")
		if len(lines) < atLeast {
			t.Errorf("%s: got %d diagnostics, want every problem (at least %d):\n%s", spec, len(lines), atLeast, strings.Join(lines, "\n"))
		}
	}
}

func TestReadmeMarkers(t *testing.T) {
	mmd := []byte("stateDiagram-v2\n    [*] --> A\n")
	got, err := rewriteReadme([]byte("intro\n"+beginMarker+"\nold\n"+endMarker+"\noutro\n"), mmd)
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n" + beginMarker + "\n```mermaid\nstateDiagram-v2\n    [*] --> A\n```\n" + endMarker + "\noutro\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"no markers\n", endMarker + "\n" + beginMarker + "\n", beginMarker + beginMarker + endMarker} {
		if _, err := rewriteReadme([]byte(bad), mmd); !errors.Is(err, ErrNoMarkers) {
			t.Errorf("README %q: err %v, want ErrNoMarkers", bad, err)
		}
	}
}

// A README without markers is a clear error, and nothing is written.
func TestReadmeWithoutMarkersWritesNothing(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := run([]string{"-spec", "../vocab/states.yaml", "-out", filepath.Join(dir, "fsm"), "-readme", readme}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "diagram markers not found") {
		t.Errorf("exit %d, stderr %q; want 1 and a markers error", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "fsm")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output written despite the README error")
	}
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(nil, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: gen -spec FILE") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	for _, pkg := range []string{"func", "_", "main", "", "a-b", "1x"} {
		stderr.Reset()
		out := t.TempDir()
		if code := run([]string{"-spec", "../vocab/states.yaml", "-out", out, "-pkg", pkg}, &stderr); code != 1 || !strings.Contains(stderr.String(), "-pkg") {
			t.Errorf("-pkg %q: exit %d, stderr %q; want 1 and a -pkg error", pkg, code, stderr.String())
		}
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			t.Errorf("-pkg %q: %d files written", pkg, len(entries))
		}
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"start_io": "StartIO", "shutdown_tcp": "ShutdownTCP", "closeTimeout": "CloseTimeout",
		"close_timeout": "CloseTimeout", "backoff": "Backoff", "retry_2": "Retry2", "Open": "Open",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}
