package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// process is one running peer: the child, the pipe its stdout arrives on and
// the two goroutines that watch them. stop ends all three.
type process struct {
	peer     Peer
	cmd      *exec.Cmd
	stdin    io.Closer
	stdout   *os.File
	stderr   *tailBuffer
	exited   chan struct{} // closed once Wait returned; waitErr is set then
	waitErr  error
	drained  chan struct{} // closed once the stdout reader returned
	stopOnce sync.Once
	stopErr  error
}

// launch starts the named peer from the scripts in dir and waits, bounded by
// ctx, for its "LISTENING <port>" line. On error nothing is left running.
func launch(ctx context.Context, name, dir string) (*process, error) {
	cmd, err := command(name, dir, "server")
	if err != nil {
		return nil, err
	}
	cmd.Dir = dir
	stderr := &tailBuffer{limit: 64 << 10}
	cmd.Stderr = stderr
	// Bounds Wait if the stderr copy never sees EOF (a stray grandchild).
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("interop: %s peer stdin: %w", name, err)
	}
	// A pipe of our own rather than StdoutPipe: Wait must not race with
	// reading it, and we keep reading after the first line.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return nil, fmt.Errorf("interop: %s peer stdout: %w", name, err)
	}
	cmd.Stdout = stdoutW
	if err := cmd.Start(); err != nil {
		stdin.Close()
		stdoutR.Close()
		stdoutW.Close()
		return nil, fmt.Errorf("interop: starting %s peer: %w", name, err)
	}
	stdoutW.Close() // the child holds its own copy

	p := &process{
		peer:    Peer{Name: name},
		cmd:     cmd,
		stdin:   stdin,
		stdout:  stdoutR,
		stderr:  stderr,
		exited:  make(chan struct{}),
		drained: make(chan struct{}),
	}
	ready := make(chan string, 1)
	go p.readStdout(ready)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	select {
	case line, ok := <-ready:
		if ok {
			port, err := parseListening(line)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("interop: %s peer: %w", name, err), p.stop())
			}
			p.peer.BaseURL = "ws://127.0.0.1:" + strconv.Itoa(port)
			return p, nil
		}
		// stdout ended: the peer exited (or is exiting) before it was ready.
		stopErr := p.stop()
		if code := cmd.ProcessState.ExitCode(); code == exitMissingLibrary {
			return nil, fmt.Errorf("%w: %s peer cannot load its WebSocket library (%s): %s",
				ErrPeerMissing, name, missingHint(name), strings.TrimSpace(stderr.String()))
		}
		return nil, errors.Join(fmt.Errorf("interop: %s peer exited before listening (%v): %s",
			name, cmd.ProcessState, strings.TrimSpace(stderr.String())), stopErr)
	case <-ctx.Done():
		return nil, errors.Join(fmt.Errorf("interop: %s peer did not print LISTENING: %w; stderr: %s",
			name, ctx.Err(), strings.TrimSpace(stderr.String())), p.stop())
	}
}

// readStdout hands the first line to ready (or closes it at EOF), then
// drains stdout so the peer never blocks on a full pipe.
func (p *process) readStdout(ready chan<- string) {
	defer close(p.drained)
	r := bufio.NewReader(p.stdout)
	line, err := r.ReadString('\n')
	if err == nil {
		ready <- strings.TrimSpace(line)
	} else {
		close(ready)
	}
	_, _ = io.Copy(io.Discard, r)
}

// parseListening reads the port out of "LISTENING <port>".
func parseListening(line string) (int, error) {
	rest, ok := strings.CutPrefix(line, "LISTENING ")
	if !ok {
		return 0, fmt.Errorf("want %q, got %q", "LISTENING <port>", line)
	}
	port, err := strconv.Atoi(rest)
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("bad port in %q", line)
	}
	return port, nil
}

// stop closes the peer's stdin, waits stopTimeout for it to exit, kills it
// otherwise, and returns once both watching goroutines ended. It reports a
// peer that had to be killed or that exited with an error.
func (p *process) stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.doStop() })
	return p.stopErr
}

func (p *process) doStop() error {
	var errs []error
	if err := p.stdin.Close(); err != nil {
		errs = append(errs, fmt.Errorf("interop: closing %s peer stdin: %w", p.peer.Name, err))
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.exited:
		if p.waitErr != nil {
			errs = append(errs, fmt.Errorf("interop: %s peer: %w", p.peer.Name, p.waitErr))
		}
	case <-timer.C:
		errs = append(errs, fmt.Errorf("interop: %s peer still running %v after stdin closed; killed",
			p.peer.Name, stopTimeout))
		if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("interop: killing %s peer: %w", p.peer.Name, err))
		}
		<-p.exited
	}
	// The child is gone, so stdout is at EOF unless something inherited it;
	// closing our end unblocks the reader either way.
	p.stdout.Close()
	<-p.drained
	return errors.Join(errs...)
}

// tailBuffer keeps the last limit bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, data...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(data), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
