package wstest

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// pingPrefix starts the payload of every ping /ping sends; the ping's
// number follows.
const pingPrefix = "wstest ping "

// ping parses /ping's query and serves it.
func (r *Router) ping(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	every := DefaultPingEvery
	if s := q.Get("every"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			http.Error(w, "wstest: bad ?every= (a positive duration such as 500ms)", http.StatusBadRequest)
			return
		}
		every = d
	}
	count := 0
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			http.Error(w, "wstest: bad ?count= (1 or more)", http.StatusBadRequest)
			return
		}
		count = n
	}
	r.serve(w, req, func(c *conn, _ *http.Request) { pinger(c, every, count) })
}

// pinger echoes and pings every interval; each pong that answers one of its
// pings is reported with "pong K", and after count of them (0: never) it
// closes with 1000.
func pinger(c *conn, every time.Duration, count int) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		c.drop() // unblocks a ping being written to a client that stopped reading
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for k := 1; count == 0 || k <= count; k++ {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			payload := []byte(pingPrefix + strconv.Itoa(k))
			if c.ws.WriteControl(websocket.PingMessage, payload, time.Now().Add(DefaultCloseWait)) != nil {
				return
			}
		}
	}()

	// The pong handler runs inside ReadMessage, on this goroutine: it is the
	// only writer of data messages.
	answered, closing := 0, false
	c.ws.SetPongHandler(func(data string) error {
		k, ok := strings.CutPrefix(data, pingPrefix)
		if !ok || closing {
			return nil
		}
		answered++
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte("pong "+k)); err != nil {
			return err
		}
		if count > 0 && answered == count {
			closing = true
			deadline := time.Now().Add(DefaultCloseWait)
			if err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "pings answered"), deadline); err != nil {
				return err
			}
			c.ws.SetReadDeadline(deadline) // a kill signal: read only the answer
		}
		return nil
	})
	for {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if closing {
			continue // gorilla refuses data after a close frame
		}
		if err := c.ws.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}

// Payloads of /ping-flood's pings: "flood K", then floodLast.
const (
	floodPrefix = "flood "
	floodLast   = "flood last"
)

// pingFlood parses /ping-flood's query and serves it.
func (r *Router) pingFlood(w http.ResponseWriter, req *http.Request) {
	n := DefaultPingFlood
	if s := req.URL.Query().Get("count"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 0 || n > MaxPingFlood {
			http.Error(w, "wstest: bad ?count= (0 to 1000000)", http.StatusBadRequest)
			return
		}
	}
	r.serve(w, req, func(c *conn, _ *http.Request) { flood(c, n) })
}

// flood sends n pings back to back and one more, waits (up to
// DefaultCloseWait) for the pong of the last one, reports how many pongs came
// and closes with 1000. A reader goroutine discards data and counts pongs.
func flood(c *conn, n int) {
	var pongs atomic.Int64
	lastPong := make(chan struct{})
	var once sync.Once
	c.ws.SetPongHandler(func(data string) error {
		if strings.HasPrefix(data, floodPrefix) {
			pongs.Add(1)
		}
		if data == floodLast {
			once.Do(func() { close(lastPong) })
		}
		return nil
	})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			if _, _, err := c.ws.NextReader(); err != nil {
				return
			}
		}
	}()
	defer func() {
		c.drop()
		<-readerDone
	}()

	for k := 1; k <= n+1; k++ {
		payload := floodLast
		if k <= n {
			payload = floodPrefix + strconv.Itoa(k)
		}
		if c.ws.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(DefaultCloseWait)) != nil {
			return
		}
	}
	wait := time.NewTimer(DefaultCloseWait)
	defer wait.Stop()
	select {
	case <-lastPong:
	case <-wait.C: // report what came
	case <-readerDone:
		return // the client left
	}
	summary := "ping-flood: sent " + strconv.Itoa(n+1) + " pings, received " + strconv.FormatInt(pongs.Load(), 10) + " pongs"
	if c.ws.WriteMessage(websocket.TextMessage, []byte(summary)) != nil {
		return
	}
	deadline := time.Now().Add(DefaultCloseWait)
	if c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "ping flood over"), deadline) != nil {
		return
	}
	c.ws.SetReadDeadline(deadline) // a kill signal for the reader
	<-readerDone
}
