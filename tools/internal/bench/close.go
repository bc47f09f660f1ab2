package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// abortSlice is how many aborts one side makes before the other takes over.
const abortSlice = 20

// measureAbort times, n times for each of two sides taking turns every
// abortSlice aborts (the first side alternating with round):
//
//   - wsfsm: Abort() on an Open Conn whose Receive is blocked, until both
//     Abort and that Receive have returned (Abort returns once the Conn is
//     Closed and its file descriptors are closed);
//   - gorilla: Close (which only closes TCP) on a connection whose
//     ReadMessage is blocked, until that ReadMessage returned.
//
// It returns the p99 of each, and checks that the round left no file
// descriptor open.
func measureAbort(ctx context.Context, echoURL string, n, round int) (conn, gorilla time.Duration, err error) {
	fds0, err := openFDs()
	if err != nil {
		return 0, 0, err
	}
	var lat [2][]time.Duration
	sides := [2]func(context.Context, string) (time.Duration, error){gorillaAbortOnce, abortOnce}
	for side := range sides {
		for range warmup {
			if _, err := sides[side](ctx, echoURL); err != nil {
				return 0, 0, err
			}
		}
	}
	for i := 0; len(lat[0]) < n || len(lat[1]) < n; i++ {
		for k := range 2 {
			side := (i + round + k) % 2
			for range abortSlice {
				d, err := sides[side](ctx, echoURL)
				if err != nil {
					return 0, 0, err
				}
				lat[side] = append(lat[side], d)
			}
		}
	}
	if fds1, err := openFDs(); err != nil {
		return 0, 0, err
	} else if fds1 > fds0 {
		return 0, 0, fmt.Errorf("bench: abort left %d file descriptors open", fds1-fds0)
	}
	return percentile(lat[1], 0.99), percentile(lat[0], 0.99), nil
}

func abortOnce(ctx context.Context, echoURL string) (time.Duration, error) {
	c, err := wsfsm.Dial(ctx, echoURL, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	echoed := make(chan error, 1)
	returned := make(chan time.Time, 1)
	go func() {
		_, _, err := c.Receive(ctx) // the echo: the reader is running
		echoed <- err
		_, _, _ = c.Receive(ctx) // blocks until Abort
		returned <- time.Now()
	}()
	if err := c.Send(ctx, wsfsm.Binary, []byte("x")); err != nil {
		c.Abort()
		return 0, fmt.Errorf("bench: send: %w", err)
	}
	if err := <-echoed; err != nil {
		c.Abort()
		return 0, fmt.Errorf("bench: receive: %w", err)
	}
	return timeAbort(c, returned), nil
}

// timeAbort aborts c and returns how long until both Abort and the Receive
// blocked on c (which sends the time it returned on returned) returned.
func timeAbort(c *wsfsm.Conn, returned <-chan time.Time) time.Duration {
	// Let the receiving goroutine block again; being early only makes the
	// measured time longer, never shorter.
	time.Sleep(200 * time.Microsecond)
	t0 := time.Now()
	_ = c.Abort()
	tAbort := time.Now()
	tRecv := <-returned
	if tRecv.After(tAbort) {
		return tRecv.Sub(t0)
	}
	return tAbort.Sub(t0)
}

// gorillaAbortOnce is abortOnce's reference: raw gorilla's Close (which
// only closes TCP) on a connection whose ReadMessage is blocked, until that
// ReadMessage returned.
func gorillaAbortOnce(ctx context.Context, echoURL string) (time.Duration, error) {
	d := websocket.Dialer{}
	ws, _, err := d.DialContext(ctx, echoURL, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: gorilla dial: %w", err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte("x")); err != nil {
		ws.Close()
		return 0, fmt.Errorf("bench: gorilla write: %w", err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		ws.Close()
		return 0, fmt.Errorf("bench: gorilla read: %w", err)
	}
	returned := make(chan time.Time, 1)
	go func() {
		_, _, _ = ws.ReadMessage() // blocks until Close
		returned <- time.Now()
	}()
	time.Sleep(200 * time.Microsecond) // as in abortOnce
	t0 := time.Now()
	ws.Close()
	return (<-returned).Sub(t0), nil
}

// openFDs counts this process's open file descriptors.
func openFDs() (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, fmt.Errorf("bench: counting fds: %w", err)
	}
	return len(ents), nil
}

// measureClose times n graceful Close calls against /echo, which answers
// the close frame.
func measureClose(ctx context.Context, echoURL string, n int) (p50 time.Duration, err error) {
	lat := make([]time.Duration, 0, n)
	for i := range n + warmup {
		c, err := wsfsm.Dial(ctx, echoURL, nil)
		if err != nil {
			return 0, fmt.Errorf("bench: %w", err)
		}
		t0 := time.Now()
		err = c.Close(ctx)
		d := time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("bench: close: %w", err)
		}
		if i >= warmup {
			lat = append(lat, d)
		}
	}
	return percentile(lat, 0.50), nil
}

// measureUnresponsiveClose runs n Close calls against /ignore-close, which
// never answers the close frame, with CloseTimeout timeout, and returns the
// largest overshoot: Close's duration minus timeout.
func measureUnresponsiveClose(ctx context.Context, ignoreURL string, n int, timeout time.Duration) (worst time.Duration, err error) {
	for range n {
		c, err := wsfsm.Dial(ctx, ignoreURL, &wsfsm.Options{CloseTimeout: timeout})
		if err != nil {
			return 0, fmt.Errorf("bench: %w", err)
		}
		t0 := time.Now()
		err = c.Close(ctx)
		d := time.Since(t0)
		if !errors.Is(err, wsfsm.ErrCloseTimeout) {
			return 0, fmt.Errorf("bench: close against a silent peer returned %v, want ErrCloseTimeout", err)
		}
		worst = max(worst, d-timeout)
	}
	return worst, nil
}
