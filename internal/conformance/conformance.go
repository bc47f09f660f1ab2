package conformance

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/interop"
	"github.com/wsfsm/wsfsm/retry"
)

// ReadLimit is the largest message the echo clients accept: above the
// largest case (16 MiB, 9.1.6 in the full profile).
const ReadLimit = 64 << 20

// WsfsmEcho is wsfsm's echo client on its public API: one Conn per case,
// which never reconnects (a case is one connection), offers
// permessage-deflate, sends no keepalive pings of its own, and echoes every
// message with its type until the connection ends; then it closes.
func WsfsmEcho(ctx context.Context, url string) error {
	c, err := wsfsm.Dial(ctx, url, &wsfsm.Options{
		Classify:             func(error) wsfsm.Verdict { return retry.Stop },
		PingInterval:         -1,
		EnableCompression:    true,
		CompressionThreshold: -1, // the fuzzer expects every echo compressed back the same
		ReadLimit:            ReadLimit,
		CloseTimeout:         2 * time.Second,
	})
	if err != nil {
		return err
	}
	var echoErr error
	for m, err := range c.Messages(ctx) {
		if err != nil {
			echoErr = err
			break
		}
		if err := c.Send(ctx, m.Type, m.Data); err != nil {
			echoErr = err
			break
		}
	}
	cerr := c.Close(context.WithoutCancel(ctx))
	if errors.Is(cerr, wsfsm.ErrClosed) {
		cerr = nil
	}
	return errors.Join(echoErr, cerr)
}

// Peers are the clients of other projects that RunPeer runs: Python
// websockets and Node ws.
var Peers = []string{"python", "node"}

// RunPeer runs the named peer's Autobahn harness (peers/autobahn_client.py
// or .js of package interop) against the fuzzing server at base
// ("ws://HOST:PORT") under the name agent: every case (only those numbered
// in cases, when given), then /updateReports. Its output is returned with
// the error when it fails; the error matches interop.ErrPeerMissing when the
// peer's runtime or library is not installed.
func RunPeer(ctx context.Context, peer, base, agent string, cases ...int) error {
	dir, err := peersDir()
	if err != nil {
		return err
	}
	args := []string{base, agent}
	if len(cases) > 0 {
		nums := make([]string, len(cases))
		for i, n := range cases {
			nums[i] = strconv.Itoa(n)
		}
		args = append(args, strings.Join(nums, ","))
	}
	var cmd *exec.Cmd
	switch peer {
	case "python":
		cmd = exec.CommandContext(ctx, "/usr/bin/python3", append([]string{filepath.Join(dir, "autobahn_client.py")}, args...)...)
	case "node":
		cmd = exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "autobahn_client.js")}, args...)...)
	default:
		return fmt.Errorf("conformance: unknown peer %q (python or node)", peer)
	}
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	switch {
	case errors.Is(err, exec.ErrNotFound), cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitMissingLibrary:
		return fmt.Errorf("%w: %s harness: %v\n%s", interop.ErrPeerMissing, peer, err, out)
	case err != nil:
		return fmt.Errorf("conformance: %s harness: %w\n%s", peer, err, out)
	}
	return nil
}

// exitMissingLibrary is the harness scripts' exit status when their
// WebSocket library is missing.
const exitMissingLibrary = 3

// peersDir is package interop's peers directory, next to this source file's
// package.
func peersDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", errors.New("conformance: cannot find internal/interop/peers (built with -trimpath?)")
	}
	return filepath.Join(filepath.Dir(file), "..", "interop", "peers"), nil
}
