package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/interop"
	"github.com/wsfsm/wsfsm/wstest"
)

// startServe runs `wsfsm serve args...` until the test sends on the returned
// channel or ends, and returns its first lines up to the path listing.
type serveRun struct {
	signals chan os.Signal
	done    chan int
	lines   chan string
	header  []string // every line before the path listing
	addr    string   // HOST:PORT it listens on
	stderr  *syncBuffer
	stopped bool // stop was called: done and lines were consumed
}

func startServe(t *testing.T, args ...string) *serveRun {
	t.Helper()
	ctx := testContext(t)
	out, outW := io.Pipe()
	r := &serveRun{signals: make(chan os.Signal), done: make(chan int, 1), lines: make(chan string), stderr: newSyncBuffer()}
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), nil, outW, r.stderr, r.signals)
		outW.Close()
		r.done <- code
	}()
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if r.stopped {
			return
		}
		select {
		case r.signals <- os.Interrupt:
		case <-r.done:
			return
		}
		for range r.lines {
		}
		<-r.done
	})
	first, ok := <-r.lines
	rest, found := strings.CutPrefix(first, "wsfsm serve: listening on ")
	if !ok || !found {
		t.Fatalf("first line %q, want the listening address; stderr %s", first, r.stderr)
	}
	r.addr, _, _ = strings.Cut(rest, ";")
	r.header = []string{first}
	return r
}

// listing reads the path listing: one line per wstest path, its example URL
// first.
func (r *serveRun) listing(t *testing.T, scheme string) {
	t.Helper()
	for _, p := range wstest.Paths() {
		line := <-r.lines
		for strings.HasPrefix(line, "wsfsm serve: ") {
			r.header = append(r.header, line)
			line = <-r.lines
		}
		if want := scheme + "://" + r.addr + p.Example; !strings.HasPrefix(strings.TrimSpace(line), want+" ") {
			t.Errorf("line %q, want the URL %s and what it does", line, want)
		}
	}
}

// stop sends Ctrl-C and checks the server stops cleanly.
func (r *serveRun) stop(t *testing.T) {
	t.Helper()
	r.stopped = true
	r.signals <- os.Interrupt
	if code := <-r.done; code != exitOK {
		t.Errorf("exit %d, want 0; stderr: %s", code, r.stderr)
	}
	for line := range r.lines {
		if line != "wsfsm serve: stopped" {
			t.Errorf("unexpected line after the URLs: %q", line)
		}
	}
}

func echoThrough(ctx context.Context, t *testing.T, url string, opts *wsfsm.Options) {
	t.Helper()
	c, err := wsfsm.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Send(ctx, wsfsm.Text, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Receive(ctx); err != nil || string(got) != "hi" {
		t.Errorf("echo: %q, %v", got, err)
	}
}

func TestServeRunsTheTestServerUntilASignal(t *testing.T) {
	for _, arg := range []string{"127.0.0.1:0", "0"} { // HOST:PORT, and PORT alone on 127.0.0.1
		t.Run(arg, func(t *testing.T) {
			r := startServe(t, "--close-timeout", "200ms", arg)
			if !strings.HasPrefix(r.addr, "127.0.0.1:") {
				t.Errorf("listening on %q, want 127.0.0.1", r.addr)
			}
			r.listing(t, "ws")
			// The printed echo URL works, and a live connection that never
			// answers holds the shutdown up no longer than --close-timeout.
			echoThrough(testContext(t), t, "ws://"+r.addr+"/echo", nil)
			c, err := wsfsm.Dial(testContext(t), "ws://"+r.addr+"/silent", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			r.stop(t)
		})
	}
}

func TestServeAddr(t *testing.T) {
	for arg, want := range map[string]string{
		"":               "127.0.0.1:8080",
		"8080":           "127.0.0.1:8080",
		":8080":          ":8080",
		"127.0.0.1:9000": "127.0.0.1:9000",
		"[::1]:9000":     "[::1]:9000",
		"localhost:0":    "localhost:0",
	} {
		if got, err := listenAddr(arg); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", arg, got, err, want)
		}
	}
	for _, bad := range []string{"localhost", "70000", ":x", "1.2.3.4:99999", "-1"} {
		if got, err := listenAddr(bad); err == nil {
			t.Errorf("%q: %q, want an error", bad, got)
		}
	}
}

// serve -h lists every path, with its example and every query option.
func TestServeHelpListsEveryPathAndOption(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--help"}} {
		code, stdout, stderr := runCLI(t, args, nil, nil)
		if code != exitOK || stderr != "" {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"--tls", "--cert-file", "PORT", ":PORT", "HOST:PORT"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q lacks %q", args, want)
			}
		}
		for _, p := range wstest.Paths() {
			if !strings.Contains(stdout, "\n  "+p.Pattern) || !strings.Contains(stdout, p.Example) {
				t.Errorf("%q lacks %s or its example %s", args, p.Pattern, p.Example)
			}
			for _, q := range p.Query {
				if !strings.Contains(stdout, "?"+q.Name+"=") {
					t.Errorf("%q lacks %s's option ?%s=", args, p.Pattern, q.Name)
				}
			}
		}
		for _, line := range strings.Split(stdout, "\n") {
			if len([]rune(line)) > helpWidth {
				t.Errorf("line wider than %d: %q", helpWidth, line)
			}
		}
	}
}

