package wsfsm_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/testspecs/handshake"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// Item 1, in fake time: on the spec without close_timeout and
// handshake_timeout, Close returns exactly CloseTimeout after the close
// frame went unanswered, and Dial exactly HandshakeTimeout after the upgrade
// went unanswered.
func TestBoundsWithoutTimersSynctest(t *testing.T) {
	const bound = 200 * time.Millisecond
	options := func(r *wstest.Router) *handshake.Options {
		o := hostileOptions(wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil))
		o.HandshakeTimeout, o.CloseTimeout = bound, bound
		o.NetDialContext = r.PipeDialer()
		return o
	}
	t.Run("Close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := wstest.NewRouter()
			defer r.Shutdown()
			c, err := handshake.Dial(t.Context(), "ws://pipe/ignore-close", options(r), ackExt{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.Close(context.Background())
			if !errors.Is(err, wsfsm.ErrCloseTimeout) {
				t.Errorf("Close = %v, want ErrCloseTimeout", err)
			}
			if d := time.Since(start); d != bound {
				t.Errorf("Close returned after %v, want %v", d, bound)
			}
			<-c.Done()
		})
	})
	t.Run("Dial", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := wstest.NewRouter()
			defer r.Shutdown()
			start := time.Now()
			_, err := handshake.Dial(context.Background(), "ws://pipe/stall", options(r), ackExt{})
			if !errors.Is(err, wsfsm.ErrHandshakeTimeout) {
				t.Errorf("Dial = %v, want ErrHandshakeTimeout", err)
			}
			if d := time.Since(start); d != bound {
				t.Errorf("Dial returned after %v, want %v", d, bound)
			}
		})
	})
	t.Run("DialWithHookIgnoringCtx", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := wstest.NewRouter()
			defer r.Shutdown()
			opts := options(r)
			release := make(chan struct{})
			defer close(release) // the hook's goroutine ends before the bubble
			opts.OnConnect = func(context.Context, *wsfsm.Setup) error { <-release; return nil }
			start := time.Now()
			_, err := handshake.Dial(context.Background(), "ws://pipe/echo", opts, ackExt{})
			if !errors.Is(err, wsfsm.ErrHandshakeTimeout) {
				t.Errorf("Dial = %v, want ErrHandshakeTimeout", err)
			}
			if d := time.Since(start); d != bound {
				t.Errorf("Dial returned after %v, want %v", d, bound)
			}
		})
	})
}
