package transport

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest"
)

// testProxy is a tiny proxy on 127.0.0.1: HTTP CONNECT or SOCKS5, over
// plain TCP or TLS. It records what clients asked for.
type testProxy struct {
	ln      net.Listener
	served  testkit.Conns // accepted and dialled connections, their goroutines
	mu      sync.Mutex
	asked   []string // CONNECT targets or SOCKS5 host:port
	auth    []string // Proxy-Authorization values, or SOCKS5 "user:pass"
	refuse  bool     // answer 407 / SOCKS5 reply 2
	resolve map[string]string
}

func (p *testProxy) url(scheme, userinfo string) *url.URL {
	u := &url.URL{Scheme: scheme, Host: p.ln.Addr().String()}
	if userinfo != "" {
		user, pw, _ := strings.Cut(userinfo, ":")
		u.User = url.UserPassword(user, pw)
	}
	return u
}

func (p *testProxy) Asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

func (p *testProxy) Auth() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.auth...)
}

// newTestProxy serves kind ("http" or "socks5") on ln until cleanup.
func newTestProxy(t *testing.T, kind string, tlsCfg *tls.Config) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	p := &testProxy{ln: ln}
	p.served.Accept(ln, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		var target string
		if kind == "http" {
			target = p.connect(c, br)
		} else {
			target = p.socks(c, br)
		}
		if target == "" {
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer up.Close()
		p.served.Add(up)
		testkit.Tunnel(c, br, up.(*net.TCPConn))
	})
	t.Cleanup(func() {
		ln.Close()
		p.served.Close()
	})
	return p
}

func (p *testProxy) connect(c net.Conn, br *bufio.Reader) string {
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return ""
	}
	p.mu.Lock()
	p.asked = append(p.asked, req.Host)
	p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	if p.refuse {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
		return ""
	}
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	return req.Host
}

func (p *testProxy) socks(c net.Conn, br *bufio.Reader) string {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || h[0] != 5 {
		return ""
	}
	methods := make([]byte, h[1])
	io.ReadFull(br, methods)
	auth := ""
	if len(methods) > 0 && methods[0] == 2 {
		c.Write([]byte{5, 2})
		var v [2]byte
		io.ReadFull(br, v[:])
		user := make([]byte, v[1])
		io.ReadFull(br, user)
		io.ReadFull(br, v[:1])
		pw := make([]byte, v[0])
		io.ReadFull(br, pw)
		auth = string(user) + ":" + string(pw)
		c.Write([]byte{1, 0})
	} else {
		c.Write([]byte{5, 0})
	}
	var req [4]byte
	if _, err := io.ReadFull(br, req[:]); err != nil || req[1] != 1 {
		return ""
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(br, ip)
		host = net.IP(ip).String()
	case 4:
		ip := make([]byte, 16)
		io.ReadFull(br, ip)
		host = net.IP(ip).String()
	case 3:
		var n [1]byte
		io.ReadFull(br, n[:])
		name := make([]byte, n[0])
		io.ReadFull(br, name)
		host = string(name)
	}
	var port [2]byte
	io.ReadFull(br, port[:])
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	p.mu.Lock()
	p.asked = append(p.asked, target)
	p.auth = append(p.auth, auth)
	refuse := p.refuse
	if to, ok := p.resolve[host]; ok {
		target = net.JoinHostPort(to, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	}
	p.mu.Unlock()
	if refuse {
		c.Write([]byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0})
		return ""
	}
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	return target
}

// echoThrough dials url with cfg and proves the link works both ways.
func echoThrough(t *testing.T, url string, cfg DialConfig) *Link {
	t.Helper()
	l := dial(t, url, cfg)
	msgs, _ := reader(l)
	if err := l.WriteMessage(testCtx(t), websocket.TextMessage, []byte("through")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, msgs, "echo"); string(m.Data) != "through" {
		t.Errorf("echo = %q", m.Data)
	}
	return l
}

func TestDialThroughHTTPProxy(t *testing.T) {
	eachScheme(t, func(t *testing.T, s *wstest.Server, cfg DialConfig) {
		p := newTestProxy(t, "http", nil)
		cfg.Proxy = http.ProxyURL(p.url("http", "alice:s3cret"))
		l := echoThrough(t, s.URL("/echo"), cfg)
		if got := p.Asked(); len(got) != 1 || got[0] != s.Addr() {
			t.Errorf("proxy was asked for %v, want [%s]", got, s.Addr())
		}
		if got := p.Auth(); len(got) != 1 || got[0] != "Basic YWxpY2U6czNjcmV0" {
			t.Errorf("proxy saw Proxy-Authorization %v", got)
		}
		if got := l.NetConn().RemoteAddr().String(); got != p.ln.Addr().String() {
			t.Errorf("NetConn() goes to %s, want the proxy %s", got, p.ln.Addr())
		}
		if _, ok := l.NetConn().(*net.TCPConn); !ok {
			t.Errorf("NetConn() is %T, want the raw *net.TCPConn", l.NetConn())
		}
	})
}

func TestDialThroughSOCKS5(t *testing.T) {
	for _, userinfo := range []string{"", "bob:pa55"} {
		t.Run("auth="+userinfo, func(t *testing.T) {
			checkFDs(t)
			s := newServer(t)
			p := newTestProxy(t, "socks5", nil)
			p.resolve = map[string]string{"echo.test": "127.0.0.1"}
			_, port, _ := net.SplitHostPort(s.Addr())
			echoThrough(t, "ws://echo.test:"+port+"/echo", DialConfig{Proxy: http.ProxyURL(p.url("socks5h", userinfo))})
			if got := p.Asked(); len(got) != 1 || got[0] != "echo.test:"+port {
				t.Errorf("proxy was asked for %v, want the unresolved name", got)
			}
			if got := p.Auth(); len(got) != 1 || got[0] != userinfo {
				t.Errorf("proxy saw credentials %v, want %q", got, userinfo)
			}
		})
	}
}

// A proxy that refuses the tunnel fails the dial with errProxyRefused, and
// the error names the proxy without its password.
func TestDialProxyRefused(t *testing.T) {
	for _, kind := range []string{"http", "socks5"} {
		t.Run(kind, func(t *testing.T) {
			checkFDs(t)
			s := newServer(t)
			p := newTestProxy(t, kind, nil)
			p.refuse = true
			_, err := Dial(testCtx(t), s.URL("/echo"), DialConfig{Proxy: http.ProxyURL(p.url(kind, "carol:TOPSECRET"))})
			var de *DialError
			if !errors.Is(err, errProxyRefused) || !errors.As(err, &de) {
				t.Fatalf("Dial = %v, want a *DialError matching errProxyRefused", err)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error %q holds the proxy password", err)
			}
		})
	}
}

func TestDialProxyBadScheme(t *testing.T) {
	_, err := Dial(testCtx(t), "ws://127.0.0.1:1/", DialConfig{Proxy: http.ProxyURL(&url.URL{Scheme: "ftp", Host: "127.0.0.1:1"})})
	if !errors.Is(err, ErrBadConfig) {
		t.Errorf("Dial = %v, want ErrBadConfig", err)
	}
}
