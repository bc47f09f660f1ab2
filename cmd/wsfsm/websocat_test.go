package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

// -1 writes exactly one message, however many the server sends before the
// close completes; with empty stdin it waits for that message instead of
// closing at once (the server's first message comes after a ping round).
func TestClientOneMessageWritesExactlyOne(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"-1", srv.URL("/size/3?type=text&count=50")}, strings.NewReader(""))
	if code != exitOK || stdout != "abc\n" || stderr != "" {
		t.Errorf("50 messages: exit %d, stdout %q, stderr %q; want 0 and exactly one message", code, stdout, stderr)
	}
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-1", srv.URL("/ping?every=20ms&count=3")}, strings.NewReader(""))
	if code != exitOK || stdout != "pong 1\n" {
		t.Errorf("empty stdin: exit %d, stdout %q; want 0 and the first message, waited for", code, stdout)
	}
}

// greetThenEchoSlowly greets with two messages on connect, then answers each
// message after a pause, as a server doing work does; it records whether the
// client's close frame came before its answer.
func greetThenEchoSlowly(t *testing.T, pause time.Duration) (url string, closedEarly *atomic.Bool) {
	closedEarly = new(atomic.Bool)
	url = testkit.ServeWS(t, &websocket.Upgrader{}, func(ws *websocket.Conn) {
		reads := make(chan []byte)
		go func() { // reads until the close frame, which gorilla answers
			defer close(reads)
			for {
				_, msg, err := ws.ReadMessage()
				if err != nil {
					return
				}
				reads <- msg
			}
		}()
		ws.WriteMessage(websocket.TextMessage, []byte("hello 1"))
		ws.WriteMessage(websocket.TextMessage, []byte("hello 2"))
		for msg := range reads {
			select {
			case _, ok := <-reads: // the client went on while we worked
				if !ok {
					closedEarly.Store(true)
					return // as Python websockets: nothing more once the close came
				}
			case <-time.After(pause): // a slow answer, not a synchronisation
			}
			ws.WriteMessage(websocket.TextMessage, append([]byte("echo "), msg...))
		}
	})
	return url + "/", closedEarly
}

// When stdin ends, the server's greetings are not replies: the client waits
// for a quiet --linger (1 s), so the slow echo (100 ms) of its one line
// arrives.
func TestClientDoesNotCountGreetingsAsReplies(t *testing.T) {
	url, closedEarly := greetThenEchoSlowly(t, 100*time.Millisecond)
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{url}, strings.NewReader("ping\n")) // --linger 1s
	if code != exitOK || stdout != "hello 1\nhello 2\necho ping\n" || stderr != "" || closedEarly.Load() {
		t.Errorf("exit %d, stdout %q, stderr %q, closed before the echo: %v; want both greetings and the echo", code, stdout, stderr, closedEarly.Load())
	}
	// --max-messages-rev is the explicit count: three messages, then close.
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"--max-messages-rev", "3", "--linger", "1h", url}, strings.NewReader("ping\n"))
	if code != exitOK || stdout != "hello 1\nhello 2\necho ping\n" {
		t.Errorf("--max-messages-rev 3: exit %d, stdout %q", code, stdout)
	}
}

