package graphql_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/examples/graphql"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

var pairs wsfsmtest.Set

// TestMain fails the run unless the suite took every (event, from) pair of
// the generated table, and checks for leaked goroutines.
func TestMain(m *testing.M) {
	var table []wsfsmtest.Edge
	for _, e := range graphql.Table() {
		table = append(table, wsfsmtest.Edge{Event: e.Event, From: e.From})
	}
	os.Exit(wsfsmtest.Main(m, &pairs, table))
}

type recorder = wsfsmtest.Recorder[graphql.State, graphql.Event]

func newRecorder() *recorder { return wsfsmtest.NewRecorder[graphql.State, graphql.Event](&pairs) }

func options(rec *recorder) *graphql.Options {
	opts := rec.FastOptions()
	opts.Subprotocols = []string{wstest.GraphQLSubprotocol}
	opts.Classify = graphql.Classify
	return opts
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const initMsg = `{"type":"connection_init","payload":{"token":"t"}}`

func handshake() *graphql.Handshake {
	return &graphql.Handshake{Payload: json.RawMessage(`{"token":"t"}`), Timeout: 5 * time.Second}
}

// gate makes the server's Accept wait until the test lets it answer.
type gate chan struct{}

func (g gate) accept(json.RawMessage) error { <-g; return nil }

// After each of 20 reconnects, with Sends waiting from before the new
// connection opened, the server's first message on the new connection is
// connection_init, and the waiting Sends follow in the order they were
// called: waiting Sends are released only once the server acknowledged.
func TestHandshakeGoesFirstAfterEveryReconnect(t *testing.T) {
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	g := make(gate, 1)
	defer close(g)  // an Accept still waiting returns, so that Close does not wait for it
	g <- struct{}{} // the first connection is acknowledged at once
	srv.Accept = g.accept
	rec := newRecorder()
	c, err := graphql.Dial(testCtx(t), srv.URL(), options(rec), handshake())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	rec.WaitFor(t, graphql.Open) // the first connection's transitions
	const rounds, waiting = 20, 3
	for round := range rounds {
		srv.DropAll() // the peer drops TCP: the Conn reconnects
		rec.WaitFor(t, graphql.Authenticating)
		results := make(chan error, waiting)
		for i := range waiting {
			go func() { results <- c.Send(testCtx(t), wsfsm.Text, fmt.Appendf(nil, `{"type":"m%d-%d"}`, round, i)) }()
			wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == i+1 })
		}
		g <- struct{}{} // acknowledge: Open releases the Sends
		for range waiting {
			if err := <-results; err != nil {
				t.Fatalf("round %d: Send: %v", round, err)
			}
		}
		for i := range waiting { // the server echoes them, in order
			if _, data, err := c.Receive(testCtx(t)); err != nil || string(data) != fmt.Sprintf(`{"type":"m%d-%d"}`, round, i) {
				t.Fatalf("round %d: Receive = %q, %v", round, data, err)
			}
		}
		conns := srv.Connections()
		got := conns[len(conns)-1]
		want := []string{initMsg}
		for i := range waiting {
			want = append(want, fmt.Sprintf(`{"type":"m%d-%d"}`, round, i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: the server received %q, want %q", round, got, want)
		}
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// A refused init stops the Conn: a connection_error message (the hook
// classifies RejectedError as Stop), or close 4403 (stop by default).
func TestRefusedInitStops(t *testing.T) {
	for _, message := range []bool{true, false} {
		t.Run(fmt.Sprintf("message=%v", message), func(t *testing.T) {
			srv := wstest.NewGraphQLServer()
			defer srv.Close()
			srv.ErrorMessage = message
			srv.Accept = func(json.RawMessage) error { return errors.New("bad token") }
			rec := newRecorder()
			opts := options(rec)
			opts.RetryFirstDial = true // a refusal stops even so
			_, err := graphql.Dial(testCtx(t), srv.URL(), opts, handshake())
			var re *graphql.RejectedError
			var ce *wsfsm.CloseError
			switch {
			case message && !errors.As(err, &re):
				t.Errorf("Dial = %v, want a RejectedError", err)
			case !message && (!errors.As(err, &ce) || ce.Code != wstest.GraphQLForbidden):
				t.Errorf("Dial = %v, want close 4403", err)
			}
			if got, want := rec.Path(), "Connecting>Authenticating>Aborted>Closed"; got != want {
				t.Errorf("path %s, want %s", got, want)
			}
			if n := len(srv.Connections()); n != 1 {
				t.Errorf("%d connections, want 1: a refusal is not retried", n)
			}
		})
	}
}

// No ack within ack_timeout aborts the connection; the next one succeeds.
func TestAckTimeoutAborts(t *testing.T) {
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	g := make(gate, 1)
	defer close(g)        // an Accept still waiting returns, so that Close does not wait for it
	srv.Accept = g.accept // the first init is never answered in time
	rec := newRecorder()
	opts := options(rec)
	opts.RetryFirstDial = true
	h := handshake()
	h.Timeout = 50 * time.Millisecond
	go func() {
		rec.WaitFor(t, graphql.Reconnecting)
		g <- struct{}{} // the first Accept returns (too late); so does the second
		g <- struct{}{}
	}()
	c, err := graphql.Dial(testCtx(t), srv.URL(), opts, h)
	if err != nil {
		t.Fatal(err)
	}
	var te *wsfsm.TimerError
	for _, tr := range rec.Transitions() {
		if tr.From == graphql.Authenticating && tr.To == graphql.Aborted && !errors.As(tr.Cause, &te) {
			t.Errorf("abort from Authenticating caused by %v, want the ack_timeout TimerError", tr.Cause)
		}
	}
	if te == nil || te.Timer != "ack_timeout" {
		t.Errorf("no abort by ack_timeout; path %s", rec.Path())
	}
	_ = c.Abort()
}

// The reference machine's other paths, in this machine: a peer that
// restarts (1012) right after the ack, a Close the peer never answers, a
// Close while waiting to redial (after 1013), dials refused once the server
// is gone.
func TestReferencePaths(t *testing.T) {
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	srv.IgnoreClose = true
	rec := newRecorder()
	opts := options(rec)
	opts.CloseTimeout = 50 * time.Millisecond
	srv.CloseNextWith(1012) // the first acknowledged connection restarts
	c, err := graphql.Dial(testCtx(t), srv.URL(), opts, handshake())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	rec.WaitFor(t, graphql.Reconnecting) // close from Open, retry from Closing
	rec.WaitFor(t, graphql.Open)
	if err := c.Close(testCtx(t)); !errors.Is(err, wsfsm.ErrCloseTimeout) {
		t.Errorf("Close against a peer that never answers = %v, want ErrCloseTimeout", err)
	}
	<-c.Done() // the observer saw every transition
	if got, want := rec.Path(), "Connecting>Authenticating>Open>Closing>Reconnecting>Connecting>Authenticating>Open>Closing>Aborted>Closed"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}

	srv2 := wstest.NewGraphQLServer()
	rec2 := newRecorder()
	c2, err := graphql.Dial(testCtx(t), srv2.URL(), options(rec2), handshake())
	if err != nil {
		srv2.Close()
		t.Fatal(err)
	}
	defer c2.Abort()
	srv2.CloseNextWith(1013) // try again later: seconds to wait
	srv2.DropAll()
	rec2.WaitFor(t, graphql.Closing)
	rec2.WaitFor(t, graphql.Reconnecting)
	if err := c2.Close(testCtx(t)); err != nil { // stop from Reconnecting
		t.Fatalf("Close: %v", err)
	}
	srv2.Close() // gone: the next Conn's dials are refused

	rec3 := newRecorder()
	srv3 := wstest.NewGraphQLServer()
	c3, err := graphql.Dial(testCtx(t), srv3.URL(), options(rec3), handshake())
	if err != nil {
		srv3.Close()
		t.Fatal(err)
	}
	defer c3.Abort()
	srv3.Close()
	rec3.WaitFor(t, graphql.Aborted)    // from Open
	rec3.WaitFor(t, graphql.Connecting) // redial
	if tr := rec3.WaitFor(t, graphql.Aborted); tr.From != graphql.Connecting {
		t.Errorf("abort from %v, want Connecting (a refused dial)", tr.From)
	}
}

// acknowledged is internal: only send_init fires it. The Conn has no method
// for it, and Fire refuses it, so no application code can skip the
// handshake.
func TestAcknowledgedIsInternal(t *testing.T) {
	if _, ok := reflect.TypeFor[*graphql.Conn]().MethodByName("Acknowledged"); ok {
		t.Error("*graphql.Conn has a method Acknowledged: application code could skip the handshake")
	}
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	rec := newRecorder()
	c, err := graphql.Dial(testCtx(t), srv.URL(), options(rec), handshake())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	err = c.Fire(testCtx(t), graphql.EventAcknowledged, nil)
	if !errors.Is(err, wsfsm.ErrEventNotAllowed) || !strings.Contains(err.Error(), "internal") {
		t.Errorf("Fire(acknowledged) = %v, want ErrEventNotAllowed: internal", err)
	}
}

// The spec's options.subprotocols is the default: a caller who gives none
// still speaks graphql-transport-ws, and one who gives some keeps theirs.
func TestSpecSubprotocolIsTheDefault(t *testing.T) {
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	rec := newRecorder()
	opts := options(rec)
	opts.Subprotocols = nil
	c, err := graphql.Dial(testCtx(t), srv.URL(), opts, handshake())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Subprotocol(); got != wstest.GraphQLSubprotocol {
		t.Errorf("Subprotocol() = %q, want %q from the spec's options", got, wstest.GraphQLSubprotocol)
	}
	if opts.Subprotocols != nil {
		t.Errorf("the caller's options were changed: Subprotocols %q", opts.Subprotocols)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}
