package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults used when a DialConfig leaves a value at zero.
const (
	DefaultHandshakeTimeout = 10 * time.Second // TCP + TLS + HTTP upgrade
	DefaultReadLimit        = 32 << 20         // 32 MiB per received message
	DefaultWriteTimeout     = 10 * time.Second // a write fails once the peer accepted no byte for this long
	DefaultPingInterval     = 20 * time.Second // suggested StartKeepalive interval
	DefaultPongTimeout      = 20 * time.Second // suggested StartKeepalive pong timeout

	// DefaultCompressionThreshold is the size below which a message is
	// sent uncompressed when permessage-deflate is on (coder/websocket's
	// choice without context takeover): deflate's block overhead makes
	// small messages larger, not smaller.
	DefaultCompressionThreshold = 512
	// DefaultCompressionLevel is gorilla's default flate level (BestSpeed).
	DefaultCompressionLevel = 1
)

// DialConfig configures one dial attempt. The zero value is usable.
type DialConfig struct {
	// HandshakeTimeout bounds TCP connect, TLS and the HTTP upgrade together.
	// 0 means DefaultHandshakeTimeout (10 s); < 0 means none (ctx only).
	HandshakeTimeout time.Duration
	// TLSConfig is used for wss:// URLs; nil means a default configuration.
	TLSConfig *tls.Config
	// Header holds request headers for this attempt; build a fresh one per
	// attempt to refresh tokens. Headers gorilla sets itself (Upgrade,
	// Connection, Sec-WebSocket-Key/Version/Extensions) are refused.
	Header http.Header
	// Subprotocols are offered in Sec-WebSocket-Protocol, in order.
	Subprotocols []string
	// Proxy selects a proxy per request; nil means no proxy (the
	// environment is NOT read; pass http.ProxyFromEnvironment to read it).
	// Schemes: http and https (a CONNECT tunnel, over TLS to the proxy for
	// https, with Basic Proxy-Authorization from the URL's user info) and
	// socks5 or socks5h (RFC 1928, user name and password from the URL's
	// user info; host names are resolved by the proxy). The proxy is
	// reached through NetDialContext too.
	Proxy func(*http.Request) (*url.URL, error)
	// ProxyTLSConfig is used to speak TLS to an https:// proxy; nil means a
	// default configuration. ServerName defaults to the proxy's host.
	ProxyTLSConfig *tls.Config
	// NetDialContext dials the connection everything else runs over, to
	// the server or to the proxy: addr is its host:port. nil means a
	// net.Dialer. Any net.Conn will do (a Unix socket, an in-memory pipe,
	// a connection from the application's own resolver or proxy dialer).
	// What it returns is the link's raw connection (NetConn): Abort closes
	// it, so a blocked read or write returns at once; a failed write shuts
	// its write side if it is a *net.TCPConn or *net.UnixConn and aborts
	// the link otherwise; AbortWithRST applies to a *net.TCPConn only.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// ReadLimit is the largest message accepted, in bytes. 0 means
	// DefaultReadLimit (32 MiB); < 0 means no limit.
	ReadLimit int64
	// WriteTimeout bounds writes by progress: a write fails once the peer
	// accepted no byte for this long (a slow reader that keeps reading is
	// not cut, however long the message). 0 means DefaultWriteTimeout
	// (10 s); < 0 means none.
	WriteTimeout time.Duration
	// AbortWithRST makes Abort reset the connection (SetLinger(0), RST)
	// instead of closing it with FIN.
	AbortWithRST bool
	// EnableCompression offers permessage-deflate (RFC 7692) without
	// context takeover, the only mode gorilla supports: each message is
	// compressed on its own. Off by default. Whether the server accepted is
	// Link.Compressed. Received messages are bounded by ReadLimit once
	// inflated, not only on the wire. The server must grant
	// server_no_context_takeover; it may leave client_no_context_takeover
	// out (the client takes over no context anyway); client_max_window_bits
	// is not offered, so a server asking for it fails the dial.
	EnableCompression bool
	// CompressionThreshold is the size below which a message is sent
	// uncompressed. 0 means DefaultCompressionThreshold (512 bytes); < 0
	// means every message is compressed.
	CompressionThreshold int
	// CompressionLevel is the flate level for compressed messages, from
	// -2 (flate.HuffmanOnly) to 9 (flate.BestCompression). 0 means
	// DefaultCompressionLevel (1, flate.BestSpeed).
	CompressionLevel int
	// Dial numbers the attempt for the caller: every Message the link reads
	// carries it, so that a consumer of several links in turn can tell
	// which one a message came from.
	Dial int
	// WriteBufferPool lends the 4 KiB write buffer to a connection only
	// while it writes a message (gorilla's Dialer.WriteBufferPool; a
	// *sync.Pool will do), so an idle connection holds none. nil means each
	// connection keeps its own buffer for its whole life.
	WriteBufferPool websocket.BufferPool
}

