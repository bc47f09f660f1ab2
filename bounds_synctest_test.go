package wsfsm_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/testspecs/handshake"
	"github.com/wsfsm/wsfsm/internal/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// hijackWriter is the http.ResponseWriter of a request read off one end of a
// net.Pipe: the router upgrades by hijacking that end.
type hijackWriter struct {
	conn net.Conn
	rw   *bufio.ReadWriter
	hdr  http.Header
}

func (w *hijackWriter) Header() http.Header         { return w.hdr }
func (w *hijackWriter) Write(b []byte) (int, error) { return w.conn.Write(b) }
func (w *hijackWriter) WriteHeader(int)             {}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, w.rw, nil
}

// pipeDialer is an Options.NetDialContext that connects every dial to r
// over a net.Pipe: no socket and no real clock, so that inside a synctest
// bubble the bounds are measured in fake time, exactly.
func pipeDialer(r *wstest.Router) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			br := bufio.NewReader(server)
			req, err := http.ReadRequest(br)
			if err != nil {
				server.Close()
				return
			}
			r.ServeHTTP(&hijackWriter{server, bufio.NewReadWriter(br, bufio.NewWriter(server)), http.Header{}}, req)
		}()
		return client, nil
	}
}

// Item 1, in fake time: on the spec without close_timeout and
// handshake_timeout, Close returns exactly CloseTimeout after the close
// frame went unanswered, and Dial exactly HandshakeTimeout after the upgrade
// went unanswered.
func TestBoundsWithoutTimersSynctest(t *testing.T) {
	const bound = 200 * time.Millisecond
	options := func(r *wstest.Router) *handshake.Options {
		o := hostileOptions(wsfsmtest.NewRecorder[handshake.State, handshake.Event](nil))
		o.HandshakeTimeout, o.CloseTimeout = bound, bound
		o.NetDialContext = pipeDialer(r)
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
