package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/wstest"
)

// buildTimeout bounds building the command in TestBinary.
const buildTimeout = 5 * time.Minute

// TestBinary builds the real command and runs it as a subprocess: the echo
// through stdin and stdout, a real SIGINT closing gracefully, and the exit
// status of bad usage.
func TestBinary(t *testing.T) {
	// A cold build on a loaded machine takes longer than a test's safety
	// net; it gets a bound of its own.
	bctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "wsfsm")
	build := exec.CommandContext(bctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := testContext(t)
	srv := wstest.NewServer()
	defer srv.Close()

	t.Run("piped lines, then exit 0", func(t *testing.T) {
		var in strings.Builder
		for i := range 20 {
			fmt.Fprintf(&in, "line %d\n", i)
		}
		cmd := exec.CommandContext(ctx, bin, srv.URL("/echo"))
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil || string(out) != in.String() {
			t.Errorf("err %v, stdout %q; want every line back and exit 0", err, out)
		}
	})

	t.Run("refused dial exits 3", func(t *testing.T) {
		out, err := exec.CommandContext(ctx, bin, srv.URL("/reject/403")).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitNoConnection || strings.Count(string(out), "\n") != 1 {
			t.Errorf("err %v, output %q; want exit status 3 and one line", err, out)
		}
	})

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
