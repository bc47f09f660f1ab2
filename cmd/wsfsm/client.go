package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wsfsm/wsfsm"
)

// runClient is `wsfsm [flags] URL`: stdin goes out as messages, received
// messages are printed. When stdin ends the client waits for replies, then
// closes gracefully; the first signal closes gracefully, the second aborts.
func runClient(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	cfg, err := parseClientArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	if err != nil {
		return usageError(stderr, "%v", err)
	}
	if cfg.version {
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	p := newPrinter(cfg, stdout, stderr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c, interrupted, err := dialInterruptible(ctx, cfg.url, cfg.options(p.transition), signals)
	if c == nil {
		if err != nil {
			p.finish(err, exitNoConnection)
			return exitNoConnection
		}
		p.finish(nil, exitOK) // the user asked
		return exitOK
	}
	s := &session{cfg: cfg, c: c, p: p, got: make(chan struct{}, 1)}
	return s.run(ctx, stdin, signals, interrupted)
}

// session is one run of the client on an open Conn.
type session struct {
	cfg      *clientConfig
	c        *wsfsm.Conn
	p        *printer
	sent     atomic.Int64  // messages Send reported written
	received atomic.Int64  // messages written out
	got      chan struct{} // a message was received (coalesced)
}

// run drives the session until the Conn is closed and returns the exit
// status.
func (s *session) run(ctx context.Context, stdin io.Reader, signals <-chan os.Signal, interrupted bool) int {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.receiveAll(ctx)
		s.p.receiveEnded()
	}()
	// The stdin reader is not waited for: a Read on a terminal cannot be
	// interrupted. Once the Conn is closed its Send fails and it ends at the
	// next line or at end of input.
	inputDone := make(chan struct{})
	go s.sendInput(ctx, stdin, inputDone)

	var (
		closeDone chan error // non-nil once a graceful close was started
		aborting  bool
		lingering bool // stdin ended; waiting for replies
		ctxDone   = ctx.Done()
		quiet     = time.NewTimer(time.Hour)
	)
	quiet.Stop()
	defer quiet.Stop()
	startClose := func() {
		if closeDone != nil {
			return
		}
		closeDone = make(chan error, 1)
		go func() {
			closeDone <- s.c.CloseWith(context.WithoutCancel(ctx), s.cfg.closeCode, s.cfg.closeReason)
		}()
	}
	// After stdin ended: close once every message sent got one back, or
	// when none came for --linger.
	checkReplies := func() {
		switch {
		case !lingering || closeDone != nil:
		case s.received.Load() >= s.sent.Load() || s.cfg.linger == 0:
			startClose()
		default:
			quiet.Reset(s.cfg.linger)
		}
	}
	if interrupted {
		startClose() // the signal came as the dial succeeded: it counts as the first
	}
	for done := false; !done; {
		select {
		case <-s.c.Done():
			done = true
		case <-inputDone:
			inputDone = nil
			// -1 that sent its message waits for the answer, however long.
			lingering = !s.cfg.noClose && !(s.cfg.oneMessage && s.sent.Load() > 0)
			checkReplies()
		case <-s.got:
			if s.cfg.oneMessage {
				startClose()
			}
			checkReplies()
		case <-quiet.C:
			startClose()
		case <-signals:
			if closeDone == nil {
				startClose()
			} else if !aborting {
				aborting = true
				s.c.Abort()
			}
		case <-ctxDone:
			ctxDone = nil
			aborting = true
			s.c.Abort()
		}
	}
	wg.Wait()
	if closeDone != nil {
		// Close returns once the Conn is Closed, which it is.
		if err := <-closeDone; err != nil && !aborting && !errors.Is(err, wsfsm.ErrClosed) {
			s.p.warn(s.c.Stats().Opens, "close: %s", errText(err))
		}
	}
	err := s.c.Err()
	if ce := closeOf(err); err == nil || ce != nil && ce.Code == 1000 && !errors.Is(err, wsfsm.ErrAttemptsExhausted) {
		s.p.finish(nil, exitOK)
		return exitOK
	}
	s.p.finish(err, exitFail)
	return exitFail
}

// dialInterruptible dials rawURL; a signal or the end of ctx abandons the
// dial. It returns the Conn and whether a signal arrived as it opened; or no
// Conn and the dial's error; or neither when the user gave up.
func dialInterruptible(ctx context.Context, rawURL string, opts *wsfsm.Options, signals <-chan os.Signal) (*wsfsm.Conn, bool, error) {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		c   *wsfsm.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := wsfsm.Dial(dctx, rawURL, opts)
		res <- result{c, err}
	}()
	var r result
	interrupted := false
	select {
	case r = <-res:
	case <-signals:
		interrupted = true
		cancel()
		r = <-res
	case <-ctx.Done():
		cancel()
		r = <-res
		if r.c != nil {
			r.c.Abort()
		}
		return nil, false, nil
	}
	switch {
	case r.err != nil && interrupted:
		return nil, false, nil
	case r.err != nil:
		return nil, false, r.err
	}
	return r.c, interrupted, nil
}

// receiveAll writes every message until the Conn is closed and drained.
func (s *session) receiveAll(ctx context.Context) {
	for {
		typ, data, err := s.c.Receive(ctx)
		if err != nil {
			return
		}
		s.p.message(typ, data, s.c.Stats().Opens)
		s.received.Add(1)
		select {
		case s.got <- struct{}{}:
		default: // the main loop has one to read already
		}
	}
}

// sendInput sends stdin, in lines or in chunks, and closes done at the end
// of input, after the one message of -1, or once a Send fails.
func (s *session) sendInput(ctx context.Context, stdin io.Reader, done chan<- struct{}) {
	defer close(done)
	send := func(typ wsfsm.MessageType, data []byte) bool {
		if s.c.Send(ctx, typ, data) != nil {
			return false
		}
		s.sent.Add(1)
		return !s.cfg.oneMessage
	}
	if s.cfg.binary {
		buf := make([]byte, binaryChunk)
		for {
			n, err := stdin.Read(buf)
			if n > 0 && !send(wsfsm.Binary, bytes.Clone(buf[:n])) {
				return
			}
			if err != nil {
				return
			}
		}
	}
	r := bufio.NewReader(stdin)
	warned := false
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if !warned && !utf8.ValidString(line) {
				warned = true
				s.p.warn(s.c.Stats().Opens, "line %d of stdin is not valid UTF-8: sent as text anyway, so a server may close with 1007 (-b sends binary)", n)
			}
			if !send(wsfsm.Text, []byte(line)) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
