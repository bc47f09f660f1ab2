package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runCLI runs the command with args and returns its exit status, stdout and
// stderr.
func runCLI(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := runBench(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// bench checks its flags before it starts anything: bad usage is one
// line and exit 2, -h lists only the public flags.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{{"-nonsense"}, {"extra"}, {"-json"}} {
		code, stdout, stderr := runCLI(t, args)
		if code != exitUsage || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing", args, code, stdout)
		}
		if stderr == "" {
			t.Errorf("%q: no error message", args)
		}
	}
	code, _, stderr := runCLI(t, []string{"-h"})
	if code != exitOK {
		t.Errorf("bench -h: exit %d", code)
	}
	for _, f := range []string{"-quick", "-json", "-svg"} {
		if !strings.Contains(stderr, f) {
			t.Errorf("bench -h does not list %s:\n%s", f, stderr)
		}
	}
	for _, f := range []string{"serve-addr", "serve-busy", "conns-child", "conns-echo"} {
		if strings.Contains(stderr, f) {
			t.Errorf("bench -h lists the internal flag %s", f)
		}
	}
}

// The internal child modes refuse what they cannot do, with an error, not a
// panic: an unknown connection kind, a server address off loopback.
func TestBenchInternalModesRefuseBadInput(t *testing.T) {
	code, _, stderr := runCLI(t, []string{"-conns-child", "nonsense", "-conns-n", "1", "-conns-url", "ws://127.0.0.1:1/"})
	if code != exitFail || !strings.Contains(stderr, "unknown connection kind") {
		t.Errorf("unknown kind: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, []string{"-serve-addr", "0.0.0.0:0"})
	if code != exitFail || !strings.Contains(stderr, "127.0.0.1") {
		t.Errorf("non-loopback server: exit %d, stderr %q", code, stderr)
	}
}
