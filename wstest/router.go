package wstest

import (
	"bufio"
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

// DefaultCloseWait bounds how long /close/CODE waits for the client's answer
// to its close frame before it shuts TCP anyway.
const DefaultCloseWait = 5 * time.Second

// Option configures a Router (and so a Server).
type Option func(*config)

type config struct {
	subprotocols []string
	readLimit    int64
	recordSink   bool
	compression  bool
	autobahn     autobahn.Config
	logf         func(format string, args ...any)
}

// Subprotocols makes the server accept the first of these subprotocols that
// the client offers. Default: none.
func Subprotocols(protocols ...string) Option {
	return func(c *config) { c.subprotocols = append([]string(nil), protocols...) }
}

// ReadLimit sets the largest message the server reads (0, the default, means
// no limit, as in gorilla).
func ReadLimit(n int64) Option {
	return func(c *config) { c.readLimit = n }
}

// DiscardSink makes /sink count messages without keeping them, for long
// running demos. By default every message /sink receives is recorded.
func DiscardSink() Option {
	return func(c *config) { c.recordSink = false }
}

// Compression makes every path accept permessage-deflate when the client
// offers it (gorilla's, without context takeover: the client must offer
// server_no_context_takeover), so compression can be tested against any
// path. Default: declined. The Autobahn paths negotiate it per case either
// way.
func Compression() Option {
	return func(c *config) { c.compression = true }
}

// Autobahn configures the Autobahn-compatible fuzzing server on
// /getCaseCount, /getCaseInfo, /runCase, /getCaseStatus and /updateReports
// (see package autobahn). Default: autobahn.Config's defaults (Autobahn's
// sizes, 1 s timers, reports kept in memory).
func Autobahn(cfg autobahn.Config) Option {
	return func(c *config) { c.autobahn = cfg }
}

// Router is the path router behind a Server; it can also be mounted on any
// http.Server. It tracks every WebSocket connection it upgraded so that they
// can be dropped (DropAll) or shut down (Shutdown).
type Router struct {
	cfg      config
	upgrader websocket.Upgrader
	fuzz     func() *autobahn.Server // made on first use: 517 cases, about 2 ms and 1.7 MB

	mu       sync.Mutex
	idle     sync.Cond // signalled when active drops to 0
	active   int       // ServeHTTP calls in progress
	closed   bool
	live     map[*conn]struct{}
	accepted int
	received int
	messages [][]byte
	perConn  [][][]byte

	ackCounts AckCounts      // /ack's
	ackSeen   map[string]int // /ack's ids, and how many times each came
}

// conn is one upgraded connection, tracked from the moment it is hijacked
// (before the 101 response goes out).
type conn struct {
	nc       net.Conn
	ws       *websocket.Conn
	kill     chan struct{} // closed by DropAll/Shutdown
	killOnce sync.Once
	index    int // accept order, indexes Router.perConn; -1 when not an upgrade (/stall)
}

func (c *conn) drop() {
	c.killOnce.Do(func() {
		close(c.kill)
		c.nc.Close()
	})
}

// NewRouter returns a Router configured by opts.
func NewRouter(opts ...Option) *Router {
	cfg := config{recordSink: true}
	for _, o := range opts {
		o(&cfg)
	}
	r := &Router{
		cfg: cfg,
		upgrader: websocket.Upgrader{
			Subprotocols:      cfg.subprotocols,
			CheckOrigin:       func(*http.Request) bool { return true },
			EnableCompression: cfg.compression,
		},
		live: make(map[*conn]struct{}),
	}
	r.fuzz = sync.OnceValue(func() *autobahn.Server { return autobahn.NewServer(cfg.autobahn) })
	r.idle.L = &r.mu
	return r
}

// Handler returns a new Router as an http.Handler, for use with any
// http.Server. Keep the *Router from NewRouter instead if you need to drop or
// shut down its connections.
func Handler(opts ...Option) http.Handler { return NewRouter(opts...) }

// ServeHTTP routes one request by path. Unknown paths get 404; after
// Shutdown every request gets 503.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		http.Error(w, "wstest: shut down", http.StatusServiceUnavailable)
		return
	}
	r.active++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.active--
		if r.active == 0 {
			r.idle.Broadcast()
		}
		r.mu.Unlock()
	}()
	r.route(w, req)
}

