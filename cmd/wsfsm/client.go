package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
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
// With -s it listens instead (runListen).
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
	if cfg.listen != "" {
		return runListen(ctx, cfg, stdin, stdout, stderr, signals)
	}
	p := newPrinter(cfg, stdout, stderr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c, interrupted, err := dialInterruptible(ctx, cfg.url, cfg.options(p.transition), signals)
	if c == nil {
		if err != nil {
			p.finish(dialFailure(cfg.url, err), exitNoConnection)
			return exitNoConnection
		}
		p.finish(nil, exitOK) // the user asked
		return exitOK
	}
	s := &session{cfg: cfg, c: c, p: p, got: make(chan struct{}, 1), full: make(chan struct{})}
	return s.run(ctx, stdin, signals, interrupted)
}

// session is one run of the client on an open Conn.
type session struct {
	cfg      *clientConfig
	c        *wsfsm.Conn
	p        *printer
	received atomic.Int64  // messages received and not discarded by -u
	got      chan struct{} // a message was received (coalesced)
	full     chan struct{} // closed once --max-messages-rev messages were written
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
	// next line or at end of input. -U does not read stdin at all.
	var inputDone chan struct{}
	if !s.cfg.recvOnly {
		inputDone = make(chan struct{})
		send := func(typ wsfsm.MessageType, data []byte) bool { return s.send(ctx, typ, data) }
		opens := func() uint64 { return s.c.Stats().Opens }
		go sendInput(s.cfg, stdin, send, s.p, opens, inputDone)
	}

	var (
		closeDone  chan error // non-nil once a graceful close was started
		aborting   bool
		inputEnded bool
		ctxDone    = ctx.Done()
		quiet      = time.NewTimer(time.Hour)
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
	// After stdin ended, and after every message received since.
	afterInput := func() {
		if !inputEnded || closeDone != nil {
			return
		}
		switch d := endOfInput(s.cfg); {
		case d < 0: // -n, or waiting for --max-messages-rev
		case d == 0:
			startClose()
		default:
			quiet.Reset(d) // a message received starts the quiet period again
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
			inputEnded = true
			afterInput()
		case <-s.got:
			afterInput()
		case <-s.full:
			s.full = nil
			startClose()
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
			s.p.warn(s.c.Stats().Opens, "%s", errText(err))
		}
	}
	err := s.c.Err()
	if ce := closeOf(err); err != nil && !(ce != nil && ce.Code == 1000 && !errors.Is(err, wsfsm.ErrAttemptsExhausted)) {
		s.p.finish(err, exitFail)
		return exitFail
	}
	if n := s.p.unconfirmed(); n > 0 && !aborting {
		s.p.finish(fmt.Errorf("%s sent on a connection that then ended without our close handshake: not known to have arrived", plural(n, "message")), exitMayBeLost)
		return exitMayBeLost
	}
	s.p.finish(nil, exitOK)
	return exitOK
}

// endOfInput says what the client does once stdin ended (and after each
// message received since): wait as long as it takes (negative), close now
// (0), or close after this long without a message.
func endOfInput(cfg *clientConfig) time.Duration {
	switch {
	case cfg.noClose, cfg.maxRecv > 0:
		return -1 // -n listens on; --max-messages-rev waits for its count (s.full closes)
	case cfg.exitOnEOF, cfg.sendOnly:
		return 0 // -E; -u writes nothing, so there is nothing to wait for
	}
	return cfg.linger
}

// send sends one message of stdin and records which connection took it.
func (s *session) send(ctx context.Context, typ wsfsm.MessageType, data []byte) bool {
	if s.c.Send(ctx, typ, data) != nil {
		return false // the Conn is closed: Send waits through reconnects
	}
	s.p.sent(s.c.Stats().Opens)
	return true
}

// dialFailure is the first dial's error without the "dial URL: " wsfsm.Dial
// puts before an error that names the URL already (the transport's does).
func dialFailure(rawURL string, err error) error {
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return err
	}
	where := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	text := errText(err)
	if rest, ok := strings.CutPrefix(text, "dial "+where+": "); ok && strings.Contains(rest, where) {
		return &restated{err, rest}
	}
	return err
}

// restated is an error said in other words, still matching what it wraps.
type restated struct {
	error
	text string
}

func (r *restated) Error() string { return r.text }
func (r *restated) Unwrap() error { return r.error }

// plural says "1 message", "2 messages".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
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

// receiveAll writes every message until the Conn is closed and drained:
// none with -u, at most --max-messages-rev.
func (s *session) receiveAll(ctx context.Context) {
	for {
		typ, data, err := s.c.Receive(ctx)
		if err != nil {
			return
		}
		if s.cfg.sendOnly {
			continue
		}
		n := s.received.Add(1)
		if limit := int64(s.cfg.maxRecv); limit > 0 && n > limit {
			continue // past --max-messages-rev: the close is under way
		}
		s.p.message(typ, data, s.c.Stats().Opens)
		if int64(s.cfg.maxRecv) == n {
			close(s.full)
		}
		select {
		case s.got <- struct{}{}:
		default: // the main loop has one to read already
		}
	}
}

// sendInput sends stdin with send, in lines (NUL-separated with -0) or in
// chunks (-b), at most --max-messages of them, and closes done at the end of
// input, at the limit, or once send fails. Shared by the client and the
// listener.
// opens is the Stats().Opens of a warning (see printer.warn).
func sendInput(cfg *clientConfig, stdin io.Reader, send func(wsfsm.MessageType, []byte) bool, p *printer, opens func() uint64, done chan<- struct{}) {
	defer close(done)
	sent := 0
	more := func(typ wsfsm.MessageType, data []byte) bool {
		if !send(typ, data) {
			return false
		}
		sent++
		return cfg.maxSend == 0 || sent < cfg.maxSend
	}
	if cfg.binary {
		buf := make([]byte, binaryChunk)
		for {
			n, err := stdin.Read(buf)
			if n > 0 && !more(wsfsm.Binary, bytes.Clone(buf[:n])) {
				return
			}
			if err != nil {
				return
			}
		}
	}
	sep, unit := byte('\n'), "line"
	if cfg.nul {
		sep, unit = 0, "message"
	}
	r := bufio.NewReader(stdin)
	warned := false
	for n := 1; ; n++ {
		line, err := r.ReadString(sep)
		if line != "" {
			line = strings.TrimSuffix(line, string(sep))
			if !cfg.nul {
				line = strings.TrimSuffix(line, "\r")
			}
			if !warned && !utf8.ValidString(line) {
				warned = true
				p.warn(opens(), "%s %d of stdin is not valid UTF-8: sent as text anyway, so a peer may close with 1007 (-b sends binary)", unit, n)
			}
			if !more(wsfsm.Text, []byte(line)) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
