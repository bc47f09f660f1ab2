package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/wstest"
)

// TestBinary builds the real command and runs it as a subprocess: the echo
// through stdin and stdout, a real SIGINT closing gracefully, and the exit
// status of bad usage.
func TestBinary(t *testing.T) {
	ctx := testContext(t)
	bin := filepath.Join(t.TempDir(), "wsfsm")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := wstest.NewServer()
	defer srv.Close()

	t.Run("echo then SIGINT", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, "--json", srv.URL("/echo"))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(stdin, "over the wire\n"); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var transitions []string
		echoed := false
		for sc.Scan() {
			var l jsonLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if l.Type == "transition" {
				transitions = append(transitions, l.To)
			}
			if l.Type == "message" && l.Data == "over the wire" {
				echoed = true
				// Echoed: the main loop runs. Now a real Ctrl-C.
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
		}
		if got, want := strings.Join(transitions, " "), "Open Closing Closed"; !echoed || got != want {
			t.Errorf("echoed %v, transitions into %q; want the echo and %q", echoed, got, want)
		}
	})

	t.Run("bad URL", func(t *testing.T) {
		out, err := exec.CommandContext(ctx, bin, "http://x").CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
			t.Fatalf("err %v, want exit status 2", err)
		}
		if got := string(out); !strings.HasPrefix(got, `wsfsm: bad URL "http://x": scheme must be ws or wss`) || strings.Count(got, "\n") != 1 {
			t.Errorf("output %q, want one line naming the URL", got)
		}
	})
}