func (r *Router) route(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	// A path of two segments is a route with a parameter: /close/1000 is
	// the one Paths writes as /close/CODE, arg is "1000".
	if name, arg, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/"); ok {
		switch name {
		case "close":
			r.serveNumbered(w, req, arg, 1000, 4999, "close code", r.closeWith)
		case "drop-after":
			r.serveNumbered(w, req, arg, 0, math.MaxInt, "message count", func(c *conn, _ *http.Request, n int) { r.dropAfter(c, n) })
		case "reject":
			r.reject(w, req, arg)
		case "size":
			r.size(w, req, arg)
		case "fragments":
			r.serveNumbered(w, req, arg, 1, MaxFragments, "fragment count", func(c *conn, _ *http.Request, n int) { fragments(c, n) })
		case "bad-frame":
			r.badFrame(w, req, arg)
		default:
			http.NotFound(w, req)
		}
		return
	}
	switch {
	case path == "/echo":
		r.serve(w, req, r.echo)
	case path == "/ignore-close":
		r.serve(w, req, r.ignoreClose)
	case path == "/silent":
		r.serve(w, req, r.silent)
	case path == "/sink":
		r.serve(w, req, r.sink)
	case path == "/ack":
		mode, every, drop, ok := ackParams(req)
		if !ok {
			http.Error(w, "wstest: bad mode, every or drop", http.StatusBadRequest)
			return
		}
		r.serve(w, req, func(c *conn, _ *http.Request) { r.ack(c, mode, every, drop) })
	case path == "/stall":
		r.stall(w, req)
	case path == "/subprotocol":
		r.subprotocol(w, req)
	case path == "/ping":
		r.ping(w, req)
	case path == "/ping-flood":
		r.pingFlood(w, req)
	case slices.Contains(autobahn.Paths, path):
		// The fuzzing server does its own handshake (it negotiates
		// permessage-deflate per case); the tracker makes its
		// connections droppable like the others.
		hj := &tracker{ResponseWriter: w, r: r, upgrade: true}
		r.fuzz().ServeHTTP(hj, req)
		if hj.c != nil {
			r.release(hj.c)
		}
	default:
		http.NotFound(w, req)
	}
}

// serve upgrades, runs behave and then releases the connection. The
// connection is registered when gorilla hijacks it, before the 101
// response, so a client that saw 101 is always counted and droppable.
// The upgrade's own error response is written by gorilla.
func (r *Router) serve(w http.ResponseWriter, req *http.Request, behave func(*conn, *http.Request)) {
	r.serveWith(&r.upgrader, nil, w, req, behave)
}

// serveWith is serve with another upgrader and response header (for a
// subprotocol chosen per request).
func (r *Router) serveWith(up *websocket.Upgrader, header http.Header, w http.ResponseWriter, req *http.Request, behave func(*conn, *http.Request)) {
	hj := &tracker{ResponseWriter: w, r: r, upgrade: true}
	ws, err := up.Upgrade(hj, req, header)
	if hj.c != nil {
		defer r.release(hj.c)
	}
	if err != nil {
		return
	}
	if r.cfg.readLimit > 0 {
		ws.SetReadLimit(r.cfg.readLimit)
	}
	r.mu.Lock() // GoAway reads it
	hj.c.ws = ws
	r.mu.Unlock()
	behave(hj.c, req)
}

// tracker registers the connection gorilla (or /stall) hijacks.
type tracker struct {
	http.ResponseWriter
	r       *Router
	c       *conn
	upgrade bool // the hijack is a WebSocket upgrade: Accepted counts it
}

var errShutDown = errors.New("wstest: router shut down")

func (t *tracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := t.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	nc, brw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if t.c = t.r.register(nc, t.upgrade); t.c == nil {
		nc.Close()
		return nil, nil, errShutDown
	}
	return nc, brw, nil
}

// register tracks a hijacked connection so that DropAll and Shutdown reach
// it; upgrade says whether it is a WebSocket upgrade, which Accepted counts.
func (r *Router) register(nc net.Conn, upgrade bool) *conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	c := &conn{nc: nc, kill: make(chan struct{}), index: -1}
	if upgrade {
		c.index = r.accepted
		r.accepted++
		r.perConn = append(r.perConn, nil)
	}
	r.live[c] = struct{}{}
	return c
}

