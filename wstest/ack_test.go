package wstest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"
)

// /ack acknowledges ids one by one, in batches, cumulatively or never,
// counts duplicates across connections, and with ?drop=N cuts TCP after
// the N-th message of each connection, unacknowledged.
func TestAck(t *testing.T) {
	var mu sync.Mutex
	var log []string
	s := start(t, Logf(func(format string, args ...any) {
		mu.Lock()
		log = append(log, fmt.Sprintf(format, args...))
		mu.Unlock()
	}))
	send := func(ws *websocket.Conn, msgs ...string) {
		t.Helper()
		for _, m := range msgs {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(ws *websocket.Conn, want string) {
		t.Helper()
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}

	ws := connect(t, s.URL("/ack"), nil)
	send(ws, `{"id":"a"}`, `{"id": 7 }`, `no id`, `{"id":"a"}`)
	read(ws, `{"ack":["a"]}`)
	read(ws, `{"ack":["7"]}`)
	read(ws, `{"ack":["a"]}`) // a duplicate is acknowledged again

	ws = connect(t, s.URL("/ack?every=2&mode=cumulative"), nil)
	send(ws, `{"id":"b"}`, `{"id":"c"}`, `{"id":"d"}`, `{"id":"e"}`)
	read(ws, `{"upto":"c"}`)
	read(ws, `{"upto":"e"}`)

	ws = connect(t, s.URL("/ack?every=3"), nil)
	send(ws, `{"id":"f"}`, `{"id":"g"}`, `{"id":"h"}`)
	read(ws, `{"ack":["f","g","h"]}`)

	ws = connect(t, s.URL("/ack?mode=never&drop=2"), nil)
	send(ws, `{"id":"i"}`, `{"id":"j"}`, `{"id":"k"}`)
	if _, got, err := ws.ReadMessage(); err == nil {
		t.Fatalf("read %q after the drop", got)
	} else if ce, ok := err.(*websocket.CloseError); (!ok || ce.Code != websocket.CloseAbnormalClosure) && !errors.Is(err, syscall.ECONNRESET) {
		// "k" may still be unread in the server's socket when it drops: its
		// kernel then answers with a reset, not a FIN.
		t.Fatalf("after the drop: %v, want 1006 or a reset", err)
	}

	want := AckCounts{Messages: 13, Unique: 11, Duplicates: 1, NoID: 1, Acks: 6, Drops: 1}
	if got := s.AckCounts(); got != want {
		t.Errorf("AckCounts = %+v, want %+v", got, want)
	}
	if got := s.AckIDs(); got["a"] != 2 || got["7"] != 1 || got["k"] != 0 {
		t.Errorf("AckIDs = %v", got)
	}
	if got := s.ConnMessages(); len(got) != 4 || len(got[0]) != 4 || len(got[3]) != 2 {
		t.Errorf("ConnMessages = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	joined := strings.Join(log, "\n")
	for _, w := range []string{"ack: conn 0: message 4 id a (duplicate)", `ack: conn 0: sent {"ack":["a"]}`, "ack: conn 3: message 2 id j, then drop (no ack)"} {
		if !strings.Contains(joined, w) {
			t.Errorf("log lacks %q:\n%s", w, joined)
		}
	}
}

// Bad query options are refused with 400.
func TestAckBadQuery(t *testing.T) {
	s := start(t)
	for _, q := range []string{"mode=sometimes", "every=0", "drop=-1", "every=x"} {
		if got := getStatus(t, s.Addr(), "/ack?"+q); got != http.StatusBadRequest {
			t.Errorf("?%s: status %d, want 400", q, got)
		}
	}
}
