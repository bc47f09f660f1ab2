package wstest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// echo sends every message back with its type until the peer goes away.
// gorilla's default handlers answer pings and echo a close frame.
func (r *Router) echo(c *conn, _ *http.Request) {
	echoN(c, -1)
}

// echoN echoes up to n messages (n < 0: no limit) and reports whether it
// echoed all n.
func echoN(c *conn, n int) bool {
	for i := 0; n < 0 || i < n; i++ {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			return false
		}
		if err := c.ws.WriteMessage(typ, msg); err != nil {
			return false
		}
	}
	return true
}

// closeWith echoes ?after=N messages (default 0), sends a close frame with
// code and ?reason= (default "wstest"), waits up to DefaultCloseWait for the
// client's answer and shuts TCP. Code 1006 means: shut TCP with no close
// frame; 1005 sends an empty close frame.
func (r *Router) closeWith(c *conn, req *http.Request, code int) {
	q := req.URL.Query()
	if after, err := strconv.Atoi(q.Get("after")); err == nil && after > 0 {
		if !echoN(c, after) {
			return
		}
	}
	if code == websocket.CloseAbnormalClosure {
		return // release shuts TCP without a close frame
	}
	reason := "wstest"
	if q.Has("reason") {
		reason = q.Get("reason")
	}
	deadline := time.Now().Add(DefaultCloseWait)
	if err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline); err != nil {
		return
	}
	// The read deadline is only a kill signal: nothing is read afterwards.
	c.ws.SetReadDeadline(deadline)
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// ignoreClose echoes, but never answers a close frame and never shuts TCP by
// itself: after the close frame it swallows raw bytes until the client goes.
func (r *Router) ignoreClose(c *conn, _ *http.Request) {
	c.ws.SetCloseHandler(func(int, string) error { return nil })
	for {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			if isRealClose(err) {
				// gorilla will not read again; drain the socket so the
				// client's TCP close (or abort) is noticed.
				io.Copy(io.Discard, c.nc)
			}
			return
		}
		if err := c.ws.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}

// dropAfter echoes n messages, then shuts TCP with no close frame.
func (r *Router) dropAfter(c *conn, n int) {
	echoN(c, n)
}

// silent never reads or writes (so it answers neither pings nor close
// frames) until dropped, or until ?for=DURATION elapses.
func (r *Router) silent(c *conn, req *http.Request) {
	d, _ := time.ParseDuration(req.URL.Query().Get("for"))
	waitKill(c, d)
}

// sink reads and records every message until the peer goes away.
func (r *Router) sink(c *conn, _ *http.Request) {
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		r.record(c, msg)
	}
}

// reject refuses the upgrade with the status in the path. 429 and 503 carry
// Retry-After from ?retry_after= (default "2"; any text is passed through, so
// an HTTP-date works too).
func (r *Router) reject(w http.ResponseWriter, req *http.Request, status string) {
	code, err := strconv.Atoi(status)
	if err != nil || code < 200 || code > 599 || code == http.StatusSwitchingProtocols {
		http.Error(w, "wstest: bad status", http.StatusBadRequest)
		return
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		ra, err := retryAfter(req.URL.Query().Get("retry_after"))
		if err != nil {
			http.Error(w, "wstest: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Retry-After", ra)
	}
	http.Error(w, "wstest: rejected with "+strconv.Itoa(code), code)
}

// maxRetryAfter bounds a Retry-After range, in seconds (a day).
const maxRetryAfter = 86400

// retryAfter is the Retry-After value for the query value q: "2" when q is
// empty; for a range "LO-HI" of whole seconds, a number drawn uniformly in
// it on every call, so that clients refused together come back spread over
// the window (server-led recovery); anything else (seconds, an HTTP-date)
// as it is.
func retryAfter(q string) (string, error) {
	if q == "" {
		return "2", nil
	}
	lo, hi, ok := strings.Cut(q, "-")
	if !ok || lo == "" || strings.ContainsFunc(q, func(r rune) bool { return r != '-' && (r < '0' || r > '9') }) {
		return q, nil
	}
	a, errA := strconv.Atoi(lo)
	b, errB := strconv.Atoi(hi)
	if errA != nil || errB != nil || a > b || b > maxRetryAfter {
		return "", fmt.Errorf("bad retry_after range %q: want LO-HI, whole seconds, 0 <= LO <= HI <= %d", q, maxRetryAfter)
	}
	return strconv.Itoa(a + rand.IntN(b-a+1)), nil
}
