package wstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
)

// The /ack route speaks a small JSON protocol with acknowledgements, the
// peer of a client's outbox (wsfsm's Options.Outbox):
//
//	client: {"id":"7", ...}        a message to acknowledge; "id" is a JSON string or number
//	server: {"ack":["7","8"]}      ?mode=id: these ids were received
//	server: {"upto":"8"}           ?mode=cumulative: "8" and everything before it on this connection
//
// A message without an "id" is recorded and not acknowledged.

// AckCounts is what /ack received and sent, over all its connections.
type AckCounts struct {
	// Messages counts data messages received, duplicates included.
	Messages int
	// Unique counts distinct ids received (0 with DiscardSink, which
	// keeps no ids).
	Unique int
	// Duplicates counts messages whose id had been received before, on any
	// connection (0 with DiscardSink).
	Duplicates int
	// NoID counts messages without an "id".
	NoID int
	// Acks counts acknowledgement messages sent (counted as the write
	// begins).
	Acks int
	// Drops counts connections cut by ?drop=.
	Drops int
}

// AckCounts returns what /ack received and sent so far.
func (r *Router) AckCounts() AckCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.ackCounts
	c.Unique = len(r.ackSeen)
	return c
}

// AckIDs returns, for each id /ack received, how many times it came (nil
// with DiscardSink).
func (r *Router) AckIDs() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ackSeen == nil {
		return nil
	}
	out := make(map[string]int, len(r.ackSeen))
	for id, n := range r.ackSeen {
		out[id] = n
	}
	return out
}

// ackMode is how /ack acknowledges.
type ackMode int

const (
	ackByID ackMode = iota
	ackCumulative
	ackNever
)

// ackParams reads /ack's query: mode, every, drop.
func ackParams(req *http.Request) (mode ackMode, every, drop int, ok bool) {
	q := req.URL.Query()
	switch q.Get("mode") {
	case "", "id":
	case "cumulative":
		mode = ackCumulative
	case "never":
		mode = ackNever
	default:
		return 0, 0, 0, false
	}
	every, drop = 1, 0
	var err error
	if v := q.Get("every"); v != "" {
		if every, err = strconv.Atoi(v); err != nil || every < 1 {
			return 0, 0, 0, false
		}
	}
	if v := q.Get("drop"); v != "" {
		if drop, err = strconv.Atoi(v); err != nil || drop < 0 {
			return 0, 0, 0, false
		}
	}
	return mode, every, drop, true
}

// ack records every message and acknowledges the ids it carries, every
// ?every= messages (the ids since the last acknowledgement, or cumulatively
// the last of them); with ?drop=N it cuts TCP, with no close frame and no
// acknowledgement, right after the N-th message of each connection.
func (r *Router) ack(c *conn, mode ackMode, every, drop int) {
	var pending []string
	for n := 1; ; n++ {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		id, dup := r.recordAck(c, msg)
		if drop > 0 && n%drop == 0 {
			r.logf("ack: conn %d: message %d id %s%s, then drop (no ack)", c.index, n, orNone(id), dupNote(dup))
			r.mu.Lock()
			r.ackCounts.Drops++
			r.mu.Unlock()
			return // release cuts TCP
		}
		r.logf("ack: conn %d: message %d id %s%s", c.index, n, orNone(id), dupNote(dup))
		if id == "" || mode == ackNever {
			continue
		}
		pending = append(pending, id)
		if len(pending) < every {
			continue
		}
		var out []byte
		if mode == ackCumulative {
			out, _ = json.Marshal(map[string]string{"upto": pending[len(pending)-1]})
		} else {
			out, _ = json.Marshal(map[string][]string{"ack": pending})
		}
		pending = pending[:0]
		r.mu.Lock()
		r.ackCounts.Acks++ // counted first: a client that has it sees it counted
		r.mu.Unlock()
		r.logf("ack: conn %d: sent %s", c.index, out)
		if err := c.ws.WriteMessage(websocket.TextMessage, out); err != nil {
			return
		}
	}
}

// recordAck records msg and returns its id ("" for none) and whether that
// id came before.
func (r *Router) recordAck(c *conn, msg []byte) (id string, dup bool) {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(msg, &m) == nil && len(m.ID) > 0 {
		var s string
		if json.Unmarshal(m.ID, &s) == nil {
			id = s
		} else if _, err := strconv.ParseFloat(string(m.ID), 64); err == nil {
			id = string(bytes.TrimSpace(m.ID))
		}
	}
	r.record(c, msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ackCounts.Messages++
	switch {
	case id == "":
		r.ackCounts.NoID++
	case !r.cfg.recordSink:
	default:
		if r.ackSeen == nil {
			r.ackSeen = map[string]int{}
		}
		r.ackSeen[id]++
		if dup = r.ackSeen[id] > 1; dup {
			r.ackCounts.Duplicates++
		}
	}
	return id, dup
}

func orNone(id string) string {
	if id == "" {
		return "(none)"
	}
	return id
}

func dupNote(dup bool) string {
	if dup {
		return " (duplicate)"
	}
	return ""
}

// logf writes one line to the Logf option's function, if any.
func (r *Router) logf(format string, args ...any) {
	if r.cfg.logf != nil {
		r.cfg.logf(format, args...)
	}
}

// Logf makes the server report what it does, one line per call, where a
// route logs: /ack logs each message received (its connection in accept
// order, its number on the connection, its id, whether it is a duplicate),
// each acknowledgement sent and each drop. Default: no logs.
func Logf(f func(format string, args ...any)) Option {
	return func(c *config) { c.logf = f }
}
