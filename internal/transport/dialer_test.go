package transport

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

// A WebSocket server on a Unix socket, reached through NetDialContext: the
// link's raw connection is the *net.UnixConn, the close handshake and Abort
// work on it.
func TestDialUnixSocket(t *testing.T) {
	checkFDs(t)
	path := filepath.Join(t.TempDir(), "ws.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no Unix sockets here: %v", err)
	}
	router := wstest.NewRouter()
	srv := &http.Server{Handler: router}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		router.Shutdown()
	})
	var asked []string
	cfg := DialConfig{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		asked = append(asked, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}

	l := echoThrough(t, "ws://unix.test/echo", cfg)
	if _, ok := l.NetConn().(*net.UnixConn); !ok {
		t.Errorf("NetConn() is %T, want the *net.UnixConn the dialer returned", l.NetConn())
	}
	if len(asked) != 1 || asked[0] != "tcp unix.test:80" {
		t.Errorf("dialer asked for %v, want the URL's host:port", asked)
	}
	res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
	if err != nil || !res.Completed {
		t.Errorf("Close over a Unix socket = %+v, %v", res, err)
	}

	l = dial(t, "ws://unix.test/silent", cfg)
	_, errc := reader(l)
	l.AbortCause(ErrDeadPeer)
	if err := recv(t, errc, "reader end"); !errors.Is(err, ErrDeadPeer) {
		t.Errorf("reader after Abort ended with %v", err)
	}
	waitDone(t, l)
}

// Any net.Conn: an in-memory pipe to an in-process gorilla server.
func TestDialInMemoryPipe(t *testing.T) {
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	cfg := DialConfig{NetDialContext: func(context.Context, string, string) (net.Conn, error) {
		cc, sc := net.Pipe()
		wg.Go(func() {
			defer sc.Close()
			req, err := http.ReadRequest(bufio.NewReader(sc))
			if err != nil {
				return
			}
			ws, err := (&websocket.Upgrader{}).Upgrade(&hijackRW{conn: sc, h: http.Header{}}, req, nil)
			if err != nil {
				return
			}
			for {
				typ, m, err := ws.ReadMessage()
				if err != nil || ws.WriteMessage(typ, m) != nil {
					return
				}
			}
		})
		return cc, nil
	}}
	l := echoThrough(t, "ws://pipe.test/", cfg)
	// A pipe has no write side to shut: where a failed write would shut
	// it, the link is aborted instead.
	boom := errors.New("write failed")
	start := time.Now()
	l.shutWrite(boom)
	if err := l.aborted(); !errors.Is(err, boom) {
		t.Errorf("after a failed write on a pipe: aborted() = %v, want the write's error", err)
	}
	waitDone(t, l)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the abort over a pipe took %v", d)
	}
}

// The dialer's error comes back in a *DialError.
func TestDialNetDialContextError(t *testing.T) {
	boom := errors.New("no route today")
	_, err := Dial(testCtx(t), "wss://example.test/", DialConfig{NetDialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, boom
	}})
	var de *DialError
	if !errors.As(err, &de) || !errors.Is(err, boom) {
		t.Errorf("Dial = %v, want a *DialError wrapping the dialer's error", err)
	}
}

// An HTTPS proxy: TLS to the proxy, CONNECT inside, then the server's own
// TLS for wss://; the raw connection is still the TCP one to the proxy.
func TestDialThroughHTTPSProxy(t *testing.T) {
	proxyTLS, trustProxy := testkit.LoopbackTLS()

	eachScheme(t, func(t *testing.T, s *wstest.Server, cfg DialConfig) {
		p := newTestProxy(t, "http", proxyTLS)
		cfg.Proxy = http.ProxyURL(p.url("https", "dave:pw"))
		cfg.ProxyTLSConfig = trustProxy
		l := echoThrough(t, s.URL("/echo"), cfg)
		if got := p.Asked(); len(got) != 1 || got[0] != s.Addr() {
			t.Errorf("proxy was asked for %v, want [%s]", got, s.Addr())
		}
		if _, ok := l.NetConn().(*net.TCPConn); !ok || l.NetConn().RemoteAddr().String() != p.ln.Addr().String() {
			t.Errorf("NetConn() is %T to %v, want the raw TCP connection to the proxy", l.NetConn(), l.NetConn().RemoteAddr())
		}
		res, err := l.Close(testCtx(t), websocket.CloseNormalClosure, "")
		if err != nil || !res.Completed {
			t.Errorf("Close through the proxy = %+v, %v", res, err)
		}
	})

	// Without trusting the proxy's certificate: a TLS error, not a tunnel.
	checkFDs(t)
	s := newServer(t)
	p := newTestProxy(t, "http", proxyTLS)
	_, err := Dial(testCtx(t), s.URL("/echo"), DialConfig{Proxy: http.ProxyURL(p.url("https", ""))})
	var de *DialError
	if !errors.As(err, &de) || !isCertError(err) {
		t.Errorf("Dial through an untrusted HTTPS proxy = %v, want a *DialError with a certificate error", err)
	}
}
