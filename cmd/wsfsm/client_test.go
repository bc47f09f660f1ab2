package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// jsonLine is any line of --json output.
type jsonLine struct {
	Type    string `json:"type"`
	At      string `json:"at"`
	From    string `json:"from"`
	To      string `json:"to"`
	Event   string `json:"event"`
	Cause   string `json:"cause"`
	Attempt *int   `json:"attempt"`
	DelayMS *int64 `json:"delay_ms"`
	Kind    string `json:"kind"`
	Data    string `json:"data"`
}

// parseJSONLines decodes every line of out, failing on any that is not a
// well-formed transition or message.
func parseJSONLines(t *testing.T, out string) (transitions, messages []jsonLine) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l jsonLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, l.At); err != nil {
			t.Errorf("line %q: at: %v", line, err)
		}
		switch l.Type {
		case "transition":
			if l.From == "" || l.To == "" || l.Event == "" || l.Attempt == nil || l.DelayMS == nil {
				t.Errorf("transition line %q lacks a field", line)
			}
			if got := jsonKeys(t, line); got != "type at from to event cause attempt delay_ms" {
				t.Errorf("transition line %q has keys %q, want the issue's order", line, got)
			}
			transitions = append(transitions, l)
		case "message":
			if got := jsonKeys(t, line); got != "type at kind data" {
				t.Errorf("message line %q has keys %q, want the issue's order", line, got)
			}
			messages = append(messages, l)
		default:
			t.Errorf("line %q: unknown type", line)
		}
	}
	return transitions, messages
}

// jsonKeys lists the keys of the JSON object on line, in order.
func jsonKeys(t *testing.T, line string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatalf("line %q: %v", line, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
	}
	return strings.Join(keys, " ")
}

func hasTransition(ts []jsonLine, from, to string) bool {
	for _, tr := range ts {
		if tr.From == from && tr.To == to {
			return true
		}
	}
	return false
}

// runCLI runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, args []string, stdin io.Reader, signals <-chan os.Signal) (int, string, string) {
	t.Helper()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	code := run(testContext(t), args, stdin, stdout, stderr, signals)
	return code, stdout.String(), stderr.String()
}

// openStdin is a stdin that stays open until the test ends.
func openStdin(t *testing.T) io.Reader {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	return r
}

func TestClientJSONEchoesStdinAndReportsTransitions(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr := runCLI(t, []string{"--json", srv.URL("/echo")}, strings.NewReader("a\nb\n"), nil)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
	}
	ts, ms := parseJSONLines(t, stdout)
	if len(ms) != 2 || ms[0].Data != "a" || ms[1].Data != "b" || ms[0].Kind != "text" || ms[1].Kind != "text" {
		t.Errorf("messages %+v, want text a then text b", ms)
	}
	for _, want := range [][2]string{{"Connecting", "Open"}, {"Open", "Closing"}, {"Closing", "Closed"}} {
		if !hasTransition(ts, want[0], want[1]) {
			t.Errorf("no %s -> %s transition in:\n%s", want[0], want[1], stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing", stderr)
	}
}

func TestClientTextModeSplitsMessagesAndTransitions(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	// The URL may come before the flags, and a final line needs no newline.
	code, stdout, stderr := runCLI(t, []string{srv.URL("/echo"), "--close-timeout", "2s"}, strings.NewReader("one\r\n\ntwo"), nil)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
	}
	if stdout != "one\n\ntwo\n" {
		t.Errorf("stdout %q, want the three echoed lines", stdout)
	}
	if !strings.HasPrefix(stderr, transitionHeader+"\n") {
		t.Errorf("stderr does not start with the column header:\n%s", stderr)
	}
	ts := parseTransitions(t, stderr)
	if len(ts) != 3 || ts[0].to != "Open" || ts[1].to != "Closing" || ts[2].to != "Closed" {
		t.Errorf("transitions %+v, want Open, Closing, Closed", ts)
	}
}

func TestClientExitsOneWhenThePeerClosesForGood(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr := runCLI(t, []string{"--json", srv.URL("/close/1008?reason=policy")}, openStdin(t), nil)
	if code != exitFail {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "1008") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line with the cause (1008)", stderr)
	}
	ts, _ := parseJSONLines(t, stdout)
	if last := ts[len(ts)-1]; last.To != "Closed" {
		t.Errorf("last transition %+v, want one into Closed", last)
	}
}

func TestClientExitsOneWhenAttemptsAreSpent(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	args := []string{"--json", "--retry-first-dial", "--max-attempts", "2", "--backoff-initial", "1ms", "--backoff-max", "2ms", srv.URL("/reject/500")}
	code, stdout, stderr := runCLI(t, args, openStdin(t), nil)
	if code != exitFail {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	ts, _ := parseJSONLines(t, stdout)
	if len(ts) == 0 {
		t.Fatalf("no transitions in:\n%s", stdout)
	}
	redials := 0
	for _, tr := range ts {
		if tr.Event == "redial" {
			redials++
		}
	}
	if last := ts[len(ts)-1]; redials != 2 || last.To != "Closed" {
		t.Errorf("%d redials, last transition %+v; want 2 redials (--max-attempts 2), then Closed", redials, last)
	}
	if !strings.Contains(stderr, "attempts exhausted") {
		t.Errorf("stderr %q, want the cause", stderr)
	}
	if got := srv.Accepted(); got != 0 {
		t.Errorf("%d upgrades accepted by /reject", got)
	}
}

func TestClientExitsOneWhenTheFirstDialIsRefused(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{srv.URL("/reject/404")}, openStdin(t), nil)
	if code != exitFail {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "wsfsm: dial ") || !strings.Contains(last, "404") {
		t.Errorf("last stderr line %q, want the refused dial", last)
	}
}

func TestClientBadUsageExitsTwoWithOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"http://x"}, `wsfsm: bad URL "http://x": scheme must be ws or wss`},
		{[]string{"ws://"}, `bad URL "ws://": missing host`},
		{[]string{"ws://[::1"}, `bad URL "ws://[::1"`},
		{[]string{"--bogus", "ws://x"}, "-bogus"},
		{[]string{"--close-timeout", "soon", "ws://x"}, "-close-timeout"},
		{[]string{"--max-attempts", "-1", "ws://x"}, "-max-attempts"},
		{[]string{"-H", "no colon", "ws://x"}, "-H"},
		{[]string{"--json"}, "missing URL"},
		{[]string{"ws://x", "ws://y"}, `"ws://y"`},
		{[]string{"diagram", "--format", "png"}, `"png"`},
		{[]string{"serve", "a", "b"}, `"b"`},
	} {
		code, stdout, stderr := runCLI(t, tc.args, strings.NewReader(""), nil)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want 2", tc.args, code)
		}
		if !strings.HasPrefix(stderr, "wsfsm: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: stderr %q, want one line containing %q", tc.args, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q, want nothing", tc.args, stdout)
		}
	}
}

func TestUsageListsSubcommandsAndFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, stdout, stderr := runCLI(t, args, nil, nil)
		if code != exitOK || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, stderr)
		}
		for _, want := range []string{"wsfsm serve", "wsfsm diagram", "[flags] URL", "-close-timeout", "-handshake-timeout",
			"-ping-interval", "-pong-timeout", "-backoff-initial", "-backoff-max", "-max-attempts", "-H ", "-subprotocol", "-insecure", "-json"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: usage lacks %q:\n%s", args, want, stdout)
			}
		}
	}
}

func TestClientTwoSignalsAbortAnUnansweredClose(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx := testContext(t)
	signals := make(chan os.Signal)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	done := make(chan int, 1)
	stdin, lines := io.Pipe()
	defer lines.Close()
	go func() {
		done <- run(ctx, []string{"--json", "--close-timeout", "1h", srv.URL("/ignore-close")}, stdin, stdout, stderr, signals)
	}()
	// An echo proves the client is past its dial and in its main loop.
	if _, err := io.WriteString(lines, "ping\n"); err != nil {
		t.Fatal(err)
	}
	stdout.waitFor(ctx, t, `"data":"ping"`)
	signals <- os.Interrupt // graceful close: the peer never answers
	stdout.waitFor(ctx, t, `"to":"Closing"`)
	signals <- os.Interrupt // abort now
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d, want 0 (the user asked); stderr: %s", code, stderr)
	}
	ts, _ := parseJSONLines(t, stdout.String())
	var aborted bool
	for _, tr := range ts {
		aborted = aborted || (tr.From == "Closing" && tr.To == "Aborted" && strings.Contains(tr.Cause, "abort requested"))
	}
	if !aborted || ts[len(ts)-1].To != "Closed" {
		t.Errorf("want Closing -> Aborted (abort requested) then Closed:\n%s", stdout)
	}
}

func TestClientSignalDuringDialExitsZero(t *testing.T) {
	bh := wstest.NewBlackHole()
	defer bh.Close()
	ctx := testContext(t)
	signals := make(chan os.Signal)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--handshake-timeout", "1h", bh.URL("/")}, openStdin(t), io.Discard, io.Discard, signals)
	}()
	signals <- os.Interrupt // received only by the waiting dial: the black hole never answers
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
}

func TestClientInsecureTrustsASelfSignedServer(t *testing.T) {
	srv := wstest.NewTLSServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{srv.URL("/echo")}, openStdin(t), nil)
	if code != exitFail || !strings.Contains(stderr, "certificate") {
		t.Errorf("without --insecure: exit %d, stderr %q; want 1 and a certificate error", code, stderr)
	}
	code, stdout, stderr := runCLI(t, []string{"--insecure", srv.URL("/echo")}, strings.NewReader("secret\n"), nil)
	if code != exitOK || stdout != "secret\n" {
		t.Errorf("with --insecure: exit %d, stdout %q, stderr %q; want 0 and the echo", code, stdout, stderr)
	}
}

func TestClientSendsHeadersAndSubprotocols(t *testing.T) {
	router := wstest.NewRouter(wstest.Subprotocols("chat"))
	var mu sync.Mutex
	var got http.Header
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		router.ServeHTTP(w, r)
	}))
	defer hs.Close()
	defer router.Shutdown()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/echo"
	args := []string{"-H", "X-Token: abc", "-H", "X-Token: def", "--subprotocol", "v2", "--subprotocol", "chat", url}
	code, stdout, stderr := runCLI(t, args, strings.NewReader("hi\n"), nil)
	if code != exitOK || stdout != "hi\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and the echo", code, stdout, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if v := got.Values("X-Token"); len(v) != 2 || v[0] != "abc" || v[1] != "def" {
		t.Errorf("X-Token %q, want abc and def", v)
	}
	if v := got.Get("Sec-WebSocket-Protocol"); v != "v2, chat" {
		t.Errorf("Sec-WebSocket-Protocol %q, want %q", v, "v2, chat")
	}
}

func TestPrinterWritesBinaryAsBase64(t *testing.T) {
	var out bytes.Buffer
	p := &printer{json: true, stdout: &out, stderr: io.Discard}
	data := []byte{0, 1, 0xfe, 0xff}
	p.message(wsfsm.Binary, data, time.Now())
	_, ms := parseJSONLines(t, out.String())
	if len(ms) != 1 || ms[0].Kind != "binary" || ms[0].Data != base64.StdEncoding.EncodeToString(data) {
		t.Errorf("got %q, want one binary message in base64", out.String())
	}
}
