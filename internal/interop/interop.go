package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Peer is a running WebSocket server written in another language.
type Peer struct {
	// Name is the name given to Start: "python" or "node".
	Name string
	// BaseURL is ws://127.0.0.1:PORT with no path; append a route such as
	// "/echo" or "/close/1012".
	BaseURL string
}

// ErrUnknownPeer is returned for a name that is not in Names.
var ErrUnknownPeer = errors.New("interop: unknown peer")

// ErrPeerMissing is returned when a peer's runtime or library is not
// installed; the message says what to install.
var ErrPeerMissing = errors.New("interop: peer not installed")

const (
	// startTimeout bounds the wait for the LISTENING line: interpreters on a
	// loaded CI machine start in well under a second, ten is a safety net.
	startTimeout = 10 * time.Second
	// stopTimeout bounds the wait for a peer to exit once its stdin is
	// closed before it is killed.
	stopTimeout = 5 * time.Second
	// exitMissingLibrary is the status both peers exit with when their
	// WebSocket library cannot be loaded.
	exitMissingLibrary = 3
	// installScript is what the skip message tells people to run.
	installScript = "bash internal/interop/peers/install.sh"
)

// Names lists the peers Start knows, in a fixed order.
func Names() []string { return []string{"python", "node"} }

// CloseReason is the reason both peers send with the close frame on
// /close/CODE.
func CloseReason(code int) string { return fmt.Sprintf("wsfsm interop: close %d", code) }

// Start launches the named peer ("python" or "node") and stops it in
// t.Cleanup: it closes the peer's stdin, waits up to five seconds for it to
// exit, then kills it. Startup is bounded by ten seconds. When the runtime or
// the WebSocket library is missing, Start skips the test with a message naming
// what to install, or fails it when the environment variable CI is "true".
func Start(t testing.TB, name string) Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	dir, err := peersDir()
	if err != nil {
		t.Fatalf("%v", err)
	}
	p, err := launch(ctx, name, dir)
	stopUnless(t, err)
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			if out := p.stderr.String(); out != "" {
				t.Logf("%s peer stderr:\n%s", name, out)
			}
		}
	})
	return p.peer
}

// EachPeer runs f in a subtest per peer of Names, named after it, with that
// peer started for the subtest by Start (so a missing peer skips or fails
// that subtest as Start says).
func EachPeer(t *testing.T, f func(t *testing.T, peer Peer)) {
	t.Helper()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) { f(t, Start(t, name)) })
	}
}

// command returns how to run the named peer's script ("server" or "client")
// with args, or ErrPeerMissing when its runtime is not installed.
func command(name, dir, script string, args ...string) (*exec.Cmd, error) {
	switch name {
	case "python":
		// Debian's interpreter, not whatever python3 is first on PATH:
		// python3-websockets installs into /usr/lib/python3/dist-packages.
		const python = "/usr/bin/python3"
		if _, err := exec.LookPath(python); err != nil {
			return nil, fmt.Errorf("%w: python peer needs %s (apt-get install -y python3 python3-websockets, or %s): %v",
				ErrPeerMissing, python, installScript, err)
		}
		return exec.Command(python, append([]string{filepath.Join(dir, script+".py")}, args...)...), nil
	case "node":
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("%w: node peer needs node on PATH (apt-get install -y nodejs npm, then %s): %v",
				ErrPeerMissing, installScript, err)
		}
		return exec.Command(node, append([]string{filepath.Join(dir, script+".js")}, args...)...), nil
	default:
		return nil, fmt.Errorf("%w: %q (known: %v)", ErrUnknownPeer, name, Names())
	}
}

// stopUnless ends the test when err is not nil: a missing peer skips it, or
// fails it when the environment variable CI is "true"; any other error fails
// it.
func stopUnless(t testing.TB, err error) {
	t.Helper()
	switch {
	case errors.Is(err, ErrPeerMissing) && os.Getenv("CI") == "true":
		t.Fatalf("%v (CI=true: a missing peer is a failure; run %s)", err, installScript)
	case errors.Is(err, ErrPeerMissing):
		t.Skipf("%v", err)
	case err != nil:
		t.Fatalf("%v", err)
	}
}

// missingHint says how to install a peer's WebSocket library.
func missingHint(name string) string {
	if name == "python" {
		return "apt-get install -y python3-websockets, or " + installScript
	}
	return "npm ci --prefix internal/interop/peers, or " + installScript
}

// peersDir finds the directory holding server.py and server.js: next to this
// source file, or, when built with -trimpath, under the module root above the
// working directory.
func peersDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "peers")
		if isFile(filepath.Join(dir, "server.py")) {
			return dir, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("interop: locating peers: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "internal", "interop", "peers")
		if isFile(filepath.Join(candidate, "server.py")) {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("interop: no internal/interop/peers/server.py above %s", wd)
		}
	}
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
