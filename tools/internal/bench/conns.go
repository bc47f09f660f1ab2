package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// Kinds of idle connections a conns child holds.
const (
	KindConn    = "wsfsm"   // wsfsm.Conn with default options (keepalive on)
	KindGorilla = "gorilla" // raw gorilla, one reader goroutine each
	// KindGorillaPooled is KindGorilla with the write-buffer pool wsfsm
	// uses: a sync.Pool of each connection's own as Dialer.WriteBufferPool,
	// so the write buffer is held only while a message is written.
	KindGorillaPooled = "gorilla-pooled"
)

// ErrUnknownKind is returned by ConnsChild for a kind other than KindConn,
// KindGorilla and KindGorillaPooled.
var ErrUnknownKind = errors.New("bench: unknown connection kind")

// ConnsResult is what a conns child measured.
type ConnsResult struct {
	Kind              string  `json:"kind"`
	Conns             int     `json:"conns"`
	KiBPerConn        float64 `json:"kib_per_conn"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
}

// dialWorkers is how many dials run at once when opening many connections.
const dialWorkers = 32

// ConnsChild is the body of a conns child process: it opens n idle
// connections of kind to url (with echo, each sends one 64 B binary
// message and reads its echo first), measures the growth of its resident
// memory (VmRSS, after a GC that returns freed memory to the OS, before and
// after) and goroutines, writes a ConnsResult as one JSON line to stdout,
// and closes everything.
func ConnsChild(ctx context.Context, kind string, n int, url string, echo bool, stdout io.Writer) error {
	if kind != KindConn && kind != KindGorilla && kind != KindGorillaPooled {
		return fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	if err := raiseNoFile(); err != nil {
		return err
	}
	rss0, g0, err := footprint()
	if err != nil {
		return err
	}

	closers := make([]func(), n)
	defer func() {
		var wg sync.WaitGroup
		for _, c := range closers {
			if c != nil {
				wg.Go(c)
			}
		}
		wg.Wait()
	}()
	err = parallel(ctx, n, dialWorkers, func(i int) error {
		switch kind {
		case KindConn:
			c, err := wsfsm.Dial(ctx, url, nil)
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			closers[i] = func() { _ = c.Abort() }
			if echo {
				if err := c.Send(ctx, wsfsm.Binary, make([]byte, 64)); err != nil {
					return fmt.Errorf("bench: send: %w", err)
				}
				if _, _, err := c.Receive(ctx); err != nil {
					return fmt.Errorf("bench: receive: %w", err)
				}
			}
		default:
			d := websocket.Dialer{}
			if kind == KindGorillaPooled {
				d.WriteBufferPool = &sync.Pool{}
			}
			ws, _, err := d.DialContext(ctx, url, nil)
			if err != nil {
				return fmt.Errorf("bench: gorilla dial: %w", err)
			}
			if echo {
				if err := ws.WriteMessage(websocket.BinaryMessage, make([]byte, 64)); err != nil {
					ws.Close()
					return fmt.Errorf("bench: gorilla write: %w", err)
				}
				if _, _, err := ws.ReadMessage(); err != nil {
					ws.Close()
					return fmt.Errorf("bench: gorilla read: %w", err)
				}
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, _, err := ws.NextReader(); err != nil {
						return
					}
				}
			}()
			closers[i] = func() { ws.Close(); <-done }
		}
		return nil
	})
	if err != nil {
		return err
	}
	rss1, g1, err := footprint()
	if err != nil {
		return err
	}
	res := ConnsResult{
		Kind:              kind,
		Conns:             n,
		KiBPerConn:        float64(rss1-rss0) / float64(n),
		GoroutinesPerConn: float64(g1-g0) / float64(n),
	}
	b, _ := json.Marshal(res)
	if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
		return fmt.Errorf("bench: conns child stdout: %w", err)
	}
	return nil
}

// footprint settles the process, then returns its resident memory and its
// number of goroutines: what ConnsChild measures before and after.
func footprint() (rssKiB int64, goroutines int, err error) {
	settle()
	rssKiB, err = vmRSSKiB()
	return rssKiB, runtime.NumGoroutine(), err
}

// settle runs the GC and returns freed memory to the OS, so that RSS shows
// live memory; a short pause lets goroutines that are starting or ending
// get there.
func settle() {
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	debug.FreeOSMemory()
}

// vmRSSKiB reads VmRSS from /proc/self/status.
func vmRSSKiB() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("bench: reading /proc/self/status: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("bench: no VmRSS in /proc/self/status")
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// runConnsChild runs one conns child process for kind against url (with
// echo: one echo on each connection) and returns what it measured.
func runConnsChild(ctx context.Context, self []string, kind string, n int, url string, echo bool) (ConnsResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	args := append(append([]string(nil), self...), "-conns-child", kind, "-conns-n", strconv.Itoa(n), "-conns-url", url)
	if echo {
		args = append(args, "-conns-echo")
	}
	cmd := childCommand(ctx, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return ConnsResult{}, fmt.Errorf("bench: conns child %s: %w: %s", kind, err, strings.TrimSpace(stderr.String()))
	}
	var res ConnsResult
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &res); err == nil && res.Kind == kind {
			return res, nil
		}
	}
	return ConnsResult{}, fmt.Errorf("bench: conns child %s printed no result: %q", kind, stdout.String())
}
