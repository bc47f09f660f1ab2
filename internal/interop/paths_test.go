package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm/wstest"
	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

// pathCase runs a peer's client against one path of a wstest server and
// checks its report.
type pathCase struct {
	name  string
	path  string
	args  []string
	check func(t *testing.T, peer string, r ClientReport)
}

// Every path of wstest (what `wsfsm serve` serves) against clients that are
// not this project's: Python websockets and Node ws.
func TestServePathsWithPeerClients(t *testing.T) {
	cases := pathCases()
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.name] = true
	}
	for _, p := range wstest.Paths() {
		if !covered[p.Pattern] {
			t.Errorf("no peer-client case for %s", p.Pattern)
		}
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := wstest.NewServer()
			defer srv.Close()
			for _, c := range cases {
				t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
					r := RunClient(t, name, append([]string{srv.URL(c.path)}, c.args...)...)
					c.check(t, name, r)
				})
			}
		})
	}
}

// The sink records what a peer's client sent, in order.
func TestSinkRecordsPeerClientMessages(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := wstest.NewServer()
			defer srv.Close()
			r := RunClient(t, name, srv.URL("/sink"), "--send", "a", "--send-hex", "00ff", "--send", "c", "--receive", "0")
			requireClose(t, r, 1000, 1000, "") // gorilla echoes the code, not the reason
			got := srv.ConnMessages()
			if len(got) != 1 || len(got[0]) != 3 || string(got[0][0]) != "a" || string(got[0][1]) != "\x00\xff" || string(got[0][2]) != "c" {
				t.Errorf("sink recorded %q, want a, 00ff, c", got)
			}
			if len(r.Messages) != 0 {
				t.Errorf("the sink sent %d messages", len(r.Messages))
			}
		})
	}
}

// A TLS server's certificate, written to a file, is all a peer's client
// needs to trust it; without it the handshake fails.
func TestTLSWithPeerClients(t *testing.T) {
	srv := wstest.NewTLSServer()
	t.Cleanup(srv.Close) // after the parallel subtests
	cafile := filepath.Join(t.TempDir(), "cert.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(cafile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := RunClient(t, name, srv.URL("/echo"), "--cafile", cafile, "--send", "over TLS", "--receive", "1")
			requireMessages(t, r, "text:over TLS")
			r = RunClient(t, name, srv.URL("/echo"), "--timeout", "5")
			if r.Opened || r.Error == nil {
				t.Errorf("without --cafile: opened %v, error %v; want a failed TLS handshake", r.Opened, r.Error)
			}
		})
	}
}

