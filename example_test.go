package wsfsm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

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
	// -> Connecting (initial)
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
		if t.Initial() { // the first dial
			fmt.Println("initial:", t.To)
			continue
		}
		// The cause of the abort is a network error whose text varies by
		// platform: print the states and the event only.
		fmt.Printf("%v -> %v (%v)\n", t.From, t.To, t.Event)
		if t.To == fsm.Open {
			opens++
		}
	}
	_ = c.Close(ctx)
	// Output:
	// initial: Connecting
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

// OnConnect runs on every new connection before anything else uses it:
// here it subscribes again after each reconnect, and reads the server's
// answer, which Receive never sees. A Send waiting for the connection goes
// out after the subscription.
func ExampleOptions_onConnect() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), &wsfsm.Options{
		OnConnect: func(ctx context.Context, s *wsfsm.Setup) error {
			if err := s.Send(ctx, wsfsm.Text, []byte(`{"subscribe":"prices"}`)); err != nil {
				return err // aborts this connection; classified like any other error
			}
			_, ack, err := s.Receive(ctx) // /echo answers with the same message
			if err != nil {
				return err
			}
			fmt.Println("subscribed:", string(ack))
			return nil
		},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	if err := c.Reconnect(ctx); err != nil { // a new connection: OnConnect runs again
		fmt.Println("reconnect:", err)
	}
	if err := c.Send(ctx, wsfsm.Text, []byte("hello")); err != nil {
		fmt.Println("send:", err)
	}
	_, data, _ := c.Receive(ctx)
	fmt.Println("received:", string(data))
	_ = c.Close(ctx)
	// Output:
	// subscribed: {"subscribe":"prices"}
	// subscribed: {"subscribe":"prices"}
	// received: hello
}

// RoundRobin as Options.Endpoint spreads the dials over several servers:
// when the first one goes away, the next dial goes to the second.
func ExampleRoundRobin() {
	first, second := wstest.NewServer(), wstest.NewServer()
	defer second.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	opened := make(chan struct{}, 2)
	c, err := wsfsm.Dial(ctx, first.URL("/echo"), &wsfsm.Options{
		Endpoint:            wsfsm.RoundRobin(first.URL("/echo"), second.URL("/echo")),
		ImmediateFirstRetry: true,
		OnTransition: func(t wsfsm.Transition) {
			if t.To == fsm.Open {
				opened <- struct{}{}
			}
		},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	<-opened
	first.Close() // the first server goes away, and its connection with it
	<-opened      // the Conn dialed the next endpoint
	if err := c.Send(ctx, wsfsm.Text, []byte("hello")); err != nil {
		fmt.Println("send:", err)
	}
	_, data, _ := c.Receive(ctx)
	fmt.Println("received:", string(data))
	fmt.Println("connections: first", first.Accepted(), "second", second.Accepted())
	_ = c.Close(ctx)
	// Output:
	// received: hello
	// connections: first 1 second 1
}

// CloseWith closes with a code and a reason of the application's choosing.
// A code that may not be sent changes nothing.
func ExampleConn_CloseWith() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), nil)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	err = c.CloseWith(ctx, 1006, "") // 1006 is never sent on the wire
	fmt.Println("1006:", errors.Is(err, wsfsm.ErrBadCloseCode), c.State())
	fmt.Println("1001:", c.CloseWith(ctx, wsfsm.CloseGoingAway, "shutting down"))
	fmt.Println("the server answered:", c.Stats().CloseCode)
	// Output:
	// 1006: true Open
	// 1001: <nil>
	// the server answered: 1001
}

// SendNow is for messages only worth sending now: while the Conn dials
// again, it fails at once with ErrNotOpen instead of waiting.
func ExampleConn_SendNow() {
	srv := wstest.NewSequence("/echo", "hold") // the second dial is never answered
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL(), nil)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	fmt.Println("open:", c.SendNow(ctx, wsfsm.Text, []byte("tick 1")))
	reconnected := make(chan error, 1)
	go func() { reconnected <- c.Reconnect(ctx) }()
	<-srv.Held() // the Conn is dialing again
	err = c.SendNow(ctx, wsfsm.Text, []byte("tick 2"))
	fmt.Println("dialing:", errors.Is(err, wsfsm.ErrNotOpen))
	_ = c.Abort()
	fmt.Println("reconnect:", errors.Is(<-reconnected, wsfsm.ErrClosed))
	// Output:
	// open: <nil>
	// dialing: true
	// reconnect: true
}

// Messages reads with a range loop, across reconnects. After Close the loop
// ends once every message already read was yielded.
func ExampleConn_Messages() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, srv.URL("/echo"), nil)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	for _, m := range []string{"one", "two", "three"} {
		if err := c.Send(ctx, wsfsm.Text, []byte(m)); err != nil {
			fmt.Println("send:", err)
		}
	}
	n := 0
	for msg, err := range c.Messages(ctx) {
		if err != nil { // the Conn ended on its own, or ctx ended
			fmt.Println("error:", err)
			break
		}
		fmt.Println(msg.Type, string(msg.Data))
		if n++; n == 3 {
			_ = c.Close(ctx)
		}
	}
	fmt.Println("loop over:", c.State())
	// Output:
	// text one
	// text two
	// text three
	// loop over: Closed
}

// EnableCompression offers permessage-deflate; the server decides, and
// Compressed tells. Here a gorilla server that accepts it: messages from
// CompressionThreshold up go compressed, both ways.
func ExampleOptions_compression() {
	up := websocket.Upgrader{EnableCompression: true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			typ, m, err := ws.ReadMessage()
			if err != nil || ws.WriteMessage(typ, m) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := wsfsm.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/", &wsfsm.Options{
		EnableCompression:    true,
		CompressionThreshold: 1024, // smaller messages go as they are
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	fmt.Println("compressed:", c.Compressed())
	feed := bytes.Repeat([]byte(`{"symbol":"WSFSM","price":101.25},`), 1000)
	if err := c.Send(ctx, wsfsm.Text, feed); err != nil {
		fmt.Println("send:", err)
	}
	_, data, _ := c.Receive(ctx)
	fmt.Println("echoed:", len(data), "bytes, intact:", bytes.Equal(data, feed))
	_ = c.Close(ctx)
	// Output:
	// compressed: true
	// echoed: 34000 bytes, intact: true
}

// NetDialContext dials any connection: here a server on a Unix socket. The
// URL's host only fills the Host header. Every dial, after Reconnect too,
// goes through the dialer, and Abort closes what it returned.
func ExampleOptions_netDialContext() {
	dir, err := os.MkdirTemp("", "wsfsm-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "ws.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Println(err)
		return
	}
	router := wstest.NewRouter()
	hs := &http.Server{Handler: router}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(ln)
	}()
	defer func() {
		hs.Close()
		router.Shutdown()
		<-served
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	dials := 0
	c, err := wsfsm.Dial(ctx, "ws://unix.invalid/echo", &wsfsm.Options{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials++ // dials run one at a time
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	if err := c.Reconnect(ctx); err != nil {
		fmt.Println("reconnect:", err)
	}
	if err := c.Send(ctx, wsfsm.Text, []byte("over a Unix socket")); err != nil {
		fmt.Println("send:", err)
	}
	_, data, _ := c.Receive(ctx)
	fmt.Println("received:", string(data))
	fmt.Println("network:", c.LocalAddr().Network(), "dials:", dials)
	_ = c.Close(ctx)
	// Output:
	// received: over a Unix socket
	// network: unix dials: 2
}