// A drop is said on stderr, with the lines sent on that connection, and
// the exit status says they are not known to have arrived.
func TestClientAnnouncesDropsAndLinesNotKnownToHaveArrived(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	var in strings.Builder
	for i := range 6 {
		in.WriteString(strings.Repeat("x", i+1) + "\n")
	}
	args := []string{"--linger", "200ms", "--backoff-initial", "1ms", srv.URL("/drop-after/2")}
	code, stdout, stderr, _ := bounded(t, 10*time.Second, args, strings.NewReader(in.String()))
	if code != exitMayBeLost || !strings.HasPrefix(stdout, "x\nxx\n") {
		t.Errorf("exit %d, stdout %q; want %d and the first two echoes", code, stdout, exitMayBeLost)
	}
	// The server's drop reaches the client as a FIN (1006), or as a reset
	// when lines it never read were still in its socket: either is said.
	dropped := strings.Contains(stderr, "without a close frame (1006); redialing in") || strings.Contains(stderr, "connection reset by peer; redialing in")
	if !dropped || !strings.Contains(stderr, "not known to have arrived") {
		t.Errorf("stderr %q, want the drop, the redial and the lines not known to have arrived", stderr)
	}
	// Lines answered before our own close are known: exit 0.
	code, _, stderr, _ = bounded(t, 10*time.Second, []string{"--linger", "100ms", srv.URL("/echo")}, strings.NewReader(in.String()))
	if code != exitOK || stderr != "" {
		t.Errorf("echo: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
}

// --no-reconnect: the first lost connection ends the run with exit 1.
func TestClientNoReconnect(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, _, stderr, _ := bounded(t, 10*time.Second, []string{"--no-reconnect", "--backoff-initial", "1ms", srv.URL("/drop-after/0")}, openStdin(t))
	if code != exitFail || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "1006") || strings.Contains(stderr, "redialing") {
		t.Errorf("exit %d, stderr %q; want 1 and one line about the drop", code, stderr)
	}
	if got := srv.Accepted(); got != 1 {
		t.Errorf("the server accepted %d connections, want 1", got)
	}
}

// A message is one line in text mode, its own newlines written as spaces;
// with -0, stdin is split at NUL and each message ends with a NUL.
func TestClientOneMessagePerLineAndNulMode(t *testing.T) {
	srv := newCountingServer(t)
	code, stdout, _, _ := bounded(t, 10*time.Second, []string{"-0", srv.url()}, strings.NewReader("first\nsecond\r\nthird\x00two\x00"))
	if code != exitOK || stdout != "first\nsecond\r\nthird\x00two\x00" {
		t.Errorf("-0: exit %d, stdout %q; want both messages, each ended by a NUL", code, stdout)
	}
	if msgs, _, _ := srv.got(t); len(msgs) != 2 || string(msgs[0]) != "first\nsecond\r\nthird" {
		t.Errorf("-0: the server got %q, want two messages, the first with its newlines", msgs)
	}
	echo := wstest.NewServer()
	defer echo.Close()
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-0", "--linger", "100ms", echo.URL("/echo")}, strings.NewReader("first\nsecond\r\nthird"))
	if code != exitOK || stdout != "first\nsecond\r\nthird\x00" {
		t.Errorf("-0, no final NUL: exit %d, stdout %q", code, stdout)
	}
	p := newPrinter(&clientConfig{}, newSyncBuffer(), io.Discard)
	out := p.stdout.(*syncBuffer)
	p.message(wsfsm.Text, []byte("first\nsecond\r\nthird"), 0)
	p.message(wsfsm.Binary, []byte{'a', '\n', 'b'}, 0)
	if got := out.String(); got != "first second  third\na b\n" {
		t.Errorf("text mode wrote %q, want one line per message", got)
	}
}

// --max-messages sends at most N lines; -E closes as soon as stdin ends;
// -u writes nothing; -U reads no stdin.
func TestClientMessageLimitsAndDirections(t *testing.T) {
	srv := newCountingServer(t)
	code, stdout, _, _ := bounded(t, 10*time.Second, []string{"--max-messages", "2", "--linger", "100ms", srv.url()}, strings.NewReader("a\nb\nc\n"))
	if msgs, _, _ := srv.got(t); code != exitOK || stdout != "a\nb\n" || len(msgs) != 2 {
		t.Errorf("--max-messages 2: exit %d, stdout %q, server got %q", code, stdout, msgs)
	}
	ws := wstest.NewServer()
	defer ws.Close()
	// -E: /sink never answers; --linger 1h alone would wait an hour.
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-E", "--linger", "1h", ws.URL("/sink")}, strings.NewReader("a\n"))
	if code != exitOK || stdout != "" {
		t.Errorf("-E: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-u", "--linger", "1h", ws.URL("/echo")}, strings.NewReader("a\nb\n"))
	if code != exitOK || stdout != "" {
		t.Errorf("-u: exit %d, stdout %q; want nothing written", code, stdout)
	}
	// -U: stdin is not read, so no echo comes: only the greetings.
	url, _ := greetThenEchoSlowly(t, time.Millisecond)
	code, stdout, _, _ = bounded(t, 10*time.Second, []string{"-U", "--max-messages-rev", "2", url}, strings.NewReader("not sent\n"))
	if code != exitOK || stdout != "hello 1\nhello 2\n" {
		t.Errorf("-U: exit %d, stdout %q; want the two greetings", code, stdout)
	}
}

// Any close code RFC 6455 lets a client send goes out, 1008 included.
func TestClientClosesWith1008(t *testing.T) {
	url, frames := closeServer(t)
	code, stdout, stderr := runCLI(t, []string{"--close-status-code", "1008", "--close-reason", "policy", "--linger", "0", url}, strings.NewReader("hi\n"), nil)
	if code != exitOK || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	select {
	case ce := <-frames:
		if ce.Code != 1008 || ce.Text != "policy" {
			t.Errorf("the server got %d %q, want 1008 policy", ce.Code, ce.Text)
		}
	case <-testContext(t).Done():
		t.Fatal("no close frame")
	}
}

// A close that had to abort is one warning, said once ("close: close:" was
// seen), and the 1006 cause has one wording everywhere.
func TestClientCloseWarningAndWordings(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	code, stdout, stderr, _ := bounded(t, 10*time.Second, []string{"--close-timeout", "100ms", "--linger", "0", srv.URL("/ignore-close")}, strings.NewReader("hi\n"))
	if code != exitMayBeLost || strings.Count(stderr, "close") < 1 || strings.Count(stderr, "did not answer the close frame") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want one warning about the unanswered close", code, stdout, stderr)
	}
	ce := &wsfsm.CloseError{Code: 1006}
	if !strings.HasSuffix(ce.Error(), describe(ce)) {
		t.Errorf("1006 is %q in transitions and %q in the final line", ce.Error(), describe(ce))
	}
	// The first dial's error names the URL once.
	code, _, stderr = runCLI(t, []string{"ws://127.0.0.1:1/where?token=x"}, openStdin(t), nil)
	if code != exitNoConnection || strings.Count(stderr, "ws://127.0.0.1:1/where") != 1 {
		t.Errorf("exit %d, stderr %q; want 3 and the URL named once", code, stderr)
	}
}

