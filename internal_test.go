package wsfsm

import (
	"context"
	"errors"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/transport"
	"github.com/wsfsm/wsfsm/wstest"
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
	if err := c.Reconnect(ctx); err != nil { // a second connection is live
		t.Fatal(err)
	}
	type result struct {
		state fsm.State
		code  int64
	}
	got := make(chan result, 1)
	c.m.Post(func() {
		stale := c.m.Epoch() - 1 // an entry into Connecting, or Closing, already left
		c.readerDone(old, &CloseError{Code: 1011})
		c.closeDone(stale, transport.CloseResult{Completed: true, PeerCode: 1008}, false, &CloseError{Code: 1008})
		c.dialFailed(stale, errors.New("connection refused"))
		c.dialed(stale, old) // an overtaken dial's connection is shut, not used
		got <- result{c.State(), c.stats.closeCode.Load()}
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

// ownGoroutines counts the goroutines running code of this module's library
// packages (not tests, not the test server).
func ownGoroutines() int {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for g := range strings.SplitSeq(b.String(), "\n\n") {
		if strings.Contains(g, "_test.go") || strings.Contains(g, "wsfsm/wstest.") {
			continue
		}
		if strings.Contains(g, "github.com/wsfsm/wsfsm.") || strings.Contains(g, "github.com/wsfsm/wsfsm/transport.") || strings.Contains(g, "github.com/wsfsm/wsfsm/engine.") {
			n++
		}
	}
	return n
}

// An idle Open Conn holds one goroutine, its reader, even with keepalive and
// an observer: the loop and the observer's delivery run only while there is
// work.
func TestIdleConnHoldsOneGoroutine(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seen := make(chan fsm.State, 8)
	c, err := Dial(ctx, srv.URL("/echo"), &Options{OnTransition: func(t Transition) { seen <- t.To }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Send(ctx, Text, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	<-seen // Open was delivered; the delivering goroutine ends right after
	n := ownGoroutines()
	for i := 0; n != 1 && i < 100_000; i++ {
		runtime.Gosched() // let the dial and delivery goroutines finish
		n = ownGoroutines()
	}
	if n != 1 {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("an idle Conn holds %d goroutines, want 1 (the reader):\n%s", n, b.String())
	}
}
