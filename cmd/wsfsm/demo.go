package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// demoCloseTimeout is the CloseTimeout of the demo, short so that the close
// against a peer that never answers ends quickly (the default is 5 s).
const demoCloseTimeout = time.Second

// demoTimeout bounds the whole demo; it normally takes under 2 s.
const demoTimeout = 20 * time.Second

// runDemoCommand is `wsfsm` with no arguments, or `wsfsm demo`.
func runDemoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(stdout, usage())
			return exitOK
		}
		return usageError(stderr, "demo takes no arguments, got %q", args[0])
	}
	if err := runDemo(ctx, stdout); err != nil {
		fmt.Fprintf(stderr, "wsfsm: demo: %s\n", errText(err))
		return exitFail
	}
	return exitOK
}

// runDemo walks one connection through every state of the machine against
// an embedded wstest server on 127.0.0.1, printing each transition as it
// happens, then a one-line summary.
func runDemo(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	srv := wstest.NewServer()
	defer srv.Close()

	d := &demo{w: w, rec: newRecorder(w, time.Now())}
	d.say("wsfsm demo: an embedded wstest server on %s; CloseTimeout is %s here (default %s).",
		srv.Addr(), demoCloseTimeout, wsfsm.DefaultCloseTimeout)
	fmt.Fprintln(w, transitionHeader)
	opts := &wsfsm.Options{
		CloseTimeout:   demoCloseTimeout,
		BackoffInitial: 100 * time.Millisecond,
		BackoffMax:     time.Second,
		OnTransition:   d.rec.observe,
	}

	var stats []wsfsm.Stats
	for _, step := range []func(context.Context) (wsfsm.Stats, error){
		func(ctx context.Context) (wsfsm.Stats, error) { return d.echoLifeCycle(ctx, srv, opts) },
		func(ctx context.Context) (wsfsm.Stats, error) { return d.unansweredClose(ctx, srv, opts) },
	} {
		s, err := step(ctx)
		if err != nil {
			return err
		}
		stats = append(stats, s)
	}

	seen := d.rec.states()
	for _, s := range fsm.States() {
		if !seen[s] {
			return fmt.Errorf("state %s was never entered", s)
		}
	}
	var dials, opens, sent, received uint64
	for _, s := range stats {
		dials += s.Dials
		opens += s.Opens
		sent += s.MessagesSent
		received += s.MessagesReceived
	}
	fmt.Fprintf(w, "summary: %d Conns (one per wsfsm.Dial), %d dials (each a new TCP connection), %d opened, %d transitions through all %d states, %d messages sent, %d received, %.2fs\n",
		len(stats), dials, opens, d.rec.len(), len(fsm.States()), sent, received, time.Since(d.rec.start).Seconds())
	return nil
}

// demo holds the output and the transition recorder of one run.
type demo struct {
	w   io.Writer
	rec *recorder
}

// say prints a narration line.
func (d *demo) say(format string, a ...any) {
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	fmt.Fprintf(d.w, "-- "+format+"\n", a...)
}

// note prints a detail line under a narration line.
func (d *demo) note(format string, a ...any) {
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	fmt.Fprintf(d.w, format+"\n", a...)
}

// echoLifeCycle dials /echo, exchanges messages, survives a dropped TCP
// connection and a forced Reconnect, and closes gracefully.
func (d *demo) echoLifeCycle(ctx context.Context, srv *wstest.Server, opts *wsfsm.Options) (wsfsm.Stats, error) {
	d.say("Dial %s", srv.URL("/echo"))
	c, err := d.dial(ctx, srv.URL("/echo"), opts)
	if err != nil {
		return wsfsm.Stats{}, err
	}
	defer c.Abort() // on an early return only; a no-op once closed
	addr := c.LocalAddr()
	d.say("Open from %s; exchange two messages", addr)
	if err := d.echo(ctx, c, "hello", "world"); err != nil {
		return wsfsm.Stats{}, err
	}

	d.say("the server drops TCP, no close frame: abort, then redial after a backoff")
	mark := d.rec.len()
	srv.DropAll()
	if err := d.rec.waitFor(ctx, mark, fsm.Open); err != nil {
		return wsfsm.Stats{}, err
	}
	d.say("Open again on a fresh connection: %s -> %s", addr, c.LocalAddr())
	addr = c.LocalAddr()
	if err := d.echo(ctx, c, "after the drop"); err != nil {
		return wsfsm.Stats{}, err
	}

	d.say("Reconnect(): forced close now, immediate redial")
	mark = d.rec.len()
	if err := c.Reconnect(ctx); err != nil {
		return wsfsm.Stats{}, err
	}
	if err := d.rec.waitFor(ctx, mark, fsm.Open); err != nil {
		return wsfsm.Stats{}, err
	}
	d.say("Open again on a fresh connection: %s -> %s", addr, c.LocalAddr())
	if err := d.echo(ctx, c, "after Reconnect"); err != nil {
		return wsfsm.Stats{}, err
	}

	d.say("Close(): the server answers the close frame")
	if err := c.Close(ctx); err != nil {
		return wsfsm.Stats{}, err
	}
	<-c.Done() // every transition was printed
	return c.Stats(), nil
}

