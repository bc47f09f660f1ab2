package wsfsm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// Dial a server, exchange a message, and close politely.
func ExampleDial() {
	srv := wstest.NewServer() // an echo server on 127.0.0.1
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), nil) // nil: every default
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	if err := c.Send(ctx, wsfsm.Text, []byte("hello")); err != nil {
		fmt.Println("send:", err)
	}
	typ, data, err := c.Receive(ctx)
	fmt.Println("received:", typ, string(data), err)
	fmt.Println("close:", c.Close(ctx))
	fmt.Println("state:", c.State())
	// Output:
	// received: text hello <nil>
	// close: <nil>
	// state: Closed
}

// Reconnect cuts the connection at once (no close handshake) and dials a
// brand-new one without waiting for a backoff. OnTransition sees every step,
// in order.
func ExampleConn_Reconnect() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var (
		mu    sync.Mutex
		steps []wsfsm.Transition
	)
	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), &wsfsm.Options{
		OnTransition: func(t wsfsm.Transition) {
			mu.Lock()
			steps = append(steps, t)
			mu.Unlock()
		},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	if err := c.Reconnect(ctx); err != nil { // returns once the new connection is Open
		fmt.Println("reconnect:", err)
	}
	if err := c.Send(ctx, wsfsm.Text, []byte("still here")); err != nil {
		fmt.Println("send:", err)
	}
	_, data, _ := c.Receive(ctx)
	fmt.Println("received:", string(data))
	fmt.Println("connections the server accepted:", srv.Accepted())
	_ = c.Close(ctx)
	<-c.Done() // every OnTransition call has returned

	mu.Lock()
	defer mu.Unlock()
	for _, t := range steps {
		fmt.Println(t)
	}
	// Output:
	// received: still here
	// connections the server accepted: 2
	// Connecting -> Open (opened)
	// Open -> Aborted (abort): wsfsm: reconnect requested
	// Aborted -> Reconnecting (retry): wsfsm: reconnect requested [attempt 0, delay 0s]
	// Reconnecting -> Connecting (redial)
	// Connecting -> Open (opened)
	// Open -> Closing (close): wsfsm: close requested
	// Closing -> Closed (closed)
}

// OnTransition watches the life cycle: here the server drops the TCP
// connection, and the Conn dials again on its own.
func ExampleOptions_onTransition() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	steps := make(chan wsfsm.Transition, 16) // OnTransition must not block for long
	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), &wsfsm.Options{
		ImmediateFirstRetry: true, // the first redial after a lost connection waits zero
		OnTransition:        func(t wsfsm.Transition) { steps <- t },
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	srv.DropAll() // the server cuts TCP, with no close frame
	for opens := 0; opens < 2; {
		t := <-steps
		// The cause of the abort is a network error whose text varies by
		// platform: print the states and the event only.
		fmt.Printf("%v -> %v (%v)\n", t.From, t.To, t.Event)
		if t.To == fsm.Open {
			opens++
		}
	}
	_ = c.Close(ctx)
	// Output:
	// Connecting -> Open (opened)
	// Open -> Aborted (abort)
	// Aborted -> Reconnecting (retry)
	// Reconnecting -> Connecting (redial)
	// Connecting -> Open (opened)
}

// Close is bounded: against a peer that never answers the close frame, it
// aborts the connection after CloseTimeout and says so.
func ExampleConn_Close() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	polite, err := wsfsm.Dial(ctx, srv.URL("/echo"), nil)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	fmt.Println("peer answers:", polite.Close(ctx))

	deaf, err := wsfsm.Dial(ctx, srv.URL("/ignore-close"), &wsfsm.Options{CloseTimeout: 50 * time.Millisecond})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	err = deaf.Close(ctx)
	fmt.Println("peer never answers:", errors.Is(err, wsfsm.ErrCloseTimeout), deaf.State())

	fmt.Println("send after close:", errors.Is(deaf.Send(ctx, wsfsm.Text, []byte("late")), wsfsm.ErrClosed))
	fmt.Println("second close:", errors.Is(deaf.Close(ctx), wsfsm.ErrClosed))
	// Output:
	// peer answers: <nil>
	// peer never answers: true Closed
	// send after close: true
	// second close: true
}

// Abort cuts the connection at once; a Receive blocked on it returns.
func ExampleConn_Abort() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL("/silent"), nil) // a peer that never sends
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	received := make(chan error)
	go func() {
		_, _, err := c.Receive(ctx)
		received <- err
	}()
	fmt.Println("abort:", c.Abort())
	fmt.Println("receive:", errors.Is(<-received, wsfsm.ErrClosed))
	fmt.Println("state:", c.State())
	// Output:
	// abort: <nil>
	// receive: true
	// state: Closed
}