// serve --tls writes its certificate where it says; the client trusts it
// with --cacert, and so does a client that is not this project's.
func TestServeTLSCertificateForClients(t *testing.T) {
	certFile := filepath.Join(t.TempDir(), "serve.pem")
	r := startServe(t, "--tls", "--cert-file", certFile, "127.0.0.1:0")
	r.listing(t, "wss")
	if len(r.header) != 2 || !strings.Contains(r.header[1], "--cacert "+certFile+" wss://"+r.addr+"/echo") {
		t.Fatalf("header %q, want the certificate file and the client command", r.header)
	}
	code, stdout, stderr := runCLI(t, []string{"--cacert", certFile, "wss://" + r.addr + "/echo"}, strings.NewReader("over TLS\n"), nil)
	if code != exitOK || stdout != "over TLS\n" {
		t.Errorf("wsfsm --cacert: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, []string{"wss://" + r.addr + "/echo"}, openStdin(t), nil)
	if code != exitNoConnection || !strings.Contains(stderr, "certificate") {
		t.Errorf("without --cacert: exit %d, stderr %q; want 3 and a certificate error", code, stderr)
	}
	for _, peer := range interop.Names() {
		t.Run(peer, func(t *testing.T) { // a missing peer skips this part only
			rep := interop.RunClient(t, peer, "wss://"+r.addr+"/echo", "--cafile", certFile, "--send", "from "+peer, "--receive", "1")
			if len(rep.Messages) != 1 || rep.Messages[0].Data == nil || *rep.Messages[0].Data != "from "+peer {
				t.Errorf("%s client with the certificate: %+v", peer, rep)
			}
		})
	}
	r.stop(t)
	if _, err := os.Stat(certFile); err != nil {
		t.Errorf("--cert-file %s: %v; want it left in place", certFile, err)
	}
}

// Without --cert-file the certificate goes to a temporary file, removed on
// exit.
func TestServeTLSTemporaryCertificate(t *testing.T) {
	r := startServe(t, "--tls", "127.0.0.1:0")
	r.listing(t, "wss")
	_, rest, _ := strings.Cut(r.header[1], "certificate in ")
	certFile, _, _ := strings.Cut(rest, ";")
	if _, err := os.Stat(certFile); err != nil {
		t.Fatalf("certificate file %q: %v (header %q)", certFile, err, r.header)
	}
	r.stop(t)
	if _, err := os.Stat(certFile); !os.IsNotExist(err) {
		t.Errorf("%s still there after exit: %v", certFile, err)
	}
}

// Ctrl-C closes every client with 1001 and exits as soon as they answered
// (here --close-timeout is an hour: the answers end it); a client that never
// answers is dropped at --close-timeout.
func TestServeClosesClientsWith1001(t *testing.T) {
	r := startServe(t, "--close-timeout", "1h", "127.0.0.1:0")
	r.listing(t, "ws")
	ws, _, err := websocket.DefaultDialer.DialContext(testContext(t), "ws://"+r.addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	got := make(chan error, 1)
	go func() {
		_, _, err := ws.ReadMessage() // answers the close frame
		got <- err
	}()
	r.stop(t)
	if err := <-got; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the client's read ended with %v, want a close frame with 1001", err)
	}

	r = startServe(t, "--close-timeout", "100ms", "127.0.0.1:0")
	r.listing(t, "ws")
	silent, _, err := websocket.DefaultDialer.DialContext(testContext(t), "ws://"+r.addr+"/silent", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	r.stop(t) // /silent reads nothing, so it never sees an answer
}
