package wsfsm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/examples/graphql"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// jsonMsg is the JSON protocol of wstest's /ack: {"id":"7",...} to
// acknowledge; {"ack":["7"]} or {"upto":"7"} in return.
type jsonMsg struct {
	ID   string   `json:"id,omitempty"`
	Ack  []string `json:"ack,omitempty"`
	UpTo string   `json:"upto,omitempty"`
}

// jsonOutbox tracks every message with an "id" that has prefix (any id
// when prefix is ""), and reads /ack's acknowledgements.
func jsonOutbox(prefix string) *wsfsm.OutboxOptions {
	return &wsfsm.OutboxOptions{
		Track: func(_ wsfsm.MessageType, data []byte) (string, bool) {
			var m jsonMsg
			if json.Unmarshal(data, &m) != nil || m.ID == "" || !strings.HasPrefix(m.ID, prefix) {
				return "", false
			}
			return m.ID, true
		},
		Acks: func(_ wsfsm.MessageType, data []byte) wsfsm.Ack {
			var m jsonMsg
			if json.Unmarshal(data, &m) != nil {
				return wsfsm.Ack{}
			}
			return wsfsm.Ack{IDs: m.Ack, UpTo: m.UpTo}
		},
	}
}

func msgID(id string) []byte { return fmt.Appendf(nil, `{"id":%q}`, id) }

