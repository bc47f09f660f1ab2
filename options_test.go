package wsfsm_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/interop"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// Issue 11 items 3, 4 and 6 at the root: permessage-deflate and any dialer
// through Options, and sends in call order across a reconnect against the
// Node and Python peers.

// compressible is text that deflate shrinks well: a JSON feed.
func compressible(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"seq":%d,"symbol":"WSFSM","price":101.25,"size":300},`, i)
	}
	return b.Bytes()[:n]
}

// Each Options field reaches the dial: with compression on and a server that
// accepts it, messages from the threshold up go compressed (RSV1 on the
// wire), the level is the one asked for, and every new connection negotiates
// again. With it off, nothing is offered.
func TestCompressionOptions(t *testing.T) {
	ds := newDeflateServer(t)
	small := bytes.Repeat([]byte("s"), 100)
	large := compressible(4000)
	for _, c := range []struct {
		name     string
		set      func(*wsfsm.Options)
		offered  bool
		wantRSV1 []bool // small, large
		level    func(n int) bool
	}{
		{"off", func(*wsfsm.Options) {}, false, []bool{false, false}, nil},
		{"default threshold and level", func(o *wsfsm.Options) { o.EnableCompression = true }, true, []bool{false, true},
			func(n int) bool { return n < len(large)/4 }},
		{"negative threshold", func(o *wsfsm.Options) { o.EnableCompression, o.CompressionThreshold = true, -1 }, true, []bool{true, true}, nil},
		{"threshold above the message", func(o *wsfsm.Options) { o.EnableCompression, o.CompressionThreshold = true, len(large)+1 }, true, []bool{false, false}, nil},
		// Huffman coding alone finds no repeats: the frame stays over half
		// the size of the text, where level 1 makes it a tenth.
		{"HuffmanOnly level", func(o *wsfsm.Options) { o.EnableCompression, o.CompressionLevel = true, -2 }, true, []bool{false, true},
			func(n int) bool { return n > len(large)/2 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := fastOptions(newRecorder())
			c.set(opts)
			conn := dial(t, ds.URL("/echo"), opts)
			for round := range 2 { // the first connection, then one after Reconnect
				if round == 1 {
					if err := conn.Reconnect(testCtx(t)); err != nil {
						t.Fatal(err)
					}
				}
				i := ds.Accepted() - 1
				if got := ds.Offered(i); (got != "") != c.offered {
					t.Errorf("connection %d offered %q, want an offer: %v", round, got, c.offered)
				}
				if conn.Compressed() != c.offered {
					t.Errorf("connection %d: Compressed() = %v, want %v", round, conn.Compressed(), c.offered)
				}
				echo(t, conn, string(small))
				echo(t, conn, string(large))
				msgs := ds.Frames(i)
				var rsv1 []bool
				for _, m := range msgs {
					rsv1 = append(rsv1, m.rsv1)
				}
				if !slices.Equal(rsv1, c.wantRSV1) {
					t.Errorf("connection %d: compressed on the wire (small, large) = %v, want %v", round, rsv1, c.wantRSV1)
				}
				if c.level != nil && len(msgs) == 2 && !c.level(msgs[1].size) {
					t.Errorf("connection %d: %d bytes of text went out as a %d-byte frame", round, len(large), msgs[1].size)
				}
			}
			if err := conn.Close(testCtx(t)); err != nil {
				t.Error(err)
			}
			if conn.Compressed() {
				t.Error("Compressed() = true after Close")
			}
		})
	}
}

// A level flate does not have fails the dial as a configuration error,
// which stops at once.
func TestCompressionLevelOutOfRange(t *testing.T) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	opts.EnableCompression, opts.CompressionLevel = true, 10
	c, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), opts)
	if err == nil {
		_ = c.Abort()
		t.Fatal("Dial with CompressionLevel 10 succeeded")
	}
	if !errors.Is(err, transport.ErrBadConfig) || !strings.Contains(err.Error(), "compression level 10") {
		t.Errorf("Dial = %v, want transport.ErrBadConfig naming the level", err)
	}
	if srv.Accepted() != 0 {
		t.Errorf("the server saw %d connections", srv.Accepted())
	}
}

// wstest does not accept permessage-deflate: offered and refused, the
// connection works uncompressed, large messages both ways included.
func TestCompressionRefusedByWstest(t *testing.T) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	opts.EnableCompression, opts.CompressionThreshold = true, -1
	c := dial(t, srv.URL("/echo"), opts)
	if c.Compressed() {
		t.Error("Compressed() = true against a server that does not accept it")
	}
	echo(t, c, "small")
	echo(t, c, string(compressible(100_000)))
	if err := c.Close(testCtx(t)); err != nil {
		t.Error(err)
	}
	c = dial(t, srv.URL("/size/70000?count=2"), opts)
	for range 2 {
		if _, got, err := c.Receive(testCtx(t)); err != nil || len(got) != 70000 {
			t.Fatalf("Receive = %d bytes, %v", len(got), err)
		}
	}
	_ = c.Close(testCtx(t))
}

// deflateServer is a gorilla echo server on 127.0.0.1 that accepts
// permessage-deflate when offered, and keeps what each client connection
// sent so that a test can tell which messages went compressed.
type deflateServer struct {
	srv     *httptest.Server
	served  testkit.Conns // TCP connections and handlers: httptest does not wait for hijacked ones
	mu      sync.Mutex
	wire    []*bytes.Buffer // per accepted TCP connection, the bytes the client sent
	offered []string        // per upgrade, in accept order: Sec-WebSocket-Extensions asked for
}

func newDeflateServer(t *testing.T) *deflateServer {
	ds := &deflateServer{}
	up := websocket.Upgrader{EnableCompression: true}
	ds.srv = httptest.NewUnstartedServer(ds.served.Handler(func(w http.ResponseWriter, r *http.Request) {
		ds.mu.Lock()
		ds.offered = append(ds.offered, r.Header.Get("Sec-WebSocket-Extensions"))
		ds.mu.Unlock()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		testkit.Echo(ws)
	}))
	ds.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	ds.srv.Listener = &teeListener{Listener: ds.srv.Listener, ds: ds}
	ds.srv.Start()
	t.Cleanup(func() {
		ds.srv.Close()
		ds.served.Close()
	})
	return ds
}

// URL is the server's ws:// URL with path.
func (ds *deflateServer) URL(path string) string {
	return "ws://" + strings.TrimPrefix(ds.srv.URL, "http://") + path
}

// Accepted counts upgrade requests so far.
func (ds *deflateServer) Accepted() int {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return len(ds.offered)
}

// Offered is the Sec-WebSocket-Extensions of the i-th upgrade request.
func (ds *deflateServer) Offered(i int) string {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.offered[i]
}

// wireMessage is a data message as the client put it on the wire.
type wireMessage struct {
	rsv1 bool // compressed (RFC 7692: RSV1 on the message's first frame)
	size int  // payload bytes of its first frame
}

// Frames parses the data messages the client of the i-th TCP connection
// sent, as far as they arrived.
func (ds *deflateServer) Frames(i int) []wireMessage {
	ds.mu.Lock()
	b := bytes.Clone(ds.wire[i].Bytes())
	ds.mu.Unlock()
	_, b, ok := bytes.Cut(b, []byte("\r\n\r\n")) // the upgrade request
	if !ok {
		return nil
	}
	var msgs []wireMessage
	for len(b) >= 2 {
		op, n, at := b[0]&0x0f, int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return msgs
			}
			n, at = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return msgs
			}
			n, at = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if b[1]&0x80 != 0 {
			at += 4 // the client's masking key
		}
		if len(b) < at+n {
			return msgs
		}
		if op == websocket.TextMessage || op == websocket.BinaryMessage {
			msgs = append(msgs, wireMessage{rsv1: b[0]&0x40 != 0, size: n})
		}
		b = b[at+n:]
	}
	return msgs
}

// teeListener keeps a copy of what each accepted connection reads.
type teeListener struct {
	net.Listener
	ds *deflateServer
}

func (l *teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.ds.mu.Lock()
	defer l.ds.mu.Unlock()
	buf := &bytes.Buffer{}
	l.ds.wire = append(l.ds.wire, buf)
	l.ds.served.Add(c)
	return &teeConn{Conn: c, mu: &l.ds.mu, buf: buf}, nil
}

type teeConn struct {
	net.Conn
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// unixDialer dials a Unix socket whatever the address asked for, and can
// hold dials until their ctx ends.
type unixDialer struct {
	path    string
	mu      sync.Mutex
	asked   []string
	hold    bool
	held    chan struct{} // a held dial started
	gaveUp  chan error    // a held dial's ctx ended, with its error
	returns []net.Conn
}

func (d *unixDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, network+" "+addr)
	hold := d.hold
	d.mu.Unlock()
	if hold {
		d.held <- struct{}{}
		<-ctx.Done()
		d.gaveUp <- ctx.Err()
		return nil, ctx.Err()
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "unix", d.path)
	if err == nil {
		d.mu.Lock()
		d.returns = append(d.returns, c)
		d.mu.Unlock()
	}
	return c, err
}

func (d *unixDialer) Asked() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.asked)
}

// newUnixServer serves a wstest Router on a Unix socket in t.TempDir().
func newUnixServer(t *testing.T) (*wstest.Router, *unixDialer) {
	path := filepath.Join(t.TempDir(), "ws.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	router := wstest.NewRouter()
	srv := &http.Server{Handler: router, ErrorLog: log.New(io.Discard, "", 0)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		router.Shutdown()
		<-served
	})
	return router, &unixDialer{path: path, held: make(chan struct{}, 1), gaveUp: make(chan error, 1)}
}

// Issue 11 item 4: a server on a Unix socket, reached through
// NetDialContext. Every Reconnect dials a brand-new connection through the
// dialer and the old one is closed; Abort cuts an open connection at once,
// and a dial held in the user's dialer too.
func TestNetDialContextUnixSocket(t *testing.T) {
	router, d := newUnixServer(t)
	opts := fastOptions(newRecorder())
	opts.NetDialContext = d.DialContext
	c := dial(t, "ws://unix.invalid/echo", opts)
	echo(t, c, "over a Unix socket")
	if _, ok := c.LocalAddr().(*net.UnixAddr); !ok {
		t.Errorf("LocalAddr() is %T, want a *net.UnixAddr", c.LocalAddr())
	}
	for i := 2; i <= 4; i++ {
		if err := c.Reconnect(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		echo(t, c, fmt.Sprintf("connection %d", i))
		if got := len(d.Asked()); got != i || router.Accepted() != i {
			t.Errorf("after Reconnect %d: the dialer was called %d times, the server accepted %d", i-1, got, router.Accepted())
		}
		wsfsmtest.Eventually(t, "the replaced connection is closed", func() bool { return router.Conns() == 1 })
	}
	for _, a := range d.Asked() {
		if a != "tcp unix.invalid:80" {
			t.Errorf("the dialer was asked for %q, want the URL's host:port", a)
		}
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Errorf("Close over a Unix socket: %v", err)
	}
	if c.Stats().CloseCode != 1000 {
		t.Errorf("the server answered the close with %d", c.Stats().CloseCode)
	}

	// Abort while Open: a blocked Receive returns, the socket is closed.
	c = dial(t, "ws://unix.invalid/sink", opts) // reads, never writes
	received := make(chan error, 1)
	go func() {
		_, _, err := c.Receive(testCtx(t))
		received <- err
	}()
	if err := c.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-received; !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("Receive after Abort = %v, want ErrClosed", err)
	}
	wsfsmtest.Eventually(t, "the server sees the socket closed", func() bool { return router.Conns() == 0 })
	d.mu.Lock()
	last := d.returns[len(d.returns)-1]
	d.mu.Unlock()
	if _, err := last.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("writing on the aborted connection the dialer returned = %v, want net.ErrClosed", err)
	}

	// Abort while the user's dialer holds a dial: its ctx ends, Abort returns.
	c = dial(t, "ws://unix.invalid/echo", opts)
	d.mu.Lock()
	d.hold = true
	d.mu.Unlock()
	reconnected := make(chan error, 1)
	go func() { reconnected <- c.Reconnect(testCtx(t)) }()
	<-d.held
	if err := c.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-d.gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("the held dial's ctx ended with %v, want context.Canceled", err)
	}
	if err := <-reconnected; !errors.Is(err, wsfsm.ErrClosed) {
		t.Errorf("Reconnect during Abort = %v, want ErrClosed", err)
	}
}

// The dialer's error fails the dial and is returned, without the URL's query.
func TestNetDialContextError(t *testing.T) {
	boom := errors.New("no route today")
	opts := fastOptions(newRecorder())
	opts.NetDialContext = func(context.Context, string, string) (net.Conn, error) { return nil, boom }
	c, err := wsfsm.Dial(testCtx(t), "ws://example.invalid/feed?token=s3cret", opts)
	if err == nil {
		_ = c.Abort()
		t.Fatal("Dial succeeded")
	}
	if !errors.Is(err, boom) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Dial = %v, want the dialer's error, without the query", err)
	}
}

// connectProxy is an HTTPS proxy on 127.0.0.1: TLS (httptest's certificate),
// then CONNECT to a loopback address. It records what it was asked.
type connectProxy struct {
	srv    *httptest.Server
	served testkit.Conns // tunnels' connections and handlers
	mu     sync.Mutex
	asked  []string // CONNECT targets
	auth   []string // their Proxy-Authorization
}

func newConnectProxy(t *testing.T) *connectProxy {
	p := &connectProxy{}
	p.srv = httptest.NewUnstartedServer(p.served.Handler(p.serve))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.srv.StartTLS()
	t.Cleanup(func() {
		p.srv.Close()
		p.served.Close()
	})
	return p
}

// URL is the proxy's https:// URL with userinfo ("" for none).
func (p *connectProxy) URL(user, password string) *url.URL {
	u := &url.URL{Scheme: "https", Host: p.srv.Listener.Addr().String()}
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u
}

func (p *connectProxy) Asked() ([]string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked), slices.Clone(p.auth)
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.asked = append(p.asked, r.Host)
	p.auth = append(p.auth, r.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	if host, _, _ := net.SplitHostPort(r.Host); host != "127.0.0.1" {
		http.Error(w, "loopback only", http.StatusForbidden)
		return
	}
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.served.Add(up)
	defer up.Close()
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	p.served.Add(c)
	defer c.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	testkit.Tunnel(c, brw.Reader, up.(*net.TCPConn))
}

// Issue 11 item 4: an HTTPS CONNECT proxy, trusted through ProxyTLSConfig,
// for ws:// and for wss:// (TLS inside the proxy's TLS); every Reconnect
// goes through it again. Without ProxyTLSConfig its certificate is refused,
// and the error holds no password.
func TestHTTPSProxy(t *testing.T) {
	p := newConnectProxy(t)
	proxyRoots := x509.NewCertPool()
	proxyRoots.AddCert(p.srv.Certificate())
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[secure], func(t *testing.T) {
			srv := newServer(t)
			opts := fastOptions(newRecorder())
			if secure {
				srv = wstest.NewTLSServer()
				t.Cleanup(srv.Close)
				opts.TLSConfig = srv.ClientTLSConfig()
			}
			before, _ := p.Asked()
			opts.Proxy = http.ProxyURL(p.URL("alice", "s3cret"))
			opts.ProxyTLSConfig = &tls.Config{RootCAs: proxyRoots, MinVersion: tls.VersionTLS12}
			c := dial(t, srv.URL("/echo"), opts)
			echo(t, c, "through the proxy")
			if err := c.Reconnect(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			echo(t, c, "through the proxy again")
			asked, auth := p.Asked()
			asked, auth = asked[len(before):], auth[len(before):]
			if !slices.Equal(asked, []string{srv.Addr(), srv.Addr()}) {
				t.Errorf("the proxy was asked for %v, want %s twice", asked, srv.Addr())
			}
			for _, a := range auth {
				if a != "Basic YWxpY2U6czNjcmV0" {
					t.Errorf("Proxy-Authorization %q, want alice's", a)
				}
			}
			if err := c.Close(testCtx(t)); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("untrusted proxy", func(t *testing.T) {
		srv := newServer(t)
		opts := fastOptions(newRecorder())
		opts.Proxy = http.ProxyURL(p.URL("alice", "s3cret"))
		c, err := wsfsm.Dial(testCtx(t), srv.URL("/echo"), opts)
		if err == nil {
			_ = c.Abort()
			t.Fatal("Dial through a proxy with an unknown certificate succeeded")
		}
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Dial = %v, want x509.UnknownAuthorityError without the password", err)
		}
		if srv.Accepted() != 0 {
			t.Errorf("the server saw %d connections", srv.Accepted())
		}
	})
}

// Issue 11 item 3 against Node ws and Python websockets: with compression
// offered, a /deflate/ path negotiates it (the peer names the extension it
// answered in its first message, which OnConnect reads on every connection),
// a plain path does not, and small and large messages round-trip either way,
// across a reconnect too.
func TestInteropCompression(t *testing.T) {
	large := compressible(200_000)
	interop.EachPeer(t, func(t *testing.T, peer interop.Peer) {
		for _, c := range []struct {
			name      string
			path      string
			offer     bool
			threshold int
			want      bool
		}{
			{"negotiated", "/deflate/extensions", true, 0, true},
			{"negotiated, every message compressed", "/deflate/extensions", true, -1, true},
			{"not offered", "/deflate/extensions", false, 0, false},
			{"not accepted", "/extensions", true, 0, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				var (
					mu        sync.Mutex
					greetings []string
				)
				opts := fastOptions(newRecorder())
				opts.EnableCompression, opts.CompressionThreshold = c.offer, c.threshold
				opts.OnConnect = func(ctx context.Context, s *wsfsm.Setup) error {
					_, m, err := s.Receive(ctx)
					mu.Lock()
					greetings = append(greetings, string(m))
					mu.Unlock()
					return err
				}
				conn := dial(t, peer.BaseURL+c.path, opts)
				for round := range 2 {
					if round == 1 {
						if err := conn.Reconnect(testCtx(t)); err != nil {
							t.Fatal(err)
						}
					}
					mu.Lock()
					greeting := greetings[round]
					mu.Unlock()
					if negotiated := strings.HasPrefix(greeting, "extensions: permessage-deflate"); negotiated != c.want {
						t.Errorf("connection %d: the %s peer says %q; want permessage-deflate: %v", round, peer.Name, greeting, c.want)
					}
					if conn.Compressed() != c.want {
						t.Errorf("connection %d: Compressed() = %v, want %v", round, conn.Compressed(), c.want)
					}
					echo(t, conn, "small")
					echo(t, conn, string(large))
					bin := append([]byte{0x00, 0xff, 0x80}, large[:100_000]...)
					if err := conn.Send(testCtx(t), wsfsm.Binary, bin); err != nil {
						t.Fatal(err)
					}
					if typ, got, err := conn.Receive(testCtx(t)); err != nil || typ != wsfsm.Binary || !bytes.Equal(got, bin) {
						t.Fatalf("binary echo: %v, %d bytes, %v", typ, len(got), err)
					}
				}
				if err := conn.Close(testCtx(t)); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
	})
}

// Issue 11 item 6 against Node ws and Python websockets: Sends called in a
// known order while the Conn reconnects (after Reconnect, or after the peer
// dropped the connection) reach the peer in that order on the new
// connection, small and compressed large ones mixed; the peer's echoes
// show the order it read them in.
func TestInteropSendsKeepCallOrder(t *testing.T) {
	interop.EachPeer(t, func(t *testing.T, peer interop.Peer) {
		for _, trigger := range []string{"reconnect", "peer drop"} {
			t.Run(trigger, func(t *testing.T) {
				first := peer.BaseURL + "/deflate/echo"
				if trigger == "peer drop" {
					first = peer.BaseURL + "/deflate/drop-after/1"
				}
				gated, release := make(chan struct{}, 1), make(chan struct{})
				opts := fastOptions(newRecorder())
				opts.HandshakeTimeout = 20 * time.Second // the held dial must outlast the queueing
				opts.EnableCompression = true
				opts.Endpoint = func(ctx context.Context, a wsfsm.DialAttempt) (wsfsm.Endpoint, error) {
					switch a.Dial {
					case 1:
						return wsfsm.Endpoint{URL: first}, nil
					case 2: // hold the redial until every Send waits
						gated <- struct{}{}
						select {
						case <-release:
						case <-ctx.Done():
							return wsfsm.Endpoint{}, ctx.Err()
						}
					}
					return wsfsm.Endpoint{URL: peer.BaseURL + "/deflate/echo"}, nil
				}
				c := dial(t, first, opts)
				echo(t, c, "before")
				reconnected := make(chan error, 1)
				if trigger == "reconnect" {
					go func() { reconnected <- c.Reconnect(testCtx(t)) }()
				} else {
					reconnected <- nil
				}
				select {
				case <-gated:
				case <-testCtx(t).Done():
					t.Fatal("the Conn never redialed")
				}
				const n = 20
				want := make([]string, n)
				var wg sync.WaitGroup
				for i := range n {
					want[i] = fmt.Sprintf("%02d", i)
					if i%2 == 1 {
						want[i] += string(compressible(2000)) // over the threshold: compressed
					}
					wg.Go(func() {
						if err := c.Send(testCtx(t), wsfsm.Text, []byte(want[i])); err != nil {
							t.Errorf("Send %d: %v", i, err)
						}
					})
					wsfsmtest.Eventually(t, "the Send waits", func() bool { return c.Stats().SendsWaiting == i+1 })
				}
				close(release)
				wg.Wait()
				if err := <-reconnected; err != nil {
					t.Fatalf("Reconnect: %v", err)
				}
				if !c.Compressed() {
					t.Errorf("the new connection did not negotiate compression")
				}
				var got []string
				for range n {
					_, m, err := c.Receive(testCtx(t))
					if err != nil {
						t.Fatalf("Receive after %d echoes: %v", len(got), err)
					}
					got = append(got, string(m))
				}
				if !slices.Equal(got, want) {
					short := func(s []string) (out []string) {
						for _, m := range s {
							out = append(out, m[:2])
						}
						return out
					}
					t.Errorf("the %s peer read %v, want %v", peer.Name, short(got), short(want))
				}
				if err := c.Close(testCtx(t)); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
	})
}
