package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ClientReport is what a peer's client (peers/client.py, peers/client.js)
// prints once its run is over.
type ClientReport struct {
	// Opened says whether the opening handshake completed.
	Opened bool `json:"opened"`
	// Subprotocol is the subprotocol the server selected, or nil.
	Subprotocol *string `json:"subprotocol"`
	// Messages are the messages received, in order.
	Messages []ClientMessage `json:"messages"`
	// Close is the close frames sent and received; nil if the connection
	// never opened.
	Close *ClientClose `json:"close"`
	// Error is why the connection failed or was failed, or nil.
	Error *string `json:"error"`
	// HTTPStatus and RetryAfter describe a refused upgrade.
	HTTPStatus int     `json:"http_status"`
	RetryAfter *string `json:"retry_after"`
}

// ClientMessage is one message a peer's client received.
type ClientMessage struct {
	// Type is "text" or "binary".
	Type string `json:"type"`
	// Size is the length in bytes and SHA256 the hex digest of the payload.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// Data is the text, or the base64 of binary data; nil above 4096 bytes.
	Data *string `json:"data"`
}

// ClientClose is the close frames a peer's client sent and received; a nil
// code means no such frame.
type ClientClose struct {
	Sent           *int   `json:"sent"`
	SentReason     string `json:"sent_reason"`
	Received       *int   `json:"received"`
	ReceivedReason string `json:"received_reason"`
}

// clientTimeout bounds a client run beyond its own --timeout (10 s unless
// told): a safety net if the interpreter itself hangs.
const clientTimeout = 30 * time.Second

// RunClient runs the named peer's client ("python" or "node") with args, the
// URL first (see peers/client.py for the flags), and returns its report. A
// missing runtime or library skips the test, or fails it under CI=true, as
// Start does.
func RunClient(t testing.TB, name string, args ...string) ClientReport {
	t.Helper()
	dir, err := peersDir()
	if err != nil {
		t.Fatalf("%v", err)
	}
	r, err := runClient(dir, name, args...)
	stopUnless(t, err)
	return r
}

// runClient runs the client script of the named peer from dir and decodes
// its report; ErrPeerMissing when its runtime or library is missing.
func runClient(dir, name string, args ...string) (ClientReport, error) {
	cmd, err := command(name, dir, "client", args...)
	if err != nil {
		return ClientReport{}, err
	}
	var stdout, stderr bytes.Buffer
	err = runBounded(cmd, dir, &stdout, &stderr)
	switch {
	case cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitMissingLibrary:
		return ClientReport{}, fmt.Errorf("%w: %s client cannot load its WebSocket library (%s): %s",
			ErrPeerMissing, name, missingHint(name), strings.TrimSpace(stderr.String()))
	case err != nil:
		return ClientReport{}, fmt.Errorf("interop: %s client %q: %w; stderr: %s", name, args, err, stderr.String())
	}
	var r ClientReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return ClientReport{}, fmt.Errorf("interop: %s client %q: report %q: %w; stderr: %s", name, args, stdout.String(), err, stderr.String())
	}
	return r, nil
}

// runBounded runs cmd in dir, killing it after clientTimeout.
func runBounded(cmd *exec.Cmd, dir string, stdout, stderr io.Writer) error {
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	cmd.WaitDelay = time.Second // bounds Wait if a grandchild holds the pipes
	if err := cmd.Start(); err != nil {
		return err
	}
	kill := time.AfterFunc(clientTimeout, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	return cmd.Wait()
}