// longAgo is a deadline in the past: it fails every pending I/O at once.
var longAgo = time.Unix(1, 0)

// Dial builds a brand-new *websocket.Conn over a fresh connection. It dials
// the connection itself (DialConfig.NetDialContext, through
// DialConfig.Proxy's tunnel if any), then TLS for wss://,
// and lets gorilla do the HTTP upgrade over the result, so that the raw
// net.Conn is kept for Abort and every byte gorilla reads passes this
// package's checks. Cancelling ctx aborts the dial at once, at any stage.
// It returns *HandshakeError when the server refuses the upgrade or answers
// with an invalid one (then also matching errBadHandshakeResponse), an error
// wrapping ErrHandshakeTimeout on timeout, ErrBadURL or ErrBadConfig
// (wrapped) for bad input, ctx's error (wrapped) when ctx ends, and
// *DialError for network, proxy and TLS failures. Errors name the URL
// without its query and user info.
func Dial(ctx context.Context, rawURL string, cfg DialConfig) (*Link, error) {
	u, where, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(cfg.Header, cfg.Subprotocols); err != nil {
		return nil, err
	}
	level := cfg.CompressionLevel
	if level == 0 {
		level = DefaultCompressionLevel
	}
	if level < -2 || level > 9 {
		return nil, fmt.Errorf("%w: compression level %d is not between -2 and 9", ErrBadConfig, level)
	}
	proxy, err := proxyFor(&cfg, u, where)
	if err != nil {
		return nil, err
	}
	timeout := cfg.HandshakeTimeout
	if timeout == 0 {
		timeout = DefaultHandshakeTimeout
	}
	hctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	dl := &dialing{cfg: &cfg, proxy: proxy, hctx: hctx}
	d := websocket.Dialer{
		NetDialContext:    dl.plain,
		NetDialTLSContext: dl.secure,
		Subprotocols:      cfg.Subprotocols,
		WriteBufferPool:   cfg.WriteBufferPool,
		EnableCompression: cfg.EnableCompression,
	}
	ws, resp, err := d.DialContext(hctx, rawURL, cfg.Header)
	if dl.unwatch != nil && !dl.unwatch() && err == nil {
		// ctx ended just as the upgrade succeeded: the deadline may be
		// poisoned, so the connection cannot be trusted.
		err = context.Cause(hctx)
	}
	if err != nil {
		if dl.raw != nil {
			dl.raw.Close() // gorilla closes it too; make sure on every path
		}
		return nil, dialError(ctx, hctx, where, timeout, resp, err)
	}

	limit := cfg.ReadLimit
	switch {
	case limit == 0:
		limit = DefaultReadLimit
	case limit < 0:
		limit = 0 // gorilla: no limit
	}
	ws.SetReadLimit(limit)
	wt := cfg.WriteTimeout
	if wt == 0 {
		wt = DefaultWriteTimeout
	}
	l := newLink(ws, dl.raw, dl.rd, dl.wr, wt, cfg.AbortWithRST)
	l.dial = uint32(cfg.Dial)
	if cfg.EnableCompression && hasExtension(resp.Header, "permessage-deflate") {
		// gorilla refused any parameters it cannot honour: on.
		ws.SetCompressionLevel(level)
		l.compressed = true
		l.compressMin = cfg.CompressionThreshold
		switch {
		case l.compressMin == 0:
			l.compressMin = DefaultCompressionThreshold
		case l.compressMin < 0:
			l.compressMin = 0
		}
		l.inflateMax = limit
	}
	return l, nil
}

// dialing is one Dial's connection as it is built, for gorilla's dial hooks.
type dialing struct {
	cfg     *DialConfig
	proxy   *url.URL // nil: direct
	hctx    context.Context
	raw     net.Conn  // what the dialer returned
	wr      *wireConn // over raw
	rd      *wireConn // what gorilla reads and writes through
	unwatch func() bool
}

func (d *dialing) plain(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.stream(ctx, network, addr, false)
}

func (d *dialing) secure(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.stream(ctx, network, addr, true)
}

