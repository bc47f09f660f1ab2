package interop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// launchOrSkip launches a peer from dir directly, skipping (or failing under
// CI=true) like Start when it is not installed.
func launchOrSkip(t *testing.T, name, dir string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	p, err := launch(ctx, name, dir)
	if errors.Is(err, ErrPeerMissing) && os.Getenv("CI") != "true" {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatalf("launch %s: %v", name, err)
	}
	t.Cleanup(func() { p.stop() })
	return p
}

func mustPeersDir(t *testing.T) string {
	t.Helper()
	dir, err := peersDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Closing stdin is how a test that dies takes its peers with it: each peer
// must exit by itself, cleanly, without being killed.
func TestPeerExitsWhenStdinCloses(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := launchOrSkip(t, name, mustPeersDir(t))
			if err := p.stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if st := p.cmd.ProcessState; !st.Exited() || st.ExitCode() != 0 {
				t.Fatalf("peer ended with %v; want exit status 0", st)
			}
		})
	}
}

func TestPeerExitsOnSIGTERM(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := launchOrSkip(t, name, mustPeersDir(t))
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatalf("SIGTERM: %v", err)
			}
			select {
			case <-p.exited:
			case <-t.Context().Done():
				t.Fatal("test ended before the peer exited")
			}
			if p.waitErr != nil {
				t.Fatalf("peer after SIGTERM: %v; want exit status 0", p.waitErr)
			}
		})
	}
}

// withoutLibrary copies the peer script (with node's loader of ws) from src
// into a directory of its own where its WebSocket library cannot be loaded,
// and returns that directory.
func withoutLibrary(t *testing.T, src, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	files := []string{script}
	if name == "node" {
		files = append(files, "load_ws.js") // the scripts' loader of ws
	}
	for _, f := range files {
		code, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), code, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if name == "python" {
		// The script's directory comes first on sys.path: shadow the package.
		shadow := []byte("raise ImportError('hidden by the test')\n")
		if err := os.WriteFile(filepath.Join(dir, "websockets.py"), shadow, 0o644); err != nil {
			t.Fatal(err)
		}
	} // node: no node_modules next to the copy, so require('ws') fails.
	return dir
}

// A peer whose WebSocket library cannot be loaded reports ErrPeerMissing,
// which Start turns into a skip, or a failure under CI=true.
func TestMissingLibraryIsErrPeerMissing(t *testing.T) {
	src := mustPeersDir(t)
	for name, script := range map[string]string{"python": "server.py", "node": "server.js"} {
		t.Run(name, func(t *testing.T) {
			dir := withoutLibrary(t, src, name, script)
			ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
			defer cancel()
			p, err := launch(ctx, name, dir)
			if err == nil {
				p.stop()
				t.Fatal("launch succeeded without the library; want ErrPeerMissing")
			}
			if !errors.Is(err, ErrPeerMissing) {
				t.Fatalf("launch = %v; want ErrPeerMissing", err)
			}
		})
	}
}

// So does a client whose library cannot be loaded.
func TestMissingClientLibraryIsErrPeerMissing(t *testing.T) {
	src := mustPeersDir(t)
	for name, script := range map[string]string{"python": "client.py", "node": "client.js"} {
		t.Run(name, func(t *testing.T) {
			dir := withoutLibrary(t, src, name, script)
			_, err := runClient(dir, name, "ws://127.0.0.1:1/")
			if !errors.Is(err, ErrPeerMissing) {
				t.Fatalf("runClient = %v; want ErrPeerMissing", err)
			}
		})
	}
}

func TestUnknownPeer(t *testing.T) {
	_, err := launch(t.Context(), "ruby", mustPeersDir(t))
	if !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("launch(ruby) = %v; want ErrUnknownPeer", err)
	}
}