// An unknown flag is named as typed; a websocat flag says what wsfsm has
// instead, or that it has none.
func TestUnknownWebsocatFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--socks5-destination x":    "--socks5 HOST:PORT",
		"--client-pkcs12-der x":     "--client-cert FILE --client-key FILE",
		"-q":                        "quiet by default",
		"--ua x":                    "-H 'User-Agent: ...'",
		"--conncap 2":               "none",
		"--dump-spec":               "no equivalent",
		"--linemode-strip-newlines": "by default",
		"--no-such-thing":           "unknown flag --no-such-thing",
	} {
		code, _, stderr := runCLI(t, append(strings.Fields(args), "ws://x"), strings.NewReader(""), nil)
		if code != exitUsage || !strings.Contains(stderr, want) || strings.Contains(stderr, "provided but not defined") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", args, code, stderr, want)
		}
	}
	for name := range websocatFlags {
		var cfg clientConfig
		if newClientFlags(&cfg).Lookup(name) != nil {
			t.Errorf("websocat's %s is a wsfsm flag and has a hint too", name)
		}
	}
}

// connectProxy is an HTTP CONNECT proxy that counts its tunnels.
func connectProxy(t *testing.T) (addr string, tunnels *atomic.Int64) {
	tunnels = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		down, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			up.Close()
			down.Close()
			return
		}
		tunnels.Add(1)
		pipe(down, brw.Reader, up)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), tunnels
}

// pipe copies both ways until either side ends, then closes both.
func pipe(down net.Conn, fromDown io.Reader, up net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(up, fromDown); up.Close(); down.Close() }()
	go func() { defer wg.Done(); io.Copy(down, up); up.Close(); down.Close() }()
	wg.Wait()
}

