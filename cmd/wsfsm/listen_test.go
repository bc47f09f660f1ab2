package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm/internal/interop"
)

// listenRun is `wsfsm -s 127.0.0.1:0 args...` running in-process.
type listenRun struct {
	stdin   *io.PipeWriter
	stdout  *syncBuffer
	stderr  *syncBuffer
	signals chan os.Signal
	done    chan int
	url     string // ws://127.0.0.1:PORT/
}

func startListen(t *testing.T, args ...string) *listenRun {
	t.Helper()
	ctx := testContext(t)
	in, w := io.Pipe()
	r := &listenRun{stdin: w, stdout: newSyncBuffer(), stderr: newSyncBuffer(), signals: make(chan os.Signal, 2), done: make(chan int, 1)}
	go func() {
		r.done <- run(ctx, append([]string{"-s", "127.0.0.1:0"}, args...), in, r.stdout, r.stderr, r.signals)
	}()
	t.Cleanup(func() { w.Close() })
	out := r.stderr
	if strings.Contains(strings.Join(args, " "), "--json") {
		out = r.stdout
	}
	out.waitFor(ctx, t, "127.0.0.1:")
	text := out.String()
	i := strings.Index(text, "127.0.0.1:")
	addr := text[i:]
	addr = addr[:strings.IndexAny(addr, "/\"")]
	r.url = "ws://" + addr + "/"
	return r
}

// exit waits for the run to end and returns its status.
func (r *listenRun) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		noStutter(t, r.stdout.String()+r.stderr.String())
		return code
	case <-testContext(t).Done():
		t.Fatalf("-s still running; stdout %q, stderr %q", r.stdout, r.stderr)
		return 0
	}
}

func dialListener(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.DialContext(testContext(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func readText(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(msg)
}

// -s bridges one client to stdin and stdout; when stdin ends and no message
// came for --linger, it closes the client with the close handshake and
// exits 0.
func TestListenBridgesAClient(t *testing.T) {
	r := startListen(t, "--linger", "100ms")
	ws := dialListener(t, r.url)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("from the client\nsecond line")); err != nil {
		t.Fatal(err)
	}
	r.stdout.waitFor(testContext(t), t, "from the client second line\n")
	io.WriteString(r.stdin, "to the client\n")
	if got := readText(t, ws); got != "to the client" {
		t.Errorf("the client got %q", got)
	}
	r.stdin.Close()
	_, _, err := ws.ReadMessage() // our close frame; gorilla answers it
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("the client's read ended with %v, want the close frame 1000", err)
	}
	if code := r.exit(t); code != exitOK {
		t.Errorf("exit %d, stderr %q", code, r.stderr)
	}
}

// Several clients: each line of stdin goes to every client connected; the
// messages of all are written. --max-messages-rev ends the run, closing all.
func TestListenSeveralClients(t *testing.T) {
	r := startListen(t, "--json", "--max-messages-rev", "2")
	a, b := dialListener(t, r.url), dialListener(t, r.url)
	r.stdout.waitForCount(testContext(t), t, `"event":"connected"`, 2)
	io.WriteString(r.stdin, "to all\n")
	if ga, gb := readText(t, a), readText(t, b); ga != "to all" || gb != "to all" {
		t.Errorf("clients got %q and %q, want the line each", ga, gb)
	}
	a.WriteMessage(websocket.TextMessage, []byte("from a"))
	b.WriteMessage(websocket.BinaryMessage, []byte("from b"))
	for _, ws := range []*websocket.Conn{a, b} {
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			t.Errorf("read ended with %v, want our close 1000", err)
		}
	}
	if code := r.exit(t); code != exitOK {
		t.Fatalf("exit %d; stdout %s", code, r.stdout)
	}
	_, ms, _ := parseJSONLines(t, r.stdout.String())
	if len(ms) != 2 || ms[0].Addr == ms[1].Addr || !strings.HasPrefix(ms[0].Addr, "127.0.0.1:") {
		t.Errorf("messages %+v, want from a and from b, each with its client's address", ms)
	}
}

// A client that drops after lines were sent to it: said on stderr, exit 4.
func TestListenClientDropIsSaid(t *testing.T) {
	r := startListen(t, "-n")
	ws := dialListener(t, r.url)
	io.WriteString(r.stdin, "one\n")
	if got := readText(t, ws); got != "one" {
		t.Fatalf("got %q", got)
	}
	ws.NetConn().Close() // no close frame
	r.stderr.waitFor(testContext(t), t, "not known to have arrived")
	r.signals <- os.Interrupt
	if code := r.exit(t); code != exitMayBeLost {
		t.Errorf("exit %d, want %d; stderr %q", code, exitMayBeLost, r.stderr)
	}
}

// Clients that are not this project's: Python websockets and Node ws
// connect to -s, get stdin's line, send theirs, and answer our close once
// stdin ended.
func TestListenWithPeerClients(t *testing.T) {
	for _, peer := range interop.Names() {
		t.Run(peer, func(t *testing.T) {
			r := startListen(t) // --linger 1s: the client's message comes well before
			go func() {         // stdin is read once the first client is there
				io.WriteString(r.stdin, "hello "+peer+"\n")
				r.stdin.Close()
			}()
			rep := interop.RunClient(t, peer, r.url, "--send", "from "+peer)
			if len(rep.Messages) != 1 || rep.Messages[0].Data == nil || *rep.Messages[0].Data != "hello "+peer {
				t.Errorf("the %s client got %+v", peer, rep)
			}
			if code := r.exit(t); code != exitOK || r.stdout.String() != "from "+peer+"\n" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, r.stdout, r.stderr)
			}
		})
	}
}

// Empty stdin does not end -s before a client came: stdin is read once one
// is there, and its end then closes that client's session.
func TestListenEmptyStdinWaitsForAClient(t *testing.T) {
	r := startListen(t, "--linger", "1ms")
	r.stdin.Close()
	ws := dialListener(t, r.url)
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("the client's read ended with %v, want our close 1000", err)
	}
	if code := r.exit(t); code != exitOK {
		t.Errorf("exit %d, stderr %q", code, r.stderr)
	}
}