// stream connects to addr (host:port of the URL): the raw connection,
// the proxy's tunnel, TLS; it returns the wire gorilla upgrades over.
func (d *dialing) stream(ctx context.Context, network, addr string, secure bool) (net.Conn, error) {
	target := addr
	if d.proxy != nil {
		target = proxyAddr(d.proxy)
	}
	dial := d.cfg.NetDialContext
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	c, err := dial(ctx, network, target)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("NetDialContext returned no connection and no error")
	}
	d.raw = c
	// gorilla only notices a ctx deadline, not a cancellation, while it
	// reads the HTTP response: fail the I/O ourselves. If this fires, the
	// connection is never used.
	d.unwatch = context.AfterFunc(d.hctx, func() {
		if c.SetDeadline(longAgo) != nil {
			c.Close()
		}
	})
	d.wr = newWireConn(c, false)
	var s net.Conn = d.wr
	if d.proxy != nil {
		if s, err = tunnel(ctx, s, d.proxy, d.cfg.ProxyTLSConfig, addr); err != nil {
			return nil, err
		}
	}
	if secure {
		tc := tls.Client(s, tlsConfigFor(d.cfg.TLSConfig, addr))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		s = tc
	}
	if s == net.Conn(d.wr) {
		d.rd = d.wr
		d.rd.guard.mode = guardHead
	} else {
		d.rd = newWireConn(s, true)
	}
	d.rd.head = &headCheck{r: d.rd, offer: offer{d.cfg.Subprotocols, d.cfg.EnableCompression}}
	return d.rd, nil
}

// tlsConfigFor clones cfg and names the server as gorilla would.
func tlsConfigFor(cfg *tls.Config, addr string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		} else {
			cfg.ServerName = addr
		}
	}
	return cfg
}

// checkURL validates rawURL and returns it parsed, and without query,
// fragment and user info, for error messages (queries often carry tokens).
func checkURL(rawURL string) (*url.URL, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadURL, redactParseError(err))
	}
	where := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	switch {
	case u.Scheme != "ws" && u.Scheme != "wss":
		return nil, "", fmt.Errorf("%w: %s: scheme %q is not ws or wss", ErrBadURL, where, u.Scheme)
	case u.Host == "":
		return nil, "", fmt.Errorf("%w: %s: no host", ErrBadURL, where)
	case u.User != nil:
		return nil, "", fmt.Errorf("%w: %s: user info is not allowed in a WebSocket URL", ErrBadURL, where)
	}
	return u, where, nil
}

// checkHeader refuses the headers gorilla sets itself, and the subprotocol
// header when the subprotocols are given as such too.
func checkHeader(h http.Header, subprotocols []string) error {
	for k := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
			return fmt.Errorf("%w: header %q is set by the WebSocket handshake", ErrBadConfig, k)
		case "Sec-Websocket-Protocol":
			if len(subprotocols) > 0 {
				return fmt.Errorf("%w: header %q and Subprotocols both set the subprotocols", ErrBadConfig, k)
			}
		}
	}
	return nil
}

// dialError turns what gorilla returned into the documented error types.
func dialError(ctx, hctx context.Context, where string, timeout time.Duration, resp *http.Response, err error) error {
	var big *headTooLarge
	var bad *badUpgrade
	switch {
	case errors.As(err, &bad):
		return &HandshakeError{StatusCode: http.StatusSwitchingProtocols, Header: bad.header, Reason: bad.reason}
	case errors.Is(err, websocket.ErrBadHandshake) && resp != nil:
		return handshakeError(resp)
	case errors.As(err, &big):
		return &HandshakeError{StatusCode: big.status, Reason: big.Error()}
	case resp != nil && err.Error() == "websocket: invalid compression negotiation":
		// gorilla's error is unexported; it has checked the rest of the 101.
		e := handshakeError(resp)
		e.Reason = "permessage-deflate parameters that gorilla cannot honour (it needs server_no_context_takeover and client_no_context_takeover)"
		return e
	case expired(ctx):
		cause := context.Cause(ctx)
		if cause == nil { // the deadline passed a hair before ctx noticed
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("transport: dial %s: %w", where, cause)
	case expired(hctx):
		return fmt.Errorf("transport: dial %s: %w after %v", where, ErrHandshakeTimeout, timeout)
	}
	return &DialError{URL: where, Err: err}
}

// expired reports whether ctx ended or its deadline passed: gorilla's
// connection deadline can fire a moment before ctx's own timer.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// redactParseError drops the URL from url.Parse's error: it may hold a
// token or a password.
func redactParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
