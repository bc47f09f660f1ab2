package wsfsm_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/interop"
)

// The main scenarios against peers not written in Go: Python websockets and
// Node ws. Each peer is started by the test; without it the test skips
// locally and fails under CI=true.
func TestInterop(t *testing.T) {
	interop.EachPeer(t, func(t *testing.T, peer interop.Peer) {

		t.Run("echo and client close", func(t *testing.T) {
			rec := newRecorder()
			c := dial(t, peer.BaseURL+"/echo", fastOptions(rec))
			echo(t, c, "hello "+peer.Name)
			if err := c.Send(testCtx(t), wsfsm.Binary, []byte{0, 0xff, 1}); err != nil {
				t.Fatal(err)
			}
			if typ, got, err := c.Receive(testCtx(t)); err != nil || typ != wsfsm.Binary || string(got) != "\x00\xff\x01" {
				t.Errorf("binary echo = %v %q %v", typ, got, err)
			}
			if err := c.Close(testCtx(t)); err != nil {
				t.Errorf("Close: %v (the peer must answer the close frame)", err)
			}
			expectPath(t, rec, "Connecting>Open>Closing>Closed")
			if got := c.Stats().CloseCode; got != 1000 {
				t.Errorf("peer answered with %d, want 1000", got)
			}
		})

		t.Run("server close 1000 stops", func(t *testing.T) {
			rec := newRecorder()
			c := dial(t, peer.BaseURL+"/close/1000", fastOptions(rec))
			<-c.Done()
			expectPath(t, rec, "Connecting>Open>Closing>Closed")
			var ce *wsfsm.CloseError
			if err := c.Err(); !errors.As(err, &ce) || ce.Code != 1000 || ce.Reason != interop.CloseReason(1000) {
				t.Errorf("Err() = %v, want the peer's 1000 with its reason", err)
			}
		})

		t.Run("server close 1012 reconnects", func(t *testing.T) {
			rec := newRecorder()
			c := dial(t, peer.BaseURL+"/close/1012", fastOptions(rec))
			tr := rec.WaitFor(t, fsm.Reconnecting)
			var ce *wsfsm.CloseError
			if tr.From != fsm.Closing || !errors.As(tr.Cause, &ce) || ce.Code != 1012 {
				t.Errorf("into Reconnecting from %s because %v, want from Closing after 1012", tr.From, tr.Cause)
			}
			rec.WaitFor(t, fsm.Open)
			_ = c.Abort()
		})

		t.Run("unanswered close aborts", func(t *testing.T) {
			rec := newRecorder()
			opts := fastOptions(rec)
			opts.CloseTimeout = 50 * time.Millisecond
			c := dial(t, peer.BaseURL+"/ignore-close", opts)
			echo(t, c, "hello")
			if err := c.Close(testCtx(t)); !errors.Is(err, wsfsm.ErrCloseTimeout) {
				t.Errorf("Close = %v, want ErrCloseTimeout", err)
			}
			expectPath(t, rec, "Connecting>Open>Closing>Aborted>Closed")
		})

		t.Run("drop reconnects", func(t *testing.T) {
			rec := newRecorder()
			c := dial(t, peer.BaseURL+"/drop-after/1", fastOptions(rec))
			echoAcrossDrop(t, c, rec)
			_ = c.Abort()
		})
	})
}
