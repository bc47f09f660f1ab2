package bench

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// fakeFailover is the failover experiment on fakeConns: no network, so a
// failover's time on one CPU is the CPU each side spends from the drop to
// connected again: gorilla's loop (ReadMessage's EOF, Close, dial with
// handshake), wsfsm's (the reader's EOF to Open, through the machine).
type fakeFailover struct {
	conns chan *fakeConn // each new connection, as its dial makes it
	w     *connFailover
	cur   *fakeConn
	g     *websocket.Conn
	gcur  *fakeConn
	d     websocket.Dialer
}

const fakeURL = "ws://127.0.0.1:2/fake"

func newFakeFailover(ctx context.Context) (*fakeFailover, error) {
	f := &fakeFailover{conns: make(chan *fakeConn, 2)}
	nd := func(context.Context, string, string) (net.Conn, error) {
		c := newFakeConn(nil)
		f.conns <- c
		return c, nil
	}
	w := &connFailover{stamps: make(chan stamp, 16)}
	c, err := wsfsm.Dial(ctx, fakeURL, &wsfsm.Options{
		ImmediateFirstRetry: true,
		MinUptime:           -1,
		PingInterval:        -1,
		NetDialContext:      nd,
		OnTransition: func(t wsfsm.Transition) {
			if !t.Initial() && (t.To == fsm.Aborted || t.To == fsm.Connecting || t.To == fsm.Open) {
				w.stamps <- stamp{t.To, t.At}
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	w.c, f.w, f.cur = c, w, <-f.conns
	if _, err := w.next(ctx, fsm.Open); err != nil { // the first connection
		c.Abort()
		return nil, err
	}
	f.d.NetDialContext = func(context.Context, string, string) (net.Conn, error) {
		f.gcur = newFakeConn(nil)
		return f.gcur, nil
	}
	if f.g, _, err = f.d.DialContext(ctx, fakeURL, nil); err != nil {
		c.Abort()
		return nil, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	return f, nil
}

func (f *fakeFailover) close() {
	f.w.c.Abort()
	f.g.Close()
}

// conn drops wsfsm's connection and returns the time to Open again, with
// its phases as measureFailover's.
func (f *fakeFailover) conn(ctx context.Context) (total, detect, loop, dial time.Duration, err error) {
	t0 := time.Now()
	f.cur.drop()
	ats, err := f.w.next(ctx, fsm.Aborted, fsm.Connecting, fsm.Open)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	f.cur = <-f.conns
	return ats[2].Sub(t0), ats[0].Sub(t0), ats[1].Sub(ats[0]), ats[2].Sub(ats[1]), nil
}

// gorilla drops the gorilla loop's connection and returns the time until
// its new dial returned, with the loop's phases.
func (f *fakeFailover) gorilla(ctx context.Context) (total, detect, dial time.Duration, err error) {
	t0 := time.Now()
	f.gcur.drop()
	if _, _, err := f.g.ReadMessage(); err == nil {
		return 0, 0, 0, fmt.Errorf("bench: read on a dropped connection succeeded")
	}
	failed := time.Now()
	f.g.Close()
	if f.g, _, err = f.d.DialContext(ctx, fakeURL, nil); err != nil {
		return 0, 0, 0, fmt.Errorf("bench: gorilla redial: %w", err)
	}
	t1 := time.Now()
	return t1.Sub(t0), failed.Sub(t0), t1.Sub(failed), nil
}