// ids returns the "id" of each message ("-" for none).
func ids(msgs [][]byte) []string {
	var out []string
	for _, b := range msgs {
		var m jsonMsg
		_ = json.Unmarshal(b, &m)
		out = append(out, cmpOr(m.ID, "-"))
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func deliver(t testing.TB, c interface {
	Deliver(context.Context, wsfsm.MessageType, []byte) (*wsfsm.Receipt, error)
}, id string) *wsfsm.Receipt {
	t.Helper()
	r, err := c.Deliver(testCtx(t), wsfsm.Text, msgID(id))
	if err != nil {
		t.Fatalf("Deliver(%s): %v", id, err)
	}
	return r
}

// closeUnacknowledged closes c and expects the receipts rs, still waiting,
// to fail with ErrClosed.
func closeUnacknowledged(t testing.TB, c *wsfsm.Conn, rs ...*wsfsm.Receipt) {
	t.Helper()
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := r.Wait(testCtx(t)); !errors.Is(err, wsfsm.ErrClosed) {
			t.Errorf("receipt %s after Close: %v, want ErrClosed", r.ID(), err)
		}
	}
}

func waitAcked(t testing.TB, rs ...*wsfsm.Receipt) {
	t.Helper()
	for _, r := range rs {
		if err := r.Wait(testCtx(t)); err != nil {
			t.Fatalf("receipt %s: %v", r.ID(), err)
		}
	}
}

// After a drop, the new connection carries first what OnConnect sends, then
// every unacknowledged message again in its original order, then the Sends
// that waited meanwhile in call order.
func TestOutboxResendsFirstInOrder(t *testing.T) {
	srv := newSeqServer(t, "/ack?mode=never&drop=5", "/ack")
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.Outbox = jsonOutbox("")
	gate, inConnect := make(chan struct{}), make(chan struct{})
	var dials atomic.Int32
	opts.OnConnect = func(ctx context.Context, s *wsfsm.Setup) error {
		if dials.Add(1) == 1 {
			return nil
		}
		if err := s.Send(ctx, wsfsm.Text, []byte(`{"hello":1}`)); err != nil {
			return err
		}
		close(inConnect)
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := dial(t, srv.URL(), opts)
	var rs []*wsfsm.Receipt
	for i := 1; i <= 5; i++ { // the 5th is the last the first connection reads
		rs = append(rs, deliver(t, c, fmt.Sprint("m", i)))
	}
	select {
	case <-inConnect:
	case <-testCtx(t).Done():
		t.Fatal("no second connection")
	}
	var wg sync.WaitGroup
	waiting := make([]*wsfsm.Receipt, 3)
	for i := range 3 { // call order: one waits before the next is called
		wg.Go(func() { waiting[i] = deliver(t, c, fmt.Sprint("m", 6+i)) })
		wsfsmtest.Eventually(t, "Send waits", func() bool { return c.Stats().SendsWaiting == i+1 })
	}
	close(gate)
	wg.Wait()
	waitAcked(t, append(rs, waiting...)...)

	conns := srv.Router().ConnMessages()
	want := []string{"-", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"}
	if len(conns) != 2 || !slices.Equal(ids(conns[1]), want) {
		t.Fatalf("second connection got %v, want %v (all: %d connections)", ids(conns[len(conns)-1]), want, len(conns))
	}
	if got := ids(conns[0]); !slices.Equal(got, want[1:6]) {
		t.Errorf("first connection got %v", got)
	}
	counts := srv.Router().AckCounts()
	if counts.Duplicates != 5 || counts.Unique != 8 || counts.Drops != 1 {
		t.Errorf("server counts %+v, want 5 duplicates of 8 ids, 1 drop", counts)
	}
	st := c.OutboxStats()
	if st.Resent != 5 || st.Acknowledged != 8 || st.Waiting != 0 {
		t.Errorf("outbox stats %+v, want 5 resent, 8 acknowledged, none waiting", st)
	}
	// The acknowledgements were the outbox's: Receive never sees them.
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	if _, data, err := c.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive = %q, %v; want nothing (acknowledgements are consumed)", data, err)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// A cumulative acknowledgement covers what came before it on the
// connection; several ids in one acknowledgement each count.
func TestOutboxCumulativeAndBatchedAcks(t *testing.T) {
	for _, mode := range []string{"cumulative", "id"} {
		t.Run(mode, func(t *testing.T) {
			srv := newServer(t)
			opts := fastOptions(newRecorder())
			opts.Outbox = jsonOutbox("")
			c := dial(t, srv.URL("/ack?every=3&mode="+mode), opts)
			var rs []*wsfsm.Receipt
			for i := range 6 {
				rs = append(rs, deliver(t, c, fmt.Sprint("c", i)))
			}
			waitAcked(t, rs...)
			// The server counts an acknowledgement once written.
			wsfsmtest.Eventually(t, "6 messages acknowledged in 2", func() bool {
				got := srv.AckCounts()
				return got.Acks == 2 && got.Messages == 6
			})
			// One more waits for its batch: it stays unacknowledged.
			r := deliver(t, c, "c6")
			if got := c.Unacknowledged(); len(got) != 1 || got[0].ID != "c6" {
				t.Errorf("Unacknowledged = %v, want c6", got)
			}
			closeUnacknowledged(t, c, r)
		})
	}
}

// An acknowledgement that never comes: after AckTimeout the message is
// written again on the same connection, up to MaxResends, then given up;
// or given up at once with GiveUpOnTimeout.
func TestOutboxAckTimeout(t *testing.T) {
	t.Run("resend", func(t *testing.T) {
		srv := newServer(t)
		opts := fastOptions(newRecorder())
		opts.Outbox = jsonOutbox("")
		opts.Outbox.AckTimeout = 20 * time.Millisecond
		opts.Outbox.MaxResends = 2
		c := dial(t, srv.URL("/ack?mode=never"), opts)
		r := deliver(t, c, "x")
		err := r.Wait(testCtx(t))
		if !errors.Is(err, wsfsm.ErrGivenUp) {
			t.Fatalf("receipt: %v, want ErrGivenUp", err)
		}
		wsfsmtest.Eventually(t, "3 copies", func() bool { return srv.AckCounts().Messages == 3 })
		if got := srv.AckCounts(); got.Duplicates != 2 {
			t.Errorf("server counts %+v, want the first write and 2 more", got)
		}
		if st := c.OutboxStats(); st.GivenUp != 1 || st.Resent != 2 || st.Waiting != 0 {
			t.Errorf("outbox stats %+v", st)
		}
		if c.State().String() != "Open" {
			t.Errorf("state %s: a timeout does not touch the connection", c.State())
		}
	})
	t.Run("give up", func(t *testing.T) {
		srv := newServer(t)
		opts := fastOptions(newRecorder())
		opts.Outbox = jsonOutbox("")
		opts.Outbox.AckTimeout = 20 * time.Millisecond
		opts.Outbox.OnAckTimeout = wsfsm.GiveUpOnTimeout
		c := dial(t, srv.URL("/ack?mode=never"), opts)
		r := deliver(t, c, "y")
		if err := r.Wait(testCtx(t)); !errors.Is(err, wsfsm.ErrGivenUp) {
			t.Fatalf("receipt: %v, want ErrGivenUp", err)
		}
		// Room is free again: the same id may be sent anew.
		if _, err := c.Deliver(testCtx(t), wsfsm.Text, msgID("y")); err != nil {
			t.Errorf("Deliver after give-up: %v", err)
		}
		if st := c.OutboxStats(); st.GivenUp != 1 || st.Resent != 0 {
			t.Errorf("outbox stats %+v", st)
		}
	})
}

// The bound: FailFast refuses the message past MaxMessages or MaxBytes;
// otherwise the Send waits for room, bounded by its ctx, and goes out
// once an acknowledgement frees some.
func TestOutboxBound(t *testing.T) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	opts.Outbox = jsonOutbox("t") // ids u... are not tracked
	opts.Outbox.MaxMessages = 1
	opts.Outbox.MaxBytes = 64
	c := dial(t, srv.URL("/ack?every=2"), opts)

	if _, err := c.Deliver(testCtx(t), wsfsm.Text, fmt.Appendf(nil, `{"id":"t0","pad":%q}`, strings.Repeat("x", 64))); !errors.Is(err, wsfsm.ErrOutboxFull) {
		t.Errorf("a message larger than MaxBytes: %v, want ErrOutboxFull", err)
	}
	r1 := deliver(t, c, "t1") // not acknowledged until a second id arrives
	ctx, cancel := context.WithTimeout(testCtx(t), 30*time.Millisecond)
	defer cancel()
	if err := c.Send(ctx, wsfsm.Text, msgID("t2")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send on a full outbox: %v, want its ctx's end", err)
	}
	if err := c.SendNow(testCtx(t), wsfsm.Text, msgID("t2")); !errors.Is(err, wsfsm.ErrOutboxFull) {
		t.Errorf("SendNow on a full outbox: %v, want ErrOutboxFull", err)
	}
	if _, err := c.Deliver(testCtx(t), wsfsm.Text, msgID("t1")); !errors.Is(err, wsfsm.ErrDuplicateID) {
		t.Errorf("Deliver of an id waiting: %v, want ErrDuplicateID", err)
	}
	if _, err := c.Deliver(testCtx(t), wsfsm.Text, msgID("u1")); !errors.Is(err, wsfsm.ErrNotTracked) {
		t.Errorf("Deliver of an untracked message: %v, want ErrNotTracked", err)
	}
	done := make(chan *wsfsm.Receipt, 1)
	go func() { done <- deliver(t, c, "t2") }()
	wsfsmtest.Eventually(t, "t2 waits for room", func() bool { return c.OutboxStats().SendsWaiting == 1 })
	// An untracked message completes the server's batch: t1 is acknowledged,
	// and t2 goes out.
	if err := c.Send(testCtx(t), wsfsm.Text, msgID("u2")); err != nil {
		t.Fatal(err)
	}
	waitAcked(t, r1)
	r2 := <-done
	wsfsmtest.Eventually(t, "the server reads t2", func() bool { return len(srv.Messages()) == 3 })
	if got, want := ids(srv.Messages()), []string{"t1", "u2", "t2"}; !slices.Equal(got, want) {
		t.Errorf("server got %v, want %v: t2 waited for room", got, want)
	}
	if st := c.OutboxStats(); st.Waiting != 1 || st.Acknowledged != 1 {
		t.Errorf("outbox stats %+v, want t2 waiting", st)
	}

	opts.Outbox.FailFast = true
	c2 := dial(t, srv.URL("/ack?mode=never"), opts)
	deliver(t, c2, "t3")
	if err := c2.Send(testCtx(t), wsfsm.Text, msgID("t4")); !errors.Is(err, wsfsm.ErrOutboxFull) {
		t.Errorf("FailFast on a full outbox: %v, want ErrOutboxFull", err)
	}
	closeUnacknowledged(t, c, r2)
}

// Close does not wait for acknowledgements: receipts of the messages still
// waiting fail with ErrClosed, and the messages stay, in order, in
// Unacknowledged and in the Store; a Conn dialed with the same Store writes
// them first on its first connection.
func TestOutboxCloseKeepsUnacknowledged(t *testing.T) {
	srv := newServer(t)
	store := wsfsm.NewMemoryStore()
	opts := fastOptions(newRecorder())
	opts.Outbox = jsonOutbox("")
	opts.Outbox.Store = store
	c := dial(t, srv.URL("/ack?mode=never"), opts)
	closeUnacknowledged(t, c, deliver(t, c, "k1"), deliver(t, c, "k2"))
	var left []string
	for _, m := range c.Unacknowledged() {
		left = append(left, m.ID)
	}
	if !slices.Equal(left, []string{"k1", "k2"}) {
		t.Errorf("Unacknowledged = %v", left)
	}
	if got, _ := store.Messages(); len(got) != 2 {
		t.Errorf("store holds %d messages, want 2", len(got))
	}

	c2 := dial(t, srv.URL("/ack"), opts)
	r3 := deliver(t, c2, "k3")
	waitAcked(t, r3)
	wsfsmtest.Eventually(t, "the store empties", func() bool {
		got, _ := store.Messages()
		return len(got) == 0 && c2.OutboxStats().Waiting == 0
	})
	conns := srv.ConnMessages()
	if got := ids(conns[len(conns)-1]); !slices.Equal(got, []string{"k1", "k2", "k3"}) {
		t.Errorf("the next Conn's first connection got %v", got)
	}
}

// A Track or Acks missing is a configuration error.
func TestOutboxNeedsTrackAndAcks(t *testing.T) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	opts.Outbox = &wsfsm.OutboxOptions{Track: jsonOutbox("").Track}
	if _, err := wsfsm.Dial(testCtx(t), srv.URL("/ack"), opts); !errors.Is(err, wsfsm.ErrBadConfig) {
		t.Errorf("Dial: %v, want ErrBadConfig", err)
	}
}

// A spec with its own handshake state (graphql-transport-ws's
// Authenticating): the messages left unacknowledged by a drop are written
// again only once the new connection's handshake handed over to Open,
// after connection_init. The server acknowledges by echoing a message.
func TestOutboxWaitsForTheSpecsHandshake(t *testing.T) {
	srv := wstest.NewGraphQLServer()
	defer srv.Close()
	second := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	var inits atomic.Int32
	srv.Accept = func(json.RawMessage) error {
		if inits.Add(1) == 2 {
			close(second)
			<-release
		}
		return nil
	}
	var acking atomic.Bool // the first connection's echoes acknowledge nothing
	rec := wsfsmtest.NewRecorder[graphql.State, graphql.Event](nil)
	opts := rec.FastOptions()
	opts.Outbox = &wsfsm.OutboxOptions{
		Track: jsonOutbox("").Track,
		Acks: func(_ wsfsm.MessageType, data []byte) wsfsm.Ack {
			var m jsonMsg
			if !acking.Load() || json.Unmarshal(data, &m) != nil || m.ID == "" {
				return wsfsm.Ack{}
			}
			return wsfsm.Ack{IDs: []string{m.ID}}
		},
	}
	c, err := graphql.Dial(testCtx(t), srv.URL(), opts, &graphql.Handshake{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	rs := []*wsfsm.Receipt{deliver(t, c, "g1"), deliver(t, c, "g2")}
	for range 2 { // echoed, not acknowledged: they reach Receive
		if _, _, err := c.Receive(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	acking.Store(true)
	srv.DropAll()
	<-second // the new connection waits in Authenticating for connection_ack
	if st, s := c.OutboxStats(), c.State(); st.Resent != 0 || s != graphql.Authenticating {
		t.Fatalf("during the handshake: state %s, outbox %+v; want Authenticating, nothing resent", s, st)
	}
	release <- struct{}{}
	waitAcked(t, rs...)
	conns := srv.Connections()
	if len(conns) != 2 || len(conns[1]) < 3 || !strings.Contains(conns[1][0], "connection_init") ||
		!slices.Equal(ids(toBytes(conns[1][1:3])), []string{"g1", "g2"}) {
		t.Fatalf("connections got %q; want the second to carry connection_init, then g1, g2", conns)
	}
	if st := c.OutboxStats(); st.Resent != 2 {
		t.Errorf("outbox stats %+v, want 2 resent", st)
	}
}

func toBytes(ss []string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}
