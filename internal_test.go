package wsfsm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/transport"
	"github.com/wsfsm/wsfsm/wstest"
)

// Results of an older connection (its reader's end, its close result, its
// dial, a failed write on it, its timer) cannot move the machine or touch the
// stats of the live one.
func TestStaleEventsIgnored(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL("/echo"), &Options{PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Reconnect(ctx); err != nil { // generation 2 is live
		t.Fatal(err)
	}
	type result struct {
		state fsm.State
		code  int64
	}
	got := make(chan result, 1)
	c.post(func() {
		l := &c.loop
		stale := l.gen - 1
		l.outstanding += 3 // the three results below each settle one
		l.readerDone(stale, &CloseError{Code: 1011})
		l.closeDone(stale, transport.CloseResult{Completed: true, PeerCode: 1008}, nil)
		l.dialed(stale, nil, errors.New("connection refused"))
		l.writeFailed(stale, errors.New("broken pipe"))
		// The handshake timer of the Connecting state that was left.
		l.timerFired(l.timerEpoch-1, fsm.Timer{State: fsm.Connecting, Name: "handshake_timeout", Event: fsm.EventAbort})
		got <- result{l.m.State(), c.stats.closeCode.Load()}
	})
	r := <-got
	if r.state != fsm.Open || r.code != 0 {
		t.Errorf("after stale events: state %s, close code %d; want Open, 0", r.state, r.code)
	}
	if err := c.Send(ctx, Text, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, data, err := c.Receive(ctx); err != nil || string(data) != "still here" {
		t.Errorf("Receive = %q, %v", data, err)
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}