// socks5Proxy is a SOCKS5 proxy without authentication (RFC 1928, CONNECT
// to an IPv4 address or a name) that counts its tunnels.
func socks5Proxy(t *testing.T) (addr string, tunnels *atomic.Int64) {
	tunnels = new(atomic.Int64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				var hello [2]byte
				if _, err := io.ReadFull(r, hello[:]); err != nil || hello[0] != 5 {
					return
				}
				if _, err := r.Discard(int(hello[1])); err != nil {
					return
				}
				c.Write([]byte{5, 0}) // no authentication
				var req [4]byte
				if _, err := io.ReadFull(r, req[:]); err != nil || req[1] != 1 {
					return
				}
				var host string
				switch req[3] {
				case 1:
					var ip [4]byte
					io.ReadFull(r, ip[:])
					host = net.IP(ip[:]).String()
				case 3:
					n, _ := r.ReadByte()
					name := make([]byte, n)
					io.ReadFull(r, name)
					host = string(name)
				default:
					return
				}
				var port [2]byte
				if _, err := io.ReadFull(r, port[:]); err != nil {
					return
				}
				up, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))))
				if err != nil {
					c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
					return
				}
				c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
				tunnels.Add(1)
				pipe(c, r, up)
			}()
		}
	}()
	return ln.Addr().String(), tunnels
}

// --proxy and --socks5 dial through the proxy they name; a proxy password
// never shows.
func TestClientProxies(t *testing.T) {
	srv := wstest.NewServer()
	defer srv.Close()
	httpProxy, httpTunnels := connectProxy(t)
	socks, socksTunnels := socks5Proxy(t)
	for _, tc := range []struct {
		args    []string
		tunnels *atomic.Int64
	}{
		{[]string{"--proxy", "http://" + httpProxy}, httpTunnels},
		{[]string{"--socks5", socks}, socksTunnels},
		{[]string{"--proxy", "socks5://" + socks}, socksTunnels},
	} {
		before := tc.tunnels.Load()
		code, stdout, stderr := runCLI(t, append(tc.args, "--linger", "0", "-1", srv.URL("/echo")), strings.NewReader("through\n"), nil)
		if code != exitOK || stdout != "through\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, stdout, stderr)
		}
		if tc.tunnels.Load() != before+1 {
			t.Errorf("%q: %d tunnels, want one more than %d", tc.args, tc.tunnels.Load(), before)
		}
	}
	// A proxy that is not there fails the first dial, without its password.
	code, _, stderr := runCLI(t, []string{"--proxy", "http://user:pa55w0rd@127.0.0.1:1", srv.URL("/echo")}, openStdin(t), nil)
	if code != exitNoConnection || strings.Contains(stderr, "pa55w0rd") || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("dead proxy: exit %d, stderr %q; want 3, the proxy's address, no password", code, stderr)
	}
}

// --client-cert and --client-key present a certificate to a server that
// requires one.
func TestClientCertificate(t *testing.T) {
	var seen atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 {
			seen.Store(r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		testkit.Echo(ws)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	defer srv.Close()
	cert, certPEM, err := selfSigned("", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := errors.Join(os.WriteFile(certFile, certPEM, 0o600), os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)); err != nil {
		t.Fatal(err)
	}
	url := testkit.WSURL(srv.URL) + "/"
	code, stdout, stderr := runCLI(t, []string{"-k", "--linger", "0", "-1", "--client-cert", certFile, "--client-key", keyFile, url}, strings.NewReader("mine\n"), nil)
	if code != exitOK || stdout != "mine\n" || seen.Load() != "wsfsm serve (self-signed, for tests)" {
		t.Errorf("exit %d, stdout %q, stderr %q, server saw %v", code, stdout, stderr, seen.Load())
	}
	code, _, _ = runCLI(t, []string{"-k", url}, openStdin(t), nil)
	if code != exitNoConnection {
		t.Errorf("without a certificate: exit %d, want 3", code)
	}
}
