package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm"
)

// runClient is `wsfsm [flags] URL`: stdin lines go out as text messages,
// received messages are printed, and so is every transition. End of stdin or
// the first signal closes gracefully; the second signal aborts.
func runClient(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	cfg, err := parseClientArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	if err != nil {
		return usageError(stderr, "%v", err)
	}
	p := &printer{json: cfg.json, stdout: stdout, stderr: stderr, start: time.Now()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c, interrupted, code := dialInterruptible(ctx, cfg.url, cfg.options(p.transition), signals, stderr)
	if c == nil {
		return code
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		receiveAll(ctx, c, p)
	}()
	// The stdin reader is not waited for: a Read on a terminal cannot be
	// interrupted. Once the Conn is closed its Send fails and it ends at the
	// next line or at end of input.
	eof := make(chan struct{})
	go sendLines(ctx, c, stdin, eof)

	var (
		closeDone chan error // non-nil once a graceful close was started
		aborting  bool
		ctxDone   = ctx.Done()
	)
	startClose := func() {
		if closeDone != nil {
			return
		}
		closeDone = make(chan error, 1)
		go func() { closeDone <- c.Close(context.WithoutCancel(ctx)) }()
	}
	if interrupted {
		startClose() // the signal came as the dial succeeded: it counts as the first
	}
	for done := false; !done; {
		select {
		case <-c.Done():
			done = true
		case <-eof:
			eof = nil
			startClose()
		case <-signals:
			if closeDone == nil {
				startClose()
			} else if !aborting {
				aborting = true
				c.Abort()
			}
		case <-ctxDone:
			ctxDone = nil
			aborting = true
			c.Abort()
		}
	}
	wg.Wait()
	if closeDone != nil {
		// Close returns once the Conn is Closed, which it is.
		if err := <-closeDone; err != nil && !aborting && !errors.Is(err, wsfsm.ErrClosed) {
			fmt.Fprintf(stderr, "wsfsm: %s\n", errText(err))
		}
	}
	if err := c.Err(); err != nil {
		fmt.Fprintf(stderr, "wsfsm: connection ended: %s\n", errText(err))
		return exitFail
	}
	return exitOK
}

// dialInterruptible dials rawURL; a signal or the end of ctx abandons the
// dial. It returns the Conn and whether a signal arrived as it opened, or nil
// and the exit status.
func dialInterruptible(ctx context.Context, rawURL string, opts *wsfsm.Options, signals <-chan os.Signal, stderr io.Writer) (*wsfsm.Conn, bool, int) {
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
		return nil, false, exitOK
	}
	switch {
	case r.err != nil && interrupted:
		return nil, false, exitOK // the user asked
	case r.err != nil:
		fmt.Fprintf(stderr, "wsfsm: %s\n", errText(r.err))
		return nil, false, exitFail
	}
	return r.c, interrupted, exitOK
}

// receiveAll prints every message until the Conn is closed and drained.
func receiveAll(ctx context.Context, c *wsfsm.Conn, p *printer) {
	for {
		typ, data, err := c.Receive(ctx)
		if err != nil {
			return
		}
		p.message(typ, data, time.Now())
	}
}

// sendLines sends each line of stdin (without its line ending) as a text
// message, and closes eof at the end of input or once a Send fails.
func sendLines(ctx context.Context, c *wsfsm.Conn, stdin io.Reader, eof chan<- struct{}) {
	defer close(eof)
	r := bufio.NewReader(stdin)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if c.Send(ctx, wsfsm.Text, []byte(line)) != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// errText is err's message without the "wsfsm: " of each wrapping layer, for
// a line that already starts with it.
func errText(err error) string {
	return strings.ReplaceAll(err.Error(), "wsfsm: ", "")
}
