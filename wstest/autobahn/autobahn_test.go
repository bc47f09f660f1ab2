package autobahn_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// unit is Autobahn's second in these tests: the cases a client passes
// never wait for it, except 5.19, 5.20 and 6.4 (a few units each).
const unit = 100 * time.Millisecond

func start(t *testing.T, cfg autobahn.Config) (*autobahn.Server, string) {
	t.Helper()
	s := autobahn.NewServer(cfg)
	return s, testkit.Serve(t, s)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// byID indexes results by case id.
func byID(rs []*autobahn.Result) map[string]*autobahn.Result {
	m := make(map[string]*autobahn.Result, len(rs))
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

// TestCaseList checks the case list against Autobahn's: the count per
// category and the ids that harnesses and reports refer to.
func TestCaseList(t *testing.T) {
	s := autobahn.NewServer(autobahn.Config{Profile: autobahn.Quick})
	want := map[string]int{"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1, "12": 90, "13": 126}
	got := map[string]int{}
	seen := map[string]bool{}
	for i, c := range s.Cases() {
		if c.N != i+1 {
			t.Fatalf("case %s numbered %d at position %d", c.ID, c.N, i+1)
		}
		if seen[c.ID] {
			t.Fatalf("case id %s twice", c.ID)
		}
		seen[c.ID] = true
		cat, _, _ := strings.Cut(c.ID, ".")
		got[cat]++
	}
	for cat, n := range want {
		if got[cat] != n {
			t.Errorf("category %s: %d cases, Autobahn has %d", cat, got[cat], n)
		}
	}
	for _, id := range []string{"1.1.8", "2.11", "5.20", "6.4.4", "6.5.5", "6.23.7", "7.13.2", "9.8.6", "10.1.1", "12.5.18", "13.7.18"} {
		if !seen[id] {
			t.Errorf("no case %s", id)
		}
	}
}

// TestGorilla runs every case against raw gorilla, whose behaviour is
// known: it passes framing, pings, reserved bits, opcodes, fragmentation,
// close handling and limits; it echoes invalid UTF-8 without checking
// (6.x with invalid payloads FAILED); its client refuses a 101 without
// client_no_context_takeover (12.x and 13.1 FAILED) and never offers
// client_max_window_bits (13.3 to 13.6 UNIMPLEMENTED).
func TestGorilla(t *testing.T) {
	s, base := start(t, autobahn.Config{Profile: autobahn.Quick, Unit: unit})
	ctx := ctxFor(t, 2*time.Minute)
	if err := autobahn.RunAgent(ctx, base, "gorilla", autobahn.GorillaEcho(true), nil); err != nil {
		t.Fatal(err)
	}
	res := byID(s.Results("gorilla"))
	if len(res) != len(s.Cases()) {
		t.Fatalf("%d results for %d cases", len(res), len(s.Cases()))
	}
	check := func(id, behavior, closeBehavior string) {
		t.Helper()
		r := res[id]
		if r.Behavior != behavior || r.BehaviorClose != closeBehavior {
			t.Errorf("%s: %s / %s (%s; %s), want %s / %s", id, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose, behavior, closeBehavior)
		}
	}
	for _, sum := range autobahn.Summarize(s.Results("gorilla")) {
		switch sum.Category {
		case "1", "2", "9", "10":
			if sum.Behavior[autobahn.OK] != sum.Cases || sum.Close[autobahn.OK] != sum.Cases {
				t.Errorf("category %s: %s, want all OK (failed: %v)", sum.Category, sum.Cell(), sum.Failed)
			}
		case "3", "4", "5":
			// NON-STRICT where the bad frame fails the connection before
			// the echo of the message before it went out: a race.
			if sum.Behavior[autobahn.OK]+sum.Behavior[autobahn.NonStrict] != sum.Cases || sum.Close[autobahn.OK] != sum.Cases {
				t.Errorf("category %s: %s, want all OK or NON-STRICT (failed: %v)", sum.Category, sum.Cell(), sum.Failed)
			}
		case "7":
			if sum.Behavior[autobahn.Failed] != 0 {
				t.Errorf("category 7: %s (failed: %v)", sum.Cell(), sum.Failed)
			}
		}
	}
	check("6.2.3", autobahn.OK, autobahn.OK)
	check("6.3.1", autobahn.Failed, autobahn.Failed)
	check("6.4.1", autobahn.Failed, autobahn.Failed)
	check("7.1.6", autobahn.Informational, autobahn.Informational)
	check("7.9.1", autobahn.OK, autobahn.OK)
	check("12.1.1", autobahn.Failed, autobahn.Failed)
	check("13.1.1", autobahn.Failed, autobahn.Failed)
	check("13.2.18", autobahn.OK, autobahn.OK)
	check("13.3.1", autobahn.Unimplemented, autobahn.OK)
	check("13.7.1", autobahn.OK, autobahn.OK)
}

// TestProtocol checks the harness endpoints as an Autobahn harness uses
// them, and the reports /updateReports writes.
func TestProtocol(t *testing.T) {
	dir := t.TempDir()
	_, base := start(t, autobahn.Config{Profile: autobahn.Quick, Unit: unit, ReportDir: dir})
	ctx := ctxFor(t, time.Minute)
	read := func(path string) string {
		t.Helper()
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, base+path, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer ws.Close()
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			t.Fatalf("%s: after the answer: %v, want close 1000", path, err)
		}
		return string(b)
	}
	if got, want := read("/getCaseCount"), "517"; got != want {
		t.Errorf("/getCaseCount = %s, want %s", got, want)
	}
	var info struct{ ID, Description string }
	if err := json.Unmarshal([]byte(read("/getCaseInfo?case=17")), &info); err != nil || info.ID != "2.1" {
		t.Errorf("/getCaseInfo?case=17 = %+v (%v), want id 2.1", info, err)
	}
	if err := autobahn.GorillaEcho(false)(ctx, base+"/runCase?case=17&agent=a%20b"); err == nil {
		t.Error("echo client returned nil: the case should have ended its connection")
	}
	if got := read("/getCaseStatus?case=17&agent=a%20b"); got != `{"behavior":"OK"}` {
		t.Errorf("/getCaseStatus = %s", got)
	}
	read2 := func(path string) {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, base+path, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			t.Fatalf("%s: %v, want close 1000", path, err)
		}
	}
	read2("/updateReports?agent=a%20b")
	var index map[string]map[string]struct {
		Behavior   string `json:"behavior"`
		ReportFile string `json:"reportfile"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err == nil {
		err = json.Unmarshal(b, &index)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := index["a b"]["2.1"]
	if e.Behavior != autobahn.OK || e.ReportFile != "a_b_case_2_1.json" {
		t.Errorf("index.json: %+v", index)
	}
	if _, err := os.Stat(filepath.Join(dir, e.ReportFile)); err != nil {
		t.Error(err)
	}
	if md, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !strings.Contains(string(md), "| 2 Pings/Pongs | 1 OK |") {
		t.Errorf("report.md: %s (%v)", md, err)
	}
	for _, bad := range []string{"/runCase?case=0&agent=a", "/runCase?case=1", "/getCaseInfo", "/nope"} {
		if _, resp, err := websocket.DefaultDialer.DialContext(ctx, base+bad, nil); err == nil || resp == nil || resp.StatusCode/100 != 4 {
			t.Errorf("%s: %v, want a 4xx refusal", bad, err)
		}
	}
}
