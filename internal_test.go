package wsfsm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/wstest"
	"go.uber.org/goleak"
)

// Results of an older connection (its reader's end, its close result, its
// dial) cannot move the machine or touch the stats of the live one. (Timers
// of a state already left: engine's TestTimers.)
func TestStaleEventsIgnored(t *testing.T) {
	c, ctx := openConn(t, "/echo")
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

// Issue 10 item 15: a consumer that never calls Receive, through 200
// reconnects that each bring two 1 MiB messages, holds a bounded number of
// readers and a bounded amount of memory: ReceiveBuffer messages, plus one in
// the hand of the first connection's reader, which waits for the buffer,
// while the newest connection's reader waits for that one before it reads.
// (Before, every connection's reader stayed behind, holding its message.)
// A reader is alive until its link is Done: after each reconnect, all
// connections but two must be Done (a reader that holds a message never is;
// Link.Waiting says when the newest reader holds one or waits its turn),
// and the one message Receive gets at the end is the first connection's
// first.
func TestSlowConsumerHoldsBoundedReaders(t *testing.T) {
	const size = 1 << 20
	var conns atomic.Uint64
	url := testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		msg := bytes.Repeat([]byte("x"), size)
		binary.BigEndian.PutUint64(msg, conns.Add(1)) // which connection, from 1
		for i := range 2 {                            // one for the buffer (ReceiveBuffer 1), one for the reader's hand
			msg[8] = byte(i)
			if ws.WriteMessage(websocket.BinaryMessage, msg) != nil {
				return
			}
		}
		testkit.Drain(ws)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, &Options{PingInterval: -1, ReceiveBuffer: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	links := []*transport.Link{c.currentLink()}
	// alive counts the connections whose reader has not ended.
	alive := func() int {
		n := 0
		for _, l := range links {
			select {
			case <-l.Done():
			default:
				n++
			}
		}
		return n
	}
	for i := range 200 {
		// The newest connection's reader has read what it could, or waits
		// for its turn: it is no longer reading.
		waitFor(t, "the newest reader holds a message or waits its turn", links[len(links)-1].Waiting)
		if err := c.Reconnect(ctx); err != nil {
			t.Fatalf("reconnect %d: %v", i, err)
		}
		links = append(links, c.currentLink())
		// Reconnect aborted the connection before: its reader ends at
		// once, unless it holds a message.
		waitFor(t, "at most 2 readers alive", func() bool { return alive() <= 2 })
	}
	waitFor(t, "the newest reader holds a message or waits its turn", links[len(links)-1].Waiting)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if limit := uint64(16 * size); ms.HeapInuse > limit {
		t.Errorf("heap in use %d MiB after 200 reconnects, want under %d MiB", ms.HeapInuse>>20, limit>>20)
	}
	_ = c.Abort() // what the buffer holds is still handed out, then ErrClosed
	n := 0
	for {
		_, data, err := c.Receive(ctx)
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("Receive after Abort = %v", err)
			}
			break
		}
		if n++; len(data) != size {
			t.Errorf("message %d: %d bytes", n, len(data))
		} else if conn, i := binary.BigEndian.Uint64(data), data[8]; conn != 1 || i != 0 {
			t.Errorf("message %d: connection %d's message %d; want the first connection's first", n, conn, i)
		}
	}
	if n != 1 {
		t.Errorf("%d messages were held for Receive, want ReceiveBuffer (1)", n)
	}
}

// openConn dials path on a wstest server, without keepalive; the Conn is
// aborted and the server closed with the test, and ctx ends with it (at
// most 20 s).
func openConn(t *testing.T, path string) (*Conn, context.Context) {
	t.Helper()
	srv := wstest.NewServer()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	c, err := Dial(ctx, srv.URL(path), &Options{PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Abort() })
	return c, ctx
}

// waitFor waits, at most 10 s, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// A message already read is returned even when Receive's ctx has ended: an
// ended ctx stops only the wait (before, Receive picked at random between
// the message and the ctx).
func TestReceiveReturnsAWaitingMessageWhateverItsCtx(t *testing.T) {
	const n = DefaultReceiveBuffer
	c, ctx := openConn(t, "/size/8?count=16")
	waitFor(t, "16 messages waiting", func() bool { return len(c.inbox) == n })
	ended, end := context.WithCancel(ctx)
	end()
	for i := range n {
		if _, data, err := c.Receive(ended); err != nil || len(data) != 8 {
			t.Fatalf("Receive %d with an ended ctx: %d bytes, %v; want a waiting message", i, len(data), err)
		}
	}
	if _, _, err := c.Receive(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with an ended ctx and nothing waiting: %v, want context.Canceled", err)
	}
}
