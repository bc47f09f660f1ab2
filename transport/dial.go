package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults used when a DialConfig or Close leaves a value at zero.
const (
	DefaultHandshakeTimeout = 10 * time.Second // TCP + TLS + HTTP upgrade
	DefaultReadLimit        = 32 << 20         // 32 MiB per received message
	DefaultWriteTimeout     = 10 * time.Second // per WriteMessage once it holds the write lock
	DefaultCloseTimeout     = 5 * time.Second  // wait for the peer's close frame
	DefaultPingInterval     = 20 * time.Second // suggested StartKeepalive interval
	DefaultPongTimeout      = 20 * time.Second // suggested StartKeepalive pong timeout
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
	Proxy func(*http.Request) (*url.URL, error)
	// ReadLimit is the largest message accepted, in bytes. 0 means
	// DefaultReadLimit (32 MiB); < 0 means no limit.
	ReadLimit int64
	// WriteTimeout bounds each WriteMessage once it writes. 0 means
	// DefaultWriteTimeout (10 s); < 0 means none.
	WriteTimeout time.Duration
	// AbortWithRST makes Abort reset the connection (SetLinger(0), RST)
	// instead of closing it with FIN.
	AbortWithRST bool
	// WriteBufferPool lends the 4 KiB write buffer to a connection only
	// while it writes a message (gorilla's Dialer.WriteBufferPool; a
	// *sync.Pool will do), so an idle connection holds none. nil means each
	// connection keeps its own buffer for its whole life.
	WriteBufferPool websocket.BufferPool
}

// longAgo is a deadline in the past: it fails every pending I/O at once.
var longAgo = time.Unix(1, 0)

// Dial builds a brand-new *websocket.Conn over a fresh TCP connection,
// dialed through its own NetDialContext so that the raw net.Conn is kept
// (under TLS too) for Abort. Cancelling ctx aborts the dial at once, at any
// stage. It returns *HandshakeError when the server refuses the upgrade, an
// error wrapping ErrHandshakeTimeout on timeout, ErrBadURL or ErrBadConfig
// (wrapped) for bad input, ctx's error (wrapped) when ctx ends, and
// *DialError for network and TLS failures.
func Dial(ctx context.Context, rawURL string, cfg DialConfig) (*Link, error) {
	where, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(cfg.Header); err != nil {
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

	var raw net.Conn
	var unwatch func() bool
	d := websocket.Dialer{
		NetDialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
			var nd net.Dialer
			c, err := nd.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			raw = c
			// gorilla only notices a ctx deadline, not a cancellation,
			// while it reads the HTTP response: fail the I/O ourselves. If
			// this fires, the connection is never used.
			unwatch = context.AfterFunc(hctx, func() { c.SetDeadline(longAgo) })
			return withDeadlineCache(c), nil
		},
		Proxy:           cfg.Proxy,
		TLSClientConfig: cfg.TLSConfig,
		Subprotocols:    cfg.Subprotocols,
		WriteBufferPool: cfg.WriteBufferPool,
	}
	ws, resp, err := d.DialContext(hctx, rawURL, cfg.Header)
	if unwatch != nil && !unwatch() && err == nil {
		// ctx ended just as the upgrade succeeded: the deadline may be
		// poisoned, so the connection cannot be trusted.
		ws.Close()
		err = context.Cause(hctx)
	}
	if err != nil {
		if raw != nil {
			raw.Close() // gorilla closes it too; make sure on every path
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
	return newLink(ws, raw, wt, cfg.AbortWithRST), nil
}

// checkURL validates rawURL and returns it without query, fragment and
// user info, for error messages (queries often carry tokens).
func checkURL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadURL, rawURL, err)
	}
	where := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	switch {
	case u.Scheme != "ws" && u.Scheme != "wss":
		return "", fmt.Errorf("%w: %s: scheme %q is not ws or wss", ErrBadURL, where, u.Scheme)
	case u.Host == "":
		return "", fmt.Errorf("%w: %s: no host", ErrBadURL, where)
	case u.User != nil:
		return "", fmt.Errorf("%w: %s: user info is not allowed in a WebSocket URL", ErrBadURL, where)
	}
	return where, nil
}

// checkHeader refuses the headers gorilla sets itself.
func checkHeader(h http.Header) error {
	for k := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
			return fmt.Errorf("%w: header %q is set by the WebSocket handshake", ErrBadConfig, k)
		}
	}
	return nil
}

// dialError turns what gorilla returned into the documented error types.
func dialError(ctx, hctx context.Context, where string, timeout time.Duration, resp *http.Response, err error) error {
	switch {
	case errors.Is(err, websocket.ErrBadHandshake) && resp != nil:
		return handshakeError(resp)
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

func handshakeError(resp *http.Response) *HandshakeError {
	e := &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header}
	if resp.Body != nil {
		// gorilla already cut the body to 1 KiB; keep the bound here anyway.
		e.Body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}
