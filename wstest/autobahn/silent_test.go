package autobahn

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// TestSilentClient checks the judging of a client that answers nothing:
// it fails every echo, and is told so only after the case's timers.
func TestSilentClient(t *testing.T) {
	s, base, ctx := startQuick(t)
	// It reads (gorilla answers pings and close frames), echoes nothing.
	silent := func(ctx context.Context, u string) error {
		return gorillaRead(ctx, u, false, func(*websocket.Conn, int, []byte) error { return nil })
	}
	only := func(c CaseInfo) bool {
		return c.ID == "1.1.1" || c.ID == "2.1" || c.ID == "6.3.1" || c.ID == "9.7.1"
	}
	if err := RunAgent(ctx, base, "silent", silent, only); err != nil {
		t.Fatal(err)
	}
	res := map[string]*Result{}
	for _, r := range s.Results("silent") {
		res[r.ID] = r
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4", len(res))
	}
	for id, want := range map[string][2]string{
		"1.1.1": {Failed, WrongCode}, // killed after 1 s with 1001, which gorilla echoes
		"2.1":   {OK, OK},            // the pong is gorilla's
		"6.3.1": {Failed, Failed},    // the fuzzer had to close: the invalid UTF-8 went unnoticed
		"9.7.1": {Failed, OK},
	} {
		if r := res[id]; r == nil {
			t.Errorf("%s: no result", id)
		} else if r.Behavior != want[0] || r.BehaviorClose != want[1] {
			t.Errorf("%s: %s / %s, want %s / %s", id, r.Behavior, r.BehaviorClose, want[0], want[1])
		}
	}
}

// TestReportsWaitForCasesBeingJudged: a client may leave a case before the
// server has judged it (here it returns at once and leaves its connection
// open, so the server judges only when the case's timer fires). The reports
// the client then asks for must hold that case's result: a full run once
// missed its last case this way under load.
func TestReportsWaitForCasesBeingJudged(t *testing.T) {
	s, base, ctx := startQuick(t)
	var left []*websocket.Conn
	defer func() {
		for _, ws := range left {
			ws.Close()
		}
	}()
	leave := func(ctx context.Context, u string) error {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
		if err == nil {
			left = append(left, ws)
		}
		return err
	}
	only := func(c CaseInfo) bool { return c.ID == "1.1.1" }
	if err := RunAgent(ctx, base, "leaver", leave, only); err != nil {
		t.Fatal(err)
	}
	res := s.Results("leaver")
	if len(res) != 1 || res[0].ID != "1.1.1" {
		t.Fatalf("the reports hold %d results, want the one for 1.1.1", len(res))
	}
}

// startQuick starts a quick-profile server with 100 ms units; it returns
// the server, its base URL and a context that bounds the test to a minute.
func startQuick(t *testing.T) (*Server, string, context.Context) {
	t.Helper()
	s := NewServer(Config{Profile: Quick, Unit: 100 * time.Millisecond})
	url := testkit.Serve(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return s, url, ctx
}
