package transport_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/wstest"
)

// Dial a fresh link, echo one message, and close politely within a bound.
func ExampleDial() {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	link, err := transport.Dial(ctx, srv.URL("/echo"), transport.DialConfig{})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	msgs := make(chan transport.Message)
	ended := make(chan error, 1)
	link.StartReader(msgs, nil, transport.Turn{}, func(err error, _ uint64) { ended <- err })

	link.WriteMessage(ctx, websocket.TextMessage, []byte("hello"))
	fmt.Printf("echo: %s\n", (<-msgs).Data)

	res, err := link.Close(ctx, websocket.CloseNormalClosure, "bye")
	fmt.Println("completed:", res.Completed, "peer code:", res.PeerCode, "err:", err)
	var ce *transport.CloseError
	fmt.Println("reader saw close frame:", errors.As(<-ended, &ce) && ce.Code == 1000)
	// Output:
	// echo: hello
	// completed: true peer code: 1000 err: <nil>
	// reader saw close frame: true
}

// A refused upgrade carries the status and Retry-After (package retry uses
// it as a floor for the next delay).
func ExampleHandshakeError() {
	srv := wstest.NewServer()
	defer srv.Close()

	_, err := transport.Dial(context.Background(), srv.URL("/reject/503?retry_after=3"), transport.DialConfig{})
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		fmt.Println("status:", he.StatusCode, "retry after:", he.RetryAfter)
	}
	// Output:
	// status: 503 retry after: 3s
}