func pathCases() []pathCase {
	textOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return string(b)
	}
	binaryOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return string(b)
	}
	badFrame := func(kind string, code int) pathCase {
		return pathCase{"/bad-frame/KIND", "/bad-frame/" + kind + "?after=1", []string{"--send", "first"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:first")
			if r.Close == nil || r.Close.Sent == nil || *r.Close.Sent != code || r.Error == nil {
				t.Errorf("close %s, error %s; want the client to fail the connection with %d", closeText(r.Close), str(r.Error), code)
			}
		}}
	}
	return []pathCase{
		{"/echo", "/echo", []string{"--send", "hello", "--send-hex", "00ff80", "--receive", "2"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:hello", "binary:\x00\xff\x80")
			requireClose(t, r, 1000, 1000, "") // gorilla echoes the code, not the reason
		}},
		{"/close/CODE", "/close/1001?after=1&reason=bye", []string{"--send", "x"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:x")
			requireClose(t, r, 1001, 1001, "bye")
		}},
		{"/ignore-close", "/ignore-close", []string{"--send", "x", "--receive", "1", "--close-timeout", "0.3"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:x")
			if r.Close == nil || r.Close.Sent == nil || *r.Close.Sent != 1000 || r.Close.Received != nil {
				t.Errorf("close %s; want 1000 sent, nothing received", closeText(r.Close))
			}
		}},
		{"/drop-after/N", "/drop-after/1", []string{"--send", "a", "--send", "b"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:a")
			if r.Close == nil || r.Close.Received != nil || r.Close.Sent != nil {
				t.Errorf("close %s; want TCP cut with no close frame either way", closeText(r.Close))
			}
		}},
		{"/silent", "/silent?for=200ms", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r)
			if !r.Opened || r.Close == nil || r.Close.Received != nil {
				t.Errorf("opened %v, close %s; want open, then cut with no close frame", r.Opened, closeText(r.Close))
			}
		}},
		{"/reject/STATUS", "/reject/503?retry_after=7", nil, func(t *testing.T, _ string, r ClientReport) {
			if r.Opened || r.HTTPStatus != 503 || r.RetryAfter == nil || *r.RetryAfter != "7" {
				t.Errorf("opened %v, status %d, Retry-After %s; want 503 and 7", r.Opened, r.HTTPStatus, str(r.RetryAfter))
			}
		}},
		{"/sink", "/sink", []string{"--send", "a", "--receive", "0"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r)
			requireClose(t, r, 1000, 1000, "") // gorilla echoes the code, not the reason
		}},
		{"/ack", "/ack?mode=id&every=2", []string{"--send", `{"id":"a"}`, "--send", `{"id":7}`, "--send", "no id", "--receive", "1"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, `text:{"ack":["a","7"]}`)
		}},
		{"/stall", "/stall", []string{"--timeout", "0.5"}, func(t *testing.T, _ string, r ClientReport) {
			if r.Opened || r.Error == nil || !strings.Contains(strings.ToLower(*r.Error), "timeout") && !strings.Contains(strings.ToLower(*r.Error), "timed out") {
				t.Errorf("opened %v, error %s; want the opening handshake to time out", r.Opened, str(r.Error))
			}
		}},
		{"/subprotocol", "/subprotocol?accept=chat,v2", []string{"--subprotocol", "v1", "--subprotocol", "chat", "--receive", "1"}, func(t *testing.T, _ string, r ClientReport) {
			if r.Subprotocol == nil || *r.Subprotocol != "chat" {
				t.Errorf("subprotocol %s, want chat", str(r.Subprotocol))
			}
			requireMessages(t, r, "text:subprotocol: chat")
		}},
		{"/size/N", "/size/100000?type=text&count=2", []string{"--receive", "2"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:"+textOf(100000), "text:"+textOf(100000))
		}},
		{"/size/N", "/size/70000", []string{"--receive", "1"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "binary:"+binaryOf(70000))
		}},
		{"/fragments/N", "/fragments/3", []string{"--send", "aébc", "--send-hex", "000102030405", "--receive", "2"}, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:aébc", "binary:\x00\x01\x02\x03\x04\x05")
		}},
		badFrame("utf8", 1007),
		badFrame("rsv", 1002),
		badFrame("opcode", 1002),
		{"/ping", "/ping?every=50ms&count=3", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:pong 1", "text:pong 2", "text:pong 3")
			requireClose(t, r, 1000, 1000, "pings answered")
		}},
		{"/ping-flood", "/ping-flood?count=50", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:ping-flood: sent 51 pings, received 51 pongs")
			requireClose(t, r, 1000, 1000, "ping flood over")
		}},
		// Python websockets answers every ping. Node ws (8.x) cuts the
		// connection once more than 60 of its pongs wait to be written
		// (maxPendingAutoPongs): whether a flood gets there depends on how
		// the pings are split into TCP reads, so either outcome is right.
		{"/ping-flood", "/ping-flood?count=2000", nil, func(t *testing.T, peer string, r ClientReport) {
			if peer == "node" && len(r.Messages) == 0 && r.Close != nil && r.Close.Sent == nil && r.Close.Received == nil {
				t.Logf("node cut the connection under the flood (maxPendingAutoPongs)")
				return
			}
			if len(r.Messages) != 1 || r.Messages[0].Data == nil || !strings.HasPrefix(*r.Messages[0].Data, "ping-flood: sent 2001 pings, received ") {
				t.Fatalf("messages %+v, close %s; want the flood's summary", r.Messages, closeText(r.Close))
			}
			if strings.HasSuffix(*r.Messages[0].Data, "received 0 pongs") {
				t.Errorf("%q: the client answered no ping (RFC 6455 asks for at least the latest)", *r.Messages[0].Data)
			}
			requireClose(t, r, 1000, 1000, "ping flood over")
		}},
		{"/getCaseCount", "/getCaseCount", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, "text:"+strconv.Itoa(len(autobahn.NewServer(autobahn.Config{}).Cases())))
			requireClose(t, r, 1000, 1000, "")
		}},
		{"/getCaseInfo", "/getCaseInfo?case=17", nil, func(t *testing.T, _ string, r ClientReport) {
			if len(r.Messages) != 1 || r.Messages[0].Data == nil || !strings.HasPrefix(*r.Messages[0].Data, `{"description":"Send ping without payload.","id":"2.1"}`) {
				t.Errorf("messages %+v, want case 17's id 2.1 and description", r.Messages)
			}
			requireClose(t, r, 1000, 1000, "")
		}},
		// Case 2.1: a ping, which the client's library answers; then the
		// fuzzer closes with 1000.
		{"/runCase", "/runCase?case=17&agent=peer", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r)
			requireClose(t, r, 1000, 1000, "")
		}},
		{"/getCaseStatus", "/getCaseStatus?case=17&agent=peer", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r, `text:{"behavior":"OK"}`)
			requireClose(t, r, 1000, 1000, "")
		}},
		{"/updateReports", "/updateReports?agent=peer", nil, func(t *testing.T, _ string, r ClientReport) {
			requireMessages(t, r)
			requireClose(t, r, 1000, 1000, "")
		}},
	}
}

// requireMessages checks the messages received, each given as "TYPE:DATA".
func requireMessages(t *testing.T, r ClientReport, want ...string) {
	t.Helper()
	if r.Error != nil && len(r.Messages) < len(want) {
		t.Logf("client error: %s", *r.Error)
	}
	if len(r.Messages) != len(want) {
		t.Fatalf("%d messages %+v, want %d", len(r.Messages), r.Messages, len(want))
	}
	for i, w := range want {
		typ, data, _ := strings.Cut(w, ":")
		sum := sha256.Sum256([]byte(data))
		m := r.Messages[i]
		if m.Type != typ || m.Size != len(data) || m.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("message %d: %s of %d bytes (sha256 %.12s), want %s of %d bytes (sha256 %.12s)",
				i, m.Type, m.Size, m.SHA256, typ, len(data), hex.EncodeToString(sum[:]))
		}
	}
}

// requireClose checks the close frames the client sent and received.
func requireClose(t *testing.T, r ClientReport, sent, received int, reason string) {
	t.Helper()
	c := r.Close
	if c == nil || c.Sent == nil || *c.Sent != sent || c.Received == nil || *c.Received != received || c.ReceivedReason != reason {
		t.Errorf("close %s (error %s); want sent %d, received %d %q", closeText(c), str(r.Error), sent, received, reason)
	}
}

func closeText(c *ClientClose) string {
	if c == nil {
		return "none"
	}
	code := func(p *int) string {
		if p == nil {
			return "none"
		}
		return strconv.Itoa(*p)
	}
	return fmt.Sprintf("sent %s %q, received %s %q", code(c.Sent), c.SentReason, code(c.Received), c.ReceivedReason)
}

func str(p *string) string {
	if p == nil {
		return "none"
	}
	return *p
}
