package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

// jsonLine is any line of --json output.
type jsonLine struct {
	Type        string  `json:"type"`
	At          string  `json:"at"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	Event       string  `json:"event"`
	Cause       string  `json:"cause"`
	Attempt     *int    `json:"attempt"`
	DelayMS     *int64  `json:"delay_ms"`
	CloseCode   *int    `json:"close_code"`
	CloseReason *string `json:"close_reason"`
	Kind        string  `json:"kind"`
	Data        string  `json:"data"`
	Base64      bool    `json:"base64"`
	Error       string  `json:"error"`
	Exit        *int    `json:"exit"`
	HTTPStatus  int     `json:"http_status"`
	Warning     string  `json:"warning"`
	Addr        string  `json:"addr"`
}

// jsonKeyOrders are the keys of each line type, in order, as the README
// documents them; optional keys come last and may be absent.
var jsonKeyOrders = map[string]struct{ required, optional string }{
	"transition": {"type at from to event cause attempt delay_ms", "close_code close_reason"},
	"message":    {"type at kind data", "base64 addr"},
	"error":      {"type at error exit", "close_code close_reason http_status"},
	"warning":    {"type at warning", ""},
	"peer":       {"type at event addr", "cause close_code close_reason"},
}

// parseJSONLines decodes every line of out, failing on any that is not a
// well-formed line of a documented type, whose keys are not in the
// documented order, or whose time goes back; the error line, if any, must
// be the last.
func parseJSONLines(t *testing.T, out string) (transitions, messages []jsonLine, last jsonLine) {
	t.Helper()
	var prev time.Time
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, line := range lines {
		var l jsonLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		at, err := time.Parse(time.RFC3339Nano, l.At)
		if err != nil {
			t.Errorf("line %q: at: %v", line, err)
		}
		if at.Before(prev) {
			t.Errorf("line %q: at goes back from %v", line, prev)
		}
		prev = at
		order, ok := jsonKeyOrders[l.Type]
		if !ok {
			t.Fatalf("line %q: unknown type", line)
		}
		keys := jsonKeys(t, line)
		if !strings.HasPrefix(keys, order.required) || !isSubsequence(strings.Fields(strings.TrimPrefix(keys, order.required)), strings.Fields(order.optional)) {
			t.Errorf("%s line %q has keys %q, want %q then some of %q", l.Type, line, keys, order.required, order.optional)
		}
		switch l.Type {
		case "transition":
			transitions = append(transitions, l)
		case "message":
			messages = append(messages, l)
		case "error":
			if i != len(lines)-1 {
				t.Errorf("error line %q is not the last", line)
			}
		}
		last = l
	}
	return transitions, messages, last
}

// isSubsequence reports whether got lists some of want, in want's order.
func isSubsequence(got, want []string) bool {
	for _, g := range got {
		for len(want) > 0 && want[0] != g {
			want = want[1:]
		}
		if len(want) == 0 {
			return false
		}
		want = want[1:]
	}
	return true
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
	noStutter(t, stdout.String()+stderr.String())
	return code, stdout.String(), stderr.String()
}

// noStutter fails the test if a line repeats a prefix ("wsfsm: wsfsm: ...",
// as v1 printed).
func noStutter(t *testing.T, out string) {
	t.Helper()
	for _, stutter := range []string{"wsfsm: wsfsm:", "transport: transport:", "close: close:", "dial: dial"} {
		if strings.Contains(out, stutter) {
			t.Errorf("output stutters %q:\n%s", stutter, out)
		}
	}
}

// openStdin is a stdin that stays open until the test ends.
func openStdin(t *testing.T) io.Reader {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	return r
}

// countingServer echoes and counts, per connection, the messages it got
// and their types; it also keeps the request headers of the last upgrade.
type countingServer struct {
	*httptest.Server
	mu       sync.Mutex
	messages [][]byte
	types    []int
	header   http.Header
	done     chan struct{} // closed when the first connection's handler returns
}

func newCountingServer(t *testing.T, protocols ...string) *countingServer {
	s := &countingServer{done: make(chan struct{})}
	up := websocket.Upgrader{Subprotocols: protocols, CheckOrigin: func(*http.Request) bool { return true }}
	var once sync.Once
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.header = r.Header.Clone()
		s.mu.Unlock()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer once.Do(func() { close(s.done) })
		defer ws.Close()
		for {
			typ, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg)
			s.types = append(s.types, typ)
			s.mu.Unlock()
			if ws.WriteMessage(typ, msg) != nil {
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) url() string { return testkit.WSURL(s.URL) + "/" }

// got waits for the first connection to end and returns what it received.
func (s *countingServer) got(t *testing.T) ([][]byte, []int, http.Header) {
	t.Helper()
	select {
	case <-s.done:
	case <-testContext(t).Done():
		t.Fatal("the server's connection never ended")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages, s.types, s.header
}

// bounded runs the command and fails the test if it takes longer than
// limit, which is far above what it needs: it proves the run ended by
// itself, not by the test's deadline.
func bounded(t *testing.T, limit time.Duration, args []string, stdin io.Reader) (int, string, string, time.Duration) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		stdout, stderr := newSyncBuffer(), newSyncBuffer()
		code := run(testContext(t), args, stdin, stdout, stderr, nil)
		done <- result{code, stdout.String(), stderr.String()}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		noStutter(t, r.stdout+r.stderr)
		return r.code, r.stdout, r.stderr, time.Since(start)
	case <-timer.C:
		r := <-done // the test context ends it
		t.Fatalf("still running after %v; stdout %q, stderr %q", limit, r.stdout, r.stderr)
		return 0, "", "", 0
	}
}

// Piped lines get their replies before the client closes: with
// --max-messages-rev it waits for that many messages, however long (here
// --linger is an hour: the count ends it).
func TestClientWaitsForEveryReplyAfterStdinEnds(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	var in strings.Builder
	for i := range 200 {
		in.WriteString(strings.Repeat("x", i) + "\n")
	}
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"--linger", "1h", "--max-messages-rev", "200", srv.URL("/echo")}, strings.NewReader(in.String()))
	if code != exitOK || stdout != in.String() || stderr != "" {
		t.Errorf("exit %d, %d bytes out (want %d), stderr %q; want 0, every line echoed, nothing on stderr", code, len(stdout), in.Len(), stderr)
	}
}

// A server that never replies is given --linger of silence, then closed.
func TestClientLingerBoundsTheWaitForReplies(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	const linger = 200 * time.Millisecond
	code, stdout, stderr, took := bounded(t, 10*time.Second, []string{"--json", "--linger", linger.String(), srv.URL("/sink")}, strings.NewReader("a\nb\n"))
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0", code, stderr)
	}
	if took < linger {
		t.Errorf("closed after %v, before --linger %v of silence", took, linger)
	}
	ts, ms, _ := parseJSONLines(t, stdout)
	if len(ms) != 0 || !hasTransition(ts, "Closing", "Closed") {
		t.Errorf("want no message and a graceful close:\n%s", stdout)
	}
	if got := srv.Received(); got != 2 {
		t.Errorf("the sink got %d messages, want 2", got)
	}

	// --linger 0 closes at once: a slow reply is not waited for.
	code, _, _, _ = bounded(t, 10*time.Second, []string{"--linger", "0", srv.URL("/sink")}, strings.NewReader("c\n"))
	if code != exitOK {
		t.Errorf("--linger 0: exit %d", code)
	}
}

// -n keeps listening after stdin ended: the server's pings are reported and
// its close with 1000 ends the run with status 0. Without -n the client
// would have closed at once (nothing sent, nothing to wait for).
func TestClientNoCloseListens(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	url := srv.URL("/ping?every=20ms&count=2")
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"-n", url}, strings.NewReader(""))
	if code != exitOK || stdout != "pong 1\npong 2\n" || stderr != "" {
		t.Errorf("-n: exit %d, stdout %q, stderr %q; want 0, both pongs, nothing on stderr", code, stdout, stderr)
	}
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{srv.URL("/ping?every=1h")}, strings.NewReader(""))
	if code != exitOK || stdout != "" {
		t.Errorf("without -n: exit %d, stdout %q; want 0 and a close at once", code, stdout)
	}
}

// -1 sends the first line only and exits after the first message.
func TestClientOneMessage(t *testing.T) {
	srv := newCountingServer(t)
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"-1", "--linger", "1h", srv.url()}, strings.NewReader("first\nsecond\nthird\n"))
	if code != exitOK || stdout != "first\n" || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and only the first echo", code, stdout, stderr)
	}
	if msgs, _, _ := srv.got(t); len(msgs) != 1 || string(msgs[0]) != "first" {
		t.Errorf("the server got %q, want only the first line", msgs)
	}

	// The answer is waited for beyond --linger.
	late := testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		if _, msg, err := ws.ReadMessage(); err == nil {
			<-time.After(300 * time.Millisecond) // a slow answer, not a synchronisation
			ws.WriteMessage(websocket.TextMessage, append([]byte("late "), msg...))
		}
		ws.ReadMessage() // until the client's close
	})
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-1", "--linger", "10ms", late}, strings.NewReader("question\n"))
	if code != exitOK || stdout != "late question\n" {
		t.Errorf("slow answer: exit %d, stdout %q; want the answer, --linger notwithstanding", code, stdout)
	}

	// With -n, -1 waits for one message from a server that speaks first.
	ws := wstest.NewServer()
	defer ws.Close()
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-1", "-n", ws.URL("/subprotocol")}, strings.NewReader(""))
	if code != exitOK || stdout != "subprotocol: none\n" {
		t.Errorf("-1 -n: exit %d, stdout %q; want the server's first message", code, stdout)
	}
}

// -b sends each read of stdin as one binary message and writes what comes
// back byte for byte, adding nothing.
func TestClientBinaryMode(t *testing.T) {
	srv := newCountingServer(t)
	in := make([]byte, binaryChunk+1000)
	for i := range in {
		in[i] = byte(i * 7)
	}
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"-b", srv.url()}, bytes.NewReader(in))
	if code != exitOK || stdout != string(in) || stderr != "" {
		t.Errorf("exit %d, %d bytes out (equal: %v), stderr %q; want 0 and the input back unchanged", code, len(stdout), stdout == string(in), stderr)
	}
	msgs, types, _ := srv.got(t)
	if len(msgs) != 2 || len(msgs[0]) != binaryChunk || len(msgs[1]) != 1000 || types[0] != websocket.BinaryMessage || types[1] != websocket.BinaryMessage {
		t.Errorf("the server got %d messages (types %v), want two binary ones: %d bytes, then 1000", len(msgs), types, binaryChunk)
	}
}

// In text mode a binary message is written on a line of its own, its
// newlines and carriage returns as spaces, or with --base64 as one base64
// line.
func TestClientTextModeWritesBinaryMessages(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	url := srv.URL("/size/300")
	want := make([]byte, 300)
	for i := range want {
		want[i] = byte(i)
	}
	code, stdout, _, _ := bounded(t, 10*time.Second, []string{"-1", "-n", url}, strings.NewReader(""))
	line := bytes.ReplaceAll(bytes.ReplaceAll(want, []byte{'\n'}, []byte{' '}), []byte{'\r'}, []byte{' '})
	if code != exitOK || stdout != string(line)+"\n" {
		t.Errorf("exit %d, stdout %q; want the 300 bytes on one line", code, stdout)
	}
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-1", "-n", "--base64", url}, strings.NewReader(""))
	if code != exitOK || stdout != base64.StdEncoding.EncodeToString(want)+"\n" {
		t.Errorf("--base64: exit %d, stdout %q; want one base64 line", code, stdout)
	}
}

// Lines that are not UTF-8 go out as text anyway, with one warning that
// says what a server may do about it. An echo server sends them back as text
// that is not UTF-8, which the client refuses (RFC 6455 section 8.1: it fails
// the connection with 1007), and says so.
func TestClientWarnsOnceAboutTextThatIsNotUTF8(t *testing.T) {
	srv := newCountingServer(t)
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{srv.url()}, strings.NewReader("ok\nbad \xff\nworse \xfe\n"))
	if code != exitFail || !strings.HasPrefix(stdout, "ok\n") || strings.Contains(stdout, "\xff") {
		t.Errorf("exit %d, stdout %q; want 1, the valid echo only", code, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "line 2") || !strings.Contains(lines[0], "1007") || !strings.Contains(lines[0], "-b") ||
		!strings.Contains(lines[1], "not known to have arrived") || !strings.Contains(lines[2], "invalid UTF-8") {
		t.Errorf("stderr %q, want one warning naming line 2, 1007 and -b, the lines not known to have arrived, then the refused echo", stderr)
	}
	if _, types, _ := srv.got(t); len(types) < 2 || types[1] != websocket.TextMessage {
		t.Errorf("types %v, want the second line sent as text", types)
	}
}

func TestClientJSONEchoesStdinAndReportsTransitions(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr := runCLI(t, []string{"--json", srv.URL("/echo")}, strings.NewReader("a\nb\n"), nil)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
	}
	ts, ms, last := parseJSONLines(t, stdout)
	if len(ms) != 2 || ms[0].Data != "a" || ms[1].Data != "b" || ms[0].Kind != "text" || ms[0].Base64 {
		t.Errorf("messages %+v, want text a then text b", ms)
	}
	for _, want := range [][2]string{{"Connecting", "Open"}, {"Open", "Closing"}, {"Closing", "Closed"}} {
		if !hasTransition(ts, want[0], want[1]) {
			t.Errorf("no %s -> %s transition in:\n%s", want[0], want[1], stdout)
		}
	}
	// The end comes last: the messages were read before the Conn closed.
	if last.Type != "transition" || last.To != "Closed" {
		t.Errorf("last line %+v, want the transition into Closed", last)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing", stderr)
	}
}

// Binary messages and text that is not UTF-8 are base64, flagged.
func TestClientJSONBase64(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	// Text that is not UTF-8 never arrives: the client fails the connection
	// with 1007, and the final JSON line says so.
	code, stdout, _, _ := bounded(t, 10*time.Second, []string{"--json", "-1", "-n", srv.URL("/bad-frame/utf8")}, strings.NewReader(""))
	_, ms, last := parseJSONLines(t, stdout)
	if code != exitFail || len(ms) != 0 || last.Type != "error" || !strings.Contains(last.Error, "invalid UTF-8") {
		t.Errorf("exit %d, messages %+v, last line %+v; want 1, none, and an error line about invalid UTF-8", code, ms, last)
	}
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"--json", "-1", "-n", srv.URL("/size/3")}, strings.NewReader(""))
	_, ms, _ = parseJSONLines(t, stdout)
	if code != exitOK || len(ms) != 1 || ms[0].Kind != "binary" || !ms[0].Base64 || ms[0].Data != "AAEC" {
		t.Errorf("exit %d, messages %+v; want one binary message in base64, flagged", code, ms)
	}

	var out bytes.Buffer
	p := newPrinter(&clientConfig{json: true}, &out, io.Discard)
	p.message(wsfsm.Binary, []byte("valid UTF-8 but binary"), 0)
	p.message(wsfsm.Text, []byte("plain"), 0)
	_, ms, _ = parseJSONLines(t, out.String())
	if !ms[0].Base64 || ms[1].Base64 || ms[1].Data != "plain" {
		t.Errorf("messages %+v: want binary in base64, valid text as it is", ms)
	}
}

// The peer's close frame is in the transition's fields, and the final error
// is a JSON line with the exit status.
func TestClientJSONCloseFieldsAndErrorLine(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr := runCLI(t, []string{"--json", srv.URL("/close/1008?reason=policy")}, openStdin(t), nil)
	if code != exitFail || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing on stderr", code, stderr)
	}
	ts, _, last := parseJSONLines(t, stdout)
	found := false
	for _, tr := range ts {
		if tr.From == "Open" && tr.To == "Closing" {
			found = tr.CloseCode != nil && *tr.CloseCode == 1008 && tr.CloseReason != nil && *tr.CloseReason == "policy"
		}
	}
	if !found {
		t.Errorf("no Open -> Closing transition with close_code 1008 and close_reason policy:\n%s", stdout)
	}
	if last.Type != "error" || last.Exit == nil || *last.Exit != exitFail || last.CloseCode == nil || *last.CloseCode != 1008 || !strings.Contains(last.Error, "policy violation") {
		t.Errorf("last line %+v, want the error with exit 1, close code 1008 and its meaning", last)
	}

	code, stdout, _ = runCLI(t, []string{"--json", srv.URL("/reject/403")}, openStdin(t), nil)
	_, _, last = parseJSONLines(t, stdout)
	if code != exitNoConnection || last.Type != "error" || last.HTTPStatus != 403 || *last.Exit != exitNoConnection {
		t.Errorf("exit %d, last line %+v; want an error line with http_status 403 and exit 3", code, last)
	}
}

// Without -v the client is quiet; with -v the life cycle goes to stderr.
func TestClientVerboseShowsTransitions(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	// The URL may come before the flags, and a final line needs no newline.
	code, stdout, stderr := runCLI(t, []string{srv.URL("/echo"), "--close-timeout", "2s"}, strings.NewReader("one\r\n\ntwo"), nil)
	if code != exitOK || stdout != "one\n\ntwo\n" || stderr != "" {
		t.Errorf("quiet: exit %d, stdout %q, stderr %q; want 0, the three lines, nothing on stderr", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, []string{"-v", srv.URL("/echo")}, strings.NewReader("one\n"), nil)
	if code != exitOK || stdout != "one\n" {
		t.Fatalf("-v: exit %d, stdout %q", code, stdout)
	}
	if !strings.HasPrefix(stderr, transitionHeader+"\n") {
		t.Errorf("stderr does not start with the column header:\n%s", stderr)
	}
	ts := parseTransitions(t, stderr)
	if len(ts) != 3 || ts[0].to != "Open" || ts[1].to != "Closing" || ts[2].to != "Closed" {
		t.Errorf("transitions %+v, want Open, Closing, Closed", ts)
	}
}

// A server's normal close is success; any other close code is not, and the
// one line says what the code means.
func TestClientExitStatusOfAServerClose(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{srv.URL("/close/1000")}, openStdin(t), nil)
	if code != exitOK || stderr != "" {
		t.Errorf("1000: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	for closeCode, meaning := range map[string]string{"1007": "invalid frame payload data", "1008": "policy violation", "4001": "application"} {
		code, _, stderr = runCLI(t, []string{srv.URL("/close/" + closeCode + "?reason=why")}, openStdin(t), nil)
		if code != exitFail {
			t.Errorf("%s: exit %d, want 1", closeCode, code)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, closeCode) || !strings.Contains(stderr, meaning) || !strings.Contains(stderr, `"why"`) {
			t.Errorf("%s: stderr %q, want one line with the code, %q and the reason", closeCode, stderr, meaning)
		}
	}
}

// Redials that run out after a connection was open end with status 1; -v
// shows no retry that does not happen (the policy refuses the third on
// entering Reconnecting: no "retry" row for it), --json every transition.
func TestClientExitsOneWhenRedialsRunOut(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	for _, mode := range []string{"--json", "-v"} {
		args := []string{mode, "--max-attempts", "2", "--backoff-initial", "1ms", "--backoff-max", "2ms", srv.URL("/drop-after/0")}
		code, stdout, stderr := runCLI(t, args, openStdin(t), nil)
		if code != exitFail {
			t.Fatalf("%s: exit %d, stderr %q; want 1", mode, code, stderr)
		}
		events := map[string]int{}
		if mode == "-v" {
			for _, tr := range parseTransitions(t, stderr) {
				events[tr.event]++
			}
			if events["retry"] != 2 || events["redial"] != 2 || !strings.HasSuffix(stderr, "attempts exhausted (--max-attempts); the last cause: connection closed without a close frame (1006)\n") {
				t.Errorf("-v: %v; want 2 retry rows and 2 redials, then the error:\n%s", events, stderr)
			}
			continue
		}
		ts, _, last := parseJSONLines(t, stdout)
		for _, tr := range ts {
			events[tr.Event]++
		}
		if stderr != "" || events["retry"] != 3 || events["redial"] != 2 || last.Type != "error" || !strings.Contains(last.Error, "attempts exhausted") {
			t.Errorf("--json: %v, last line %+v, stderr %q; want every transition (3 retries, 2 redials: --max-attempts 2), then the error", events, last, stderr)
		}
	}
}

// A first dial that fails exits 3 with one line, even when every retry of
// it failed too.
func TestClientExitsThreeWhenTheFirstDialFails(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{srv.URL("/reject/404")}, openStdin(t), nil)
	if code != exitNoConnection || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "404") {
		t.Errorf("exit %d, stderr %q; want 3 and one line with the 404", code, stderr)
	}
	args := []string{"--retry-first-dial", "--max-attempts", "2", "--backoff-initial", "1ms", "--backoff-max", "2ms", srv.URL("/reject/500")}
	code, _, stderr = runCLI(t, args, openStdin(t), nil)
	if code != exitNoConnection || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "attempts exhausted") {
		t.Errorf("--retry-first-dial: exit %d, stderr %q; want 3 and one line", code, stderr)
	}
	if got := srv.Accepted(); got != 0 {
		t.Errorf("%d upgrades accepted by /reject", got)
	}
}

// With -v a failed dial is named once among the transitions (the second
// says "(same)"), and once more as the reason of the exit; never twice in
// a row. (runCLI checks that no line stutters "wsfsm: wsfsm:".)
func TestClientFailedDialIsNotRepeated(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{"-v", srv.URL("/reject/404")}, openStdin(t), nil)
	if code != exitNoConnection {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(stderr, "refused upgrade"); n != 2 || !strings.Contains(stderr, "(same)") {
		t.Errorf("the refusal appears %d times in:\n%s\nwant once in the transitions, once in the final line", n, stderr)
	}
}

// No line shows the URL's query or password.
func TestClientNeverPrintsSecretsOfTheURL(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	secretURL := srv.URL("/reject/404?token=s3cr3t#frag")
	for _, args := range [][]string{
		{"-v", secretURL},
		{"--json", secretURL},
		{"-v", strings.Replace(secretURL, "ws://", "ws://user:pa55w0rd@", 1)},
		{"-v", strings.Replace(secretURL, "ws://", "http://", 1)},
		{"-v", "ws://127.0.0.1:1/?token=s3cr3t"},          // nothing listens there
		{"-v", "ws://user:pa55w0rd@host:x/?token=s3cr3t"}, // does not parse
		{"ws://x", "ws://user:pa55w0rd@host:x/"},          // an extra argument that does not parse
	} {
		_, stdout, stderr := runCLI(t, args, openStdin(t), nil)
		for _, secret := range []string{"s3cr3t", "pa55w0rd", "frag"} {
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("%q: output shows %q:\n%s%s", args, secret, stdout, stderr)
			}
		}
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
		{[]string{"ws://u:p@x/"}, "user info is not allowed"},
		{[]string{"--bogus", "ws://x"}, "-bogus"},
		{[]string{"--close-timeout", "soon", "ws://x"}, "-close-timeout"},
		{[]string{"--max-attempts", "-1", "ws://x"}, "--max-attempts"},
		{[]string{"--linger", "-1s", "ws://x"}, "--linger"},
		{[]string{"-H", "no colon", "ws://x"}, "-H"},
		{[]string{"--header", "Bearer s3cr3t", "ws://x"}, "withheld"},
		{[]string{"ws://x", "ws://y?token=s3cr3t"}, `"ws://y"`},
		{[]string{"--protocol", "a b", "ws://x"}, "subprotocol"},
		{[]string{"-b", "-t", "ws://x"}, "exclude"},
		{[]string{"-b", "--base64", "ws://x"}, "--base64"},
		{[]string{"-k", "--cacert", "x.pem", "ws://x"}, "exclude"},
		{[]string{"--cacert", "/nonexistent.pem", "ws://x"}, "--cacert"},
		{[]string{"--cacert", "client_test.go", "ws://x"}, "no PEM certificate"},
		{[]string{"--close-status-code", "1006", "ws://x"}, "--close-status-code: a client may send 1000-1003, 1007-1010 or 3000-4999"},
		{[]string{"--close-status-code", "1011", "ws://x"}, "--close-status-code"},
		{[]string{"-H", "Sec-WebSocket-Key: x", "ws://x"}, "set by the WebSocket handshake"},
		{[]string{"-H", "Sec-WebSocket-Protocol: x", "ws://x"}, "--protocol"},
		{[]string{"--max-attempts", "-1", "ws://x"}, "--no-reconnect"},
		{[]string{"--no-reconnect", "--max-attempts", "2", "ws://x"}, "exclude"},
		{[]string{"-1", "--max-messages", "2", "ws://x"}, "-1"},
		{[]string{"-u", "-U", "ws://x"}, "exclude"},
		{[]string{"-0", "-b", "ws://x"}, "-0"},
		{[]string{"--max-messages-rev", "-1", "ws://x"}, "--max-messages"},
		{[]string{"--proxy", "ftp://p:1", "ws://x"}, "scheme"},
		{[]string{"--proxy", "http://u:s3cr3t@p:1", "--socks5", "p:1", "ws://x"}, "exclude"},
		{[]string{"--socks5", "nohost", "ws://x"}, "HOST:PORT"},
		{[]string{"--client-cert", "c.pem", "ws://x"}, "go together"},
		{[]string{"--client-cert", "/nonexistent.pem", "--client-key", "/nonexistent.key", "ws://x"}, "--client-cert"},
		{[]string{"-s", "8080", "ws://x"}, "dials nothing"},
		{[]string{"-s", "8080", "--proxy", "http://p:1"}, "-s listens"},
		{[]string{"-s", "localhost"}, "PORT"},
		{[]string{"ws-l:127.0.0.1:x"}, "port"},
		{[]string{"--close-status-code", "5000", "ws://x"}, "--close-status-code"},
		{[]string{"--close-status-code", "going", "ws://x"}, "-close-status-code"},
		{[]string{"--close-reason", "bye", "ws://x"}, "--close-reason needs --close-status-code"},
		{[]string{"--close-status-code", "1001", "--close-reason", strings.Repeat("é", 62), "ws://x"}, "124 bytes, at most 123"},
		{[]string{"--close-status-code", "1001", "--close-reason", "\xff", "ws://x"}, "--close-reason: not UTF-8"},
		{[]string{"--json"}, "missing URL"},
		{[]string{"ws://x", "ws://y"}, `"ws://y"`},
		{[]string{"diagram", "--format", "png"}, `"png"`},
		{[]string{"serve", "a", "b"}, `"b"`},
		{[]string{"serve", "localhost"}, "PORT"},
		{[]string{"serve", "--cert-file", "x.pem", "0"}, "--tls"},
		{[]string{"version", "x"}, `"x"`},
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
		if strings.Contains(stderr, "s3cr3t") {
			t.Errorf("%q: stderr %q shows the secret", tc.args, stderr)
		}
	}
}

func TestUsageListsSubcommandsFlagsAndExitStatuses(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"-help"}} {
		code, stdout, stderr := runCLI(t, args, nil, nil)
		if code != exitOK || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, stderr)
		}
		for _, want := range []string{"wsfsm serve", "wsfsm diagram", "wsfsm version", "[flags] URL",
			"-n, --no-close", "-1, --one-message", "-b, --binary", "-t, --text", "-v ", "--linger", "--origin", "--cacert",
			"-k, --insecure", "-H, --header", "--protocol", "--subprotocol", "--close-timeout", "--handshake-timeout",
			"--ping-interval", "--ping-timeout", "--pong-timeout", "--backoff-initial", "--backoff-max", "--max-attempts",
			"--retry-first-dial", "--json", "--base64", "-V, --version", "--close-status-code", "--close-reason", "Exit status:",
			"-s, --server-mode", "-0, --null-terminated", "--max-messages", "--max-messages-rev", "-E, --exit-on-eof",
			"-u, --unidirectional", "-U, --unidirectional-reverse", "--no-reconnect", "--proxy", "--socks5", "--client-cert", "--client-key"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: usage lacks %q:\n%s", args, want, stdout)
			}
		}
		unwrapped := strings.Join(strings.Fields(stdout), " ")
		for _, e := range exitCodes {
			if !strings.Contains(unwrapped, strconv.Itoa(e.code)+" "+e.meaning) {
				t.Errorf("%q: usage lacks exit status %d: %s", args, e.code, e.meaning)
			}
		}
		for _, line := range strings.Split(stdout, "\n") {
			if len([]rune(line)) > helpWidth {
				t.Errorf("usage line wider than %d: %q", helpWidth, line)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-V"}} {
		code, stdout, stderr := runCLI(t, args, nil, nil)
		if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "wsfsm ") || !strings.HasSuffix(stdout, " "+runtime.Version()+"\n") || strings.Count(stdout, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one line: wsfsm VERSION ... %s", args, code, stdout, stderr, runtime.Version())
		}
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}
	if got := formatVersion(info); got != "wsfsm v1.2.3 go1.26.8" {
		t.Errorf("a tagged build: %q", got)
	}
	info.Main.Version = "(devel)"
	info.Settings = []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}
	if got := formatVersion(info); got != "wsfsm (devel) commit 0123456789ab 2026-01-02T03:04:05Z (modified) go1.26.8" {
		t.Errorf("a checkout: %q", got)
	}
}

// runAsync runs the command on a goroutine, with a signal channel the test
// sends to; its exit code arrives on done.
func runAsync(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (signals chan<- os.Signal, done <-chan int) {
	sig, exit := make(chan os.Signal), make(chan int, 1)
	go func() { exit <- run(ctx, args, stdin, stdout, stderr, sig) }()
	return sig, exit
}

func TestClientTwoSignalsAbortAnUnansweredClose(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	ctx := testContext(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	stdin, lines := io.Pipe()
	defer lines.Close()
	signals, done := runAsync(ctx, []string{"--json", "--close-timeout", "1h", srv.URL("/ignore-close")}, stdin, stdout, stderr)
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
	ts, _, _ := parseJSONLines(t, stdout.String())
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
	signals, done := runAsync(ctx, []string{"--handshake-timeout", "1h", bh.URL("/")}, openStdin(t), io.Discard, io.Discard)
	signals <- os.Interrupt // received only by the waiting dial: the black hole never answers
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
}

// A stalled handshake ends with --handshake-timeout, as a failed first dial.
func TestClientHandshakeTimeoutOnAStalledServer(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr, _ := bounded(t, 10*time.Second, []string{"--handshake-timeout", "100ms", srv.URL("/stall")}, openStdin(t))
	if code != exitNoConnection || !strings.Contains(stderr, "handshake") {
		t.Errorf("exit %d, stderr %q; want 3 and the handshake timeout", code, stderr)
	}
}

func TestClientTLSTrust(t *testing.T) {
	srv := wstest.NewTLSServer()
	defer srv.Close()
	code, _, stderr := runCLI(t, []string{srv.URL("/echo")}, openStdin(t), nil)
	if code != exitNoConnection || !strings.Contains(stderr, "certificate") {
		t.Errorf("untrusted: exit %d, stderr %q; want 3 and a certificate error", code, stderr)
	}
	code, stdout, stderr := runCLI(t, []string{"-k", srv.URL("/echo")}, strings.NewReader("secret\n"), nil)
	if code != exitOK || stdout != "secret\n" {
		t.Errorf("-k: exit %d, stdout %q, stderr %q; want 0 and the echo", code, stdout, stderr)
	}
	cafile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(cafile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, []string{"--cacert", cafile, srv.URL("/echo")}, strings.NewReader("trusted\n"), nil)
	if code != exitOK || stdout != "trusted\n" {
		t.Errorf("--cacert: exit %d, stdout %q, stderr %q; want 0 and the echo", code, stdout, stderr)
	}
}

func TestClientSendsHeadersOriginAndSubprotocols(t *testing.T) {
	srv := newCountingServer(t, "chat")
	args := []string{"-H", "X-Token: abc", "--header", "X-Token: def", "--origin", "https://app.example",
		"--protocol", "v2, v3", "--subprotocol", "chat", srv.url()}
	code, stdout, stderr := runCLI(t, args, strings.NewReader("hi\n"), nil)
	if code != exitOK || stdout != "hi\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and the echo", code, stdout, stderr)
	}
	_, _, got := srv.got(t)
	if v := got.Values("X-Token"); len(v) != 2 || v[0] != "abc" || v[1] != "def" {
		t.Errorf("X-Token %q, want abc and def", v)
	}
	if v := got.Get("Origin"); v != "https://app.example" {
		t.Errorf("Origin %q", v)
	}
	if v := got.Get("Sec-WebSocket-Protocol"); v != "v2, v3, chat" {
		t.Errorf("Sec-WebSocket-Protocol %q, want %q", v, "v2, v3, chat")
	}
}

// Durations take a bare number of seconds too, as websocat's do.
func TestDurationFlagTakesSeconds(t *testing.T) {
	var d time.Duration
	for in, want := range map[string]time.Duration{"10": 10 * time.Second, "0.5": 500 * time.Millisecond, "250ms": 250 * time.Millisecond, "-1": -time.Second} {
		if err := (durationFlag{&d}).Set(in); err != nil || d != want {
			t.Errorf("%q: %v, %v; want %v", in, d, err, want)
		}
	}
	if err := (durationFlag{&d}).Set("soon"); err == nil {
		t.Error(`"soon" accepted`)
	}
}

func TestCloseMeanings(t *testing.T) {
	for code, want := range map[int]string{1000: "normal", 1007: "UTF-8", 1011: "internal", 1015: "TLS", 3001: "IANA", 4999: "application", 999: "not a defined"} {
		if got := closeMeaning(code); !strings.Contains(got, want) {
			t.Errorf("%d: %q, want it to mention %q", code, got, want)
		}
	}
	if got := describe(&wsfsm.CloseError{Code: 1006}); !strings.Contains(got, "without a close frame") {
		t.Errorf("1006: %q", got)
	}
}

// closeServer echoes and reports the close frame each connection got.
func closeServer(t *testing.T) (url string, frames <-chan *websocket.CloseError) {
	got := make(chan *websocket.CloseError, 4)
	url = testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		for {
			typ, msg, err := ws.ReadMessage() // answers a close frame with its code
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				got <- ce
			}
			if err != nil || ws.WriteMessage(typ, msg) != nil {
				return
			}
		}
	})
	return url + "/", got
}

// --close-status-code and --close-reason are what the client's close frame
// carries, whatever starts the close; without them it is 1000 with no reason.
func TestClientCloseStatusAndReason(t *testing.T) {
	url, frames := closeServer(t)
	for _, tc := range []struct {
		args   []string
		code   int
		reason string
	}{
		{nil, 1000, ""},
		{[]string{"--close-status-code", "1001"}, 1001, ""},
		{[]string{"--close-status-code", "4001", "--close-reason", "bye now, élan"}, 4001, "bye now, élan"},
		{[]string{"--close-reason", strings.Repeat("r", 123), "--close-status-code", "3000"}, 3000, strings.Repeat("r", 123)},
	} {
		code, stdout, stderr := runCLI(t, append(tc.args, url), strings.NewReader("hi\n"), nil)
		if code != exitOK || stdout != "hi\n" || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and the echo", tc.args, code, stdout, stderr)
		}
		select {
		case ce := <-frames:
			if ce.Code != tc.code || ce.Text != tc.reason {
				t.Errorf("%q: the server got %d %q, want %d %q", tc.args, ce.Code, ce.Text, tc.code, tc.reason)
			}
		case <-testContext(t).Done():
			t.Fatalf("%q: the server got no close frame", tc.args)
		}
	}

	// Ctrl-C closes with the same frame.
	ctx := testContext(t)
	stdout := newSyncBuffer()
	stdin, lines := io.Pipe()
	defer lines.Close()
	signals, done := runAsync(ctx, []string{"--close-status-code", "4002", "--close-reason", "interrupted", url}, stdin, stdout, io.Discard)
	if _, err := io.WriteString(lines, "ping\n"); err != nil { // the echo proves the client is open
		t.Fatal(err)
	}
	stdout.waitFor(ctx, t, "ping")
	signals <- os.Interrupt
	if code := <-done; code != exitOK {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
	select {
	case ce := <-frames:
		if ce.Code != 4002 || ce.Text != "interrupted" {
			t.Errorf("Ctrl-C: the server got %d %q, want 4002 \"interrupted\"", ce.Code, ce.Text)
		}
	case <-ctx.Done():
		t.Fatal("Ctrl-C: the server got no close frame")
	}
}

// The flags refuse exactly what Conn.CloseWith refuses: on a closed Conn,
// CloseWith still checks its arguments first (ErrBadCloseCode), and
// otherwise says ErrClosed.
func TestCloseFlagsAgreeWithCloseWith(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	c, err := wsfsm.Dial(testContext(t), srv.URL("/echo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(testContext(t)); err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{-1, 0, 999, 1000, 1001, 1002, 1004, 1005, 1006, 1011, 1015, 2999, 3000, 3999, 4000, 4999, 5000} {
		for _, reason := range []string{"", "ok", strings.Repeat("x", 123), strings.Repeat("x", 124), "\xff"} {
			flagErr := checkCloseFlags(code, reason)
			libErr := c.CloseWith(testContext(t), code, reason)
			if !errors.Is(libErr, wsfsm.ErrBadCloseCode) && !errors.Is(libErr, wsfsm.ErrClosed) {
				t.Fatalf("CloseWith(%d, %q) = %v, want ErrBadCloseCode or ErrClosed", code, reason, libErr)
			}
			if (flagErr != nil) != errors.Is(libErr, wsfsm.ErrBadCloseCode) {
				t.Errorf("%d %q (%d bytes): flags say %v, CloseWith says %v", code, reason, len(reason), flagErr, libErr)
			}
		}
	}
}
