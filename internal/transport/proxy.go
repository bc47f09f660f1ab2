package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// proxyFor asks cfg.Proxy which proxy to use for the request to u, if any,
// and checks that this package can speak to it.
func proxyFor(cfg *DialConfig, u *url.URL, where string) (*url.URL, error) {
	if cfg.Proxy == nil {
		return nil, nil
	}
	hu := *u
	hu.Scheme = "http"
	if u.Scheme == "wss" {
		hu.Scheme = "https"
	}
	hu.User = nil
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        &hu,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     cfg.Header,
		Host:       u.Host,
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	p, err := cfg.Proxy(req)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: proxy: %w", where, err)
	}
	if p == nil {
		return nil, nil
	}
	switch p.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("%w: proxy scheme %q is not supported", ErrBadConfig, p.Scheme)
	}
	if p.Host == "" {
		return nil, fmt.Errorf("%w: proxy URL has no host", ErrBadConfig)
	}
	return p, nil
}

// proxyAddr is the proxy's host:port, with the scheme's default port.
func proxyAddr(p *url.URL) string {
	if p.Port() != "" {
		return p.Host
	}
	port := "1080"
	switch p.Scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	}
	return net.JoinHostPort(p.Hostname(), port)
}

// tunnel asks the proxy on c to connect to addr (over TLS first for an
// https proxy); the error names the proxy by host only (its URL may hold a
// password).
func tunnel(ctx context.Context, c net.Conn, p *url.URL, tlsCfg *tls.Config, addr string) (net.Conn, error) {
	var err error
	switch p.Scheme {
	case "https":
		tc := tls.Client(c, tlsConfigFor(tlsCfg, proxyAddr(p)))
		if err = tc.HandshakeContext(ctx); err == nil {
			c = tc
			err = httpConnect(c, p, addr)
		}
	case "http":
		err = httpConnect(c, p, addr)
	case "socks5", "socks5h":
		err = socksConnect(c, p, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", p.Host, err)
	}
	return c, nil
}

// errProxyRefused reports a proxy that would not open a tunnel to the
// server: a CONNECT answered with a status other than 200, or a SOCKS5
// request refused. It comes wrapped in a *DialError.
var errProxyRefused = errors.New("transport: proxy refused the tunnel")

// httpConnect opens a tunnel with an HTTP CONNECT request.
func httpConnect(c net.Conn, p *url.URL, addr string) error {
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if u := p.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(struct{ io.Writer }{c}); err != nil { // buffered by net/http: c's WriteByte is the server handshake's (see wireConn.WriteByte)
		return err
	}
	// The head is bounded like the server's; the server does not speak
	// before we do, so nothing may follow the proxy's answer yet.
	br := bufio.NewReader(io.LimitReader(c, maxHandshakeHeaderBytes))
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fmt.Errorf("reading CONNECT response: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: CONNECT answered %s", errProxyRefused, resp.Status)
	}
	if br.Buffered() > 0 {
		return errors.New("proxy sent data after its CONNECT response")
	}
	return nil
}

// socksConnect opens a tunnel with a SOCKS5 CONNECT (RFC 1928), with no
// authentication or, when p has user info, user name and password (RFC
// 1929). Host names go to the proxy unresolved.
func socksConnect(c net.Conn, p *url.URL, addr string) error {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return fmt.Errorf("bad port %q", portStr)
	}
	methods := []byte{0} // no authentication
	if p.User != nil {
		methods = []byte{2} // user name and password
	}
	if _, err := c.Write(append([]byte{5, byte(len(methods))}, methods...)); err != nil {
		return err
	}
	var b [2]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return err
	}
	if b[0] != 5 {
		return fmt.Errorf("not a SOCKS5 proxy (version %d)", b[0])
	}
	switch b[1] {
	case 0:
	case 2:
		if p.User == nil {
			return fmt.Errorf("%w: SOCKS5 proxy asks for a password", errProxyRefused)
		}
		user := p.User.Username()
		pw, _ := p.User.Password()
		if len(user) > 255 || len(pw) > 255 {
			return errors.New("SOCKS5 user name or password longer than 255 bytes")
		}
		msg := append([]byte{1, byte(len(user))}, user...)
		msg = append(append(msg, byte(len(pw))), pw...)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return err
		}
		if b[1] != 0 {
			return fmt.Errorf("%w: SOCKS5 authentication failed", errProxyRefused)
		}
	default:
		return fmt.Errorf("%w: no acceptable SOCKS5 authentication method", errProxyRefused)
	}

	req := []byte{5, 1, 0} // CONNECT
	if ip := net.ParseIP(host); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			req = append(append(req, 1), ip4...)
		} else {
			req = append(append(req, 4), ip.To16()...)
		}
	} else {
		if len(host) > 255 {
			return errors.New("host name longer than 255 bytes")
		}
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := c.Write(req); err != nil {
		return err
	}
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return err
	}
	if head[1] != 0 {
		return fmt.Errorf("%w: SOCKS5 reply %d (%s)", errProxyRefused, head[1], socksReply(head[1]))
	}
	var skip int // the bound address, then the port
	switch head[3] {
	case 1:
		skip = 4 + 2
	case 4:
		skip = 16 + 2
	case 3:
		if _, err := io.ReadFull(c, b[:1]); err != nil {
			return err
		}
		skip = int(b[0]) + 2
	default:
		return fmt.Errorf("SOCKS5 reply with address type %d", head[3])
	}
	_, err = io.ReadFull(c, make([]byte, skip))
	return err
}

func socksReply(code byte) string {
	switch code {
	case 1:
		return "general failure"
	case 2:
		return "connection not allowed by ruleset"
	case 3:
		return "network unreachable"
	case 4:
		return "host unreachable"
	case 5:
		return "connection refused"
	case 6:
		return "TTL expired"
	case 7:
		return "command not supported"
	case 8:
		return "address type not supported"
	}
	return "unknown"
}