// unansweredClose dials /ignore-close and closes: the peer never answers, so
// the close is aborted after CloseTimeout.
func (d *demo) unansweredClose(ctx context.Context, srv *wstest.Server, opts *wsfsm.Options) (wsfsm.Stats, error) {
	d.say("Dial %s, a server that never answers a close frame", srv.URL("/ignore-close"))
	c, err := d.dial(ctx, srv.URL("/ignore-close"), opts)
	if err != nil {
		return wsfsm.Stats{}, err
	}
	defer c.Abort()
	if err := d.echo(ctx, c, "still echoes"); err != nil {
		return wsfsm.Stats{}, err
	}
	d.say("Close(): no answer, so it aborts after CloseTimeout (%s)", demoCloseTimeout)
	start := time.Now()
	err = c.Close(ctx)
	if !errors.Is(err, wsfsm.ErrCloseTimeout) {
		return wsfsm.Stats{}, fmt.Errorf("close against /ignore-close: want %v, got %v", wsfsm.ErrCloseTimeout, err)
	}
	<-c.Done()
	d.say("Close returned after %.2fs: %v", time.Since(start).Seconds(), err)
	return c.Stats(), nil
}

// dial dials url and waits until the transition into Open was printed.
func (d *demo) dial(ctx context.Context, url string, opts *wsfsm.Options) (*wsfsm.Conn, error) {
	mark := d.rec.len()
	c, err := wsfsm.Dial(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := d.rec.waitFor(ctx, mark, fsm.Open); err != nil {
		c.Abort()
		return nil, err
	}
	return c, nil
}

// echo sends each message and waits for its echo.
func (d *demo) echo(ctx context.Context, c *wsfsm.Conn, msgs ...string) error {
	for _, m := range msgs {
		if err := c.Send(ctx, wsfsm.Text, []byte(m)); err != nil {
			return fmt.Errorf("send %q: %w", m, err)
		}
		_, got, err := c.Receive(ctx)
		if err != nil {
			return fmt.Errorf("receive the echo of %q: %w", m, err)
		}
		d.note("   sent %q, received %q", m, got)
	}
	return nil
}

// recorder prints each transition as it happens and keeps it, so that the
// demo can wait for a state before narrating the next step.
type recorder struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	log     []wsfsm.Transition
	changed chan struct{} // closed and replaced on every transition
}

func newRecorder(w io.Writer, start time.Time) *recorder {
	return &recorder{w: w, start: start, changed: make(chan struct{})}
}

// observe is the Options.OnTransition of the demo.
func (r *recorder) observe(t wsfsm.Transition) {
	if t.Initial() {
		return // the demo shows moves; the first dial shows as its outcome
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, formatTransition(r.start, t))
	r.log = append(r.log, t)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// waitFor waits until a transition after the first mark ones enters s.
func (r *recorder) waitFor(ctx context.Context, mark int, s fsm.State) error {
	for {
		r.mu.Lock()
		for _, t := range r.log[mark:] {
			if t.To == s {
				r.mu.Unlock()
				return nil
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", s, context.Cause(ctx))
		}
	}
}

// states returns the set of states entered so far.
func (r *recorder) states() map[fsm.State]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[fsm.State]bool{fsm.Initial: len(r.log) > 0}
	for _, t := range r.log {
		seen[t.To] = true
	}
	return seen
}