func (r *Router) release(c *conn) {
	c.drop()
	r.mu.Lock()
	delete(r.live, c)
	r.mu.Unlock()
}

// DropAll shuts the TCP connection of every live WebSocket at once, with no
// close frame. The router keeps accepting new connections.
func (r *Router) DropAll() {
	r.mu.Lock()
	live := make([]*conn, 0, len(r.live))
	for c := range r.live {
		live = append(live, c)
	}
	r.mu.Unlock()
	for _, c := range live {
		c.drop()
	}
}

// Shutdown drops every live connection, refuses later requests and waits
// until every handler (upgraded or not) has returned, so that no goroutine
// and no connection of the router is left.
func (r *Router) Shutdown() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.DropAll() // a handler upgrading right now finds closed and drops itself
	r.mu.Lock()
	for r.active > 0 {
		r.idle.Wait()
	}
	r.mu.Unlock()
}

// GoAway closes the router politely: it refuses later requests, sends every
// live WebSocket a close frame with code and reason (1001, going away, for a
// server shutting down), waits until every handler has returned (those that
// read see the client's answer and return) or ctx ends, then drops what is
// left as Shutdown does.
func (r *Router) GoAway(ctx context.Context, code int, reason string) {
	r.mu.Lock()
	r.closed = true
	var live []*websocket.Conn
	for c := range r.live {
		if c.ws != nil {
			live = append(live, c.ws)
		}
	}
	r.mu.Unlock()
	msg := websocket.FormatCloseMessage(code, reason)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	for _, ws := range live {
		ws.WriteControl(websocket.CloseMessage, msg, deadline) // beside a handler's writer: gorilla allows it
	}
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.idle.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	for r.active > 0 && ctx.Err() == nil {
		r.idle.Wait()
	}
	r.mu.Unlock()
	r.Shutdown()
}

// Conns returns the number of live connections: WebSocket ones, and those
// held by /stall.
func (r *Router) Conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// Accepted returns how many upgrades were accepted so far. A connection
// counts before its 101 response is sent.
func (r *Router) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

// Received returns how many messages /sink and /ack received, over all
// connections.
func (r *Router) Received() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received
}

// Messages returns a copy of every message /sink and /ack received, in
// arrival order over all connections (nil with DiscardSink).
func (r *Router) Messages() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.messages...)
}

// ConnMessages returns, for every connection in accept order, the messages
// /sink or /ack received on it (connections on other paths have none).
func (r *Router) ConnMessages() [][][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][][]byte, len(r.perConn))
	for i, m := range r.perConn {
		out[i] = append([][]byte(nil), m...)
	}
	return out
}

func (r *Router) record(c *conn, msg []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received++
	if r.cfg.recordSink {
		r.messages = append(r.messages, msg)
		r.perConn[c.index] = append(r.perConn[c.index], msg)
	}
}

// isRealClose reports whether err is a close frame from the peer rather than
// gorilla's 1006 for a TCP close without one.
func isRealClose(err error) bool {
	ce, ok := err.(*websocket.CloseError)
	return ok && ce.Code != websocket.CloseAbnormalClosure
}

// waitKill blocks until the connection is dropped or d elapses (d <= 0: no
// limit).
func waitKill(c *conn, d time.Duration) {
	if d <= 0 {
		<-c.kill
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.kill:
	case <-t.C:
	}
}

// Fuzzer returns the Autobahn-compatible fuzzing server behind
// /runCase and the other paths of its protocol: its cases and the results
// of every agent that ran them.
func (r *Router) Fuzzer() *autobahn.Server { return r.fuzz() }

// serveNumbered serves a path whose parameter arg is a whole number
// (/close/N, /drop-after/N, /fragments/N): behave gets the number. Outside
// [lo, hi], or not a number, it answers 400 naming what, before the
// upgrade.
func (r *Router) serveNumbered(w http.ResponseWriter, req *http.Request, arg string, lo, hi int, what string, behave func(*conn, *http.Request, int)) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < lo || n > hi {
		http.Error(w, "wstest: bad "+what, http.StatusBadRequest)
		return
	}
	r.serve(w, req, func(c *conn, q *http.Request) { behave(c, q, n) })
}
