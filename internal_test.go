package wsfsm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/wstest"
	"go.uber.org/goleak"
)

// Results of an older connection (its reader's end, its close result, its
// dial) cannot move the machine or touch the stats of the live one. (Timers
// of a state already left: engine's TestTimers.)
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
	old := c.currentLink()
	// Tickets of the first connection's entry into Open, as a close
	// handshake or a dial started there would hold.
	tks := make(chan [3]*engine.Ticket, 1)
	c.m.Post(func() { tks <- [3]*engine.Ticket{c.m.Track(), c.m.Track(), c.m.Track()} })
	tk := <-tks
	if err := c.Reconnect(ctx); err != nil { // a second connection is live
		t.Fatal(err)
	}
	type result struct {
		state fsm.State
		code  int64
	}
	got := make(chan result, 1)
	shut := make(chan bool, 1)
	c.m.Post(func() {
		c.readerDone(old, &CloseError{Code: 1011})
		tk[0].PostAt(func() {
			c.closeDone(transport.CloseResult{Completed: true, PeerCode: 1008}, false, &CloseError{Code: 1008})
		}, nil)
		tk[1].PostAt(func() { c.dialFailed(errors.New("connection refused")) }, nil)
		tk[2].PostAt(func() { c.dialed(old) }, func() { shut <- true }) // an overtaken dial's connection is shut, not used
	})
	c.m.Post(func() { got <- result{c.State(), c.stats.closeCode.Load()} })
	if !<-shut {
		t.Error("the overtaken dial's result was not handed back to be shut")
	}
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

// An idle Open Conn holds one goroutine, its reader, even with keepalive and
// an observer: the machine's work and the observer's delivery run only while
// there is work. goleak looks: beside the goroutines that ran before the
// Conn, the test server's connection and the reader, none is left.
func TestIdleConnHoldsOneGoroutine(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := goleak.IgnoreCurrent()
	seen := make(chan fsm.State, 8)
	c, err := Dial(ctx, srv.URL("/echo"), &Options{OnTransition: func(t Transition) { seen <- t.To }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Send(ctx, Text, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Receive(ctx); err != nil { // the reader runs
		t.Fatal(err)
	}
	<-seen // Open was delivered; the delivering goroutine ends right after
	err = goleak.Find(before,
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"), // the test server's side
		goleak.IgnoreTopFunction("github.com/wsfsm/wsfsm/internal/transport.(*Link).StartReader.func1"),
		goleak.IgnoreAnyFunction("github.com/wsfsm/wsfsm/internal/transport.(*Link).StartReader.func1"))
	if err != nil {
		t.Errorf("an idle Conn holds goroutines beside its reader: %v", err)
	}
}
