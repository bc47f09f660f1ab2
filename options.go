package wsfsm

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
)

// Defaults of Options: the connection's bounds, keepalive and receive
// buffer. The reasons for each are in the README's defaults table.
const (
	DefaultHandshakeTimeout = transport.DefaultHandshakeTimeout
	DefaultCloseTimeout     = 5 * time.Second
	DefaultPingInterval     = transport.DefaultPingInterval
	DefaultPongTimeout      = transport.DefaultPongTimeout
	DefaultReceiveBuffer    = 16
)

// Defaults of Options: the retry policy's, which are package retry's,
// defined there. The reasons for each are in the README's defaults table.
const (
	DefaultBackoffInitial = retry.DefaultInitial
	DefaultBackoffMax     = retry.DefaultMax
	DefaultMinUptime      = retry.DefaultMinUptime
	DefaultMaxRetryAfter  = retry.DefaultMaxRetryAfter
)

// Verdict is a retry-or-stop decision; see Options.Classify.
type Verdict = retry.Verdict

// Verdicts a Classify hook returns.
const (
	// Default defers to the built-in classification.
	Default = retry.Default
	// Retry dials again after the backoff delay.
	Retry = retry.Retry
	// Stop ends the Conn in its final state.
	Stop = retry.Stop
	// RetryLater dials again after a longer delay (the server said 1013, try again later).
	RetryLater = retry.RetryLater
)

// Options configures a Conn of the reference machine. It is an instance of
// OptionsOf, where its fields and their defaults are documented (go doc
// github.com/wsfsm/wsfsm.OptionsOf).
type Options = OptionsOf[fsm.State, fsm.Event]

// OptionsOf configures a Conn of a machine whose states are S and events E. A
// nil *OptionsOf means every default. The zero value of each field means its
// default; negative durations mean "none" where said.
type OptionsOf[S, E Enum] struct {
	// HandshakeTimeout bounds each dial attempt: Endpoint, TCP, TLS, the
	// HTTP upgrade and OnConnect, after which the attempt fails with
	// ErrHandshakeTimeout, even while a hook that ignores its ctx still runs.
	// The attempt carries this bound whatever the spec's timers (a state's
	// handshake_timeout timer is this same bound). Default 10 s. Negative:
	// no bound (only the context of Dial bounds the first dial).
	HandshakeTimeout time.Duration
	// CloseTimeout bounds the wait for the peer's close frame in Close, after
	// which the connection is aborted (ErrCloseTimeout). The close handshake
	// carries this bound whatever the spec's timers (a state's close_timeout
	// timer is this same bound). Default 5 s. It cannot be disabled:
	// negative means the default too.
	CloseTimeout time.Duration
	// PingInterval is the time between keepalive pings. Default 20 s.
	// Negative: no keepalive pings.
	PingInterval time.Duration
	// PongTimeout is how long after a ping the peer has to send any frame
	// before it is declared dead and the connection aborted. Default 20 s.
	PongTimeout time.Duration
	// Backoff makes the delay strategy of one Conn (called once per Dial):
	// any backoff.BackOff, such as retry.NewJitter(...),
	// backoff.NewExponentialBackOff() or backoff.WithMaxRetries(...). When
	// it returns backoff.Stop the Conn ends with ErrAttemptsExhausted (mind
	// that backoff.NewExponentialBackOff() does so after 15 minutes unless
	// its MaxElapsedTime is 0). MinUptime, MaxAttempts, MaxRetryAfter, the
	// longer wait after 1013 and ImmediateFirstRetry apply on top of any
	// strategy. Default nil: retry.NewJitter with BackoffInitial and
	// BackoffMax, jittered above a floor and kept random at the cap.
	Backoff func() backoff.BackOff
	// BackoffInitial is the default strategy's first envelope (ignored when
	// Backoff is set). Default 250 ms; negative means the default too.
	BackoffInitial time.Duration
	// BackoffMax caps the default strategy's envelope (ignored when Backoff
	// is set). Default 30 s; negative means the default too.
	BackoffMax time.Duration
	// MinUptime is how long a connection must stay Open before the backoff
	// resets; a server that accepts and drops at once keeps the backoff growing.
	// Default 10 s. Negative: reset after every successful open.
	MinUptime time.Duration
	// MaxAttempts is how many redials the Conn makes since the backoff last
	// reset (after a connection stayed Open for MinUptime) before it stops with
	// ErrAttemptsExhausted. Default 0: unlimited.
	MaxAttempts int
	// MaxRetryAfter clamps a server's Retry-After header (on 429 and 503).
	// Default 5 min. Negative: Retry-After is ignored.
	MaxRetryAfter time.Duration
	// ImmediateFirstRetry makes the first redial after an Open connection was
	// lost wait zero instead of a jittered delay. Default false: with many
	// clients on one server, an immediate retry is a stampede.
	ImmediateFirstRetry bool
	// RetryFirstDial applies the retry policy to the first dial too. Default
	// false: Dial returns the first dial's error.
	RetryFirstDial bool
	// Header returns the request headers for each dial attempt, so that tokens
	// can be refreshed. Default nil: no extra headers. Endpoint, when set,
	// gives the headers instead.
	Header func() http.Header
	// Endpoint computes where each dial attempt goes, with the attempt's
	// context (it ends when the attempt is given up: after HandshakeTimeout,
	// on Close, on Abort): fetch a fresh token for a query string or a
	// header, sign a URL, pick another server (see RoundRobin). Its error
	// fails the attempt and is classified like any other. It runs on the
	// dial's goroutine, never inside the machine. Default nil: the URL given
	// to Dial, with Header's headers.
	Endpoint func(ctx context.Context, a DialAttempt) (Endpoint, error)
	// OnConnect runs on every new connection, once the upgrade succeeded and
	// before anything else uses it: before any waiting Send is written and
	// before Receive sees the connection's messages. With Setup's Send and
	// Receive it can authenticate or subscribe again after a reconnect.
	// HandshakeTimeout bounds it (with the dial), for every spec, and ctx
	// ends when the attempt is given up. Its error aborts the connection and is
	// classified like any other (a permanent one stops the Conn). It runs on
	// the dial's goroutine, never inside the machine. Default nil.
	OnConnect func(ctx context.Context, s *Setup) error
	// TLSConfig is used for wss:// URLs. Default nil: the system roots.
	TLSConfig *tls.Config
	// Subprotocols are offered in the upgrade request. Default none.
	Subprotocols []string
	// Proxy chooses a proxy for each dial: http:// and https:// (a CONNECT
	// tunnel, over TLS to the proxy for https://), socks5:// and socks5h://,
	// with credentials from the proxy URL's user info. The proxy is reached
	// through NetDialContext. Default nil: no proxy; the environment is not
	// read (pass http.ProxyFromEnvironment to read it).
	Proxy func(*http.Request) (*url.URL, error)
	// ProxyTLSConfig is used to speak TLS to an https:// proxy; wss:// then
	// runs its own TLS (TLSConfig) inside the tunnel. Default nil: the
	// system roots, and the proxy's host as the server name.
	ProxyTLSConfig *tls.Config
	// NetDialContext dials the connection every attempt runs over, to the
	// server or to the proxy; addr is the URL's host:port (or the proxy's),
	// network "tcp". Any net.Conn will do: a Unix socket, an in-memory
	// pipe, a connection from the application's own resolver or SOCKS
	// dialer. Each attempt calls it once for a brand-new connection, and
	// Abort and Reconnect close what it returned, so a blocked read or write
	// returns at once (AbortWithRST applies to a *net.TCPConn only).
	// HandshakeTimeout, Close and Abort end its ctx. Default nil: a
	// net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// EnableCompression offers permessage-deflate (RFC 7692) on every dial,
	// without context takeover (each message is compressed on its own, the
	// only mode gorilla supports). The server decides; Compressed says what
	// the current connection negotiated. ReadLimit bounds a received
	// message once inflated. Default false.
	EnableCompression bool
	// CompressionThreshold is the size in bytes below which a message is
	// sent uncompressed on a connection that negotiated compression: deflate
	// makes small messages larger. Default (0)
	// transport.DefaultCompressionThreshold; negative: every message is
	// compressed.
	CompressionThreshold int
	// CompressionLevel is the flate level of compressed messages, from -2
	// (flate.HuffmanOnly) to 9 (flate.BestCompression); any other value
	// fails every dial with transport.ErrBadConfig. Default (0)
	// transport.DefaultCompressionLevel.
	CompressionLevel int
	// ReadLimit is the largest message accepted from the peer, in bytes; a
	// larger one closes the connection with 1009. Default
	// transport.DefaultReadLimit. Negative: no limit.
	ReadLimit int64
	// WriteTimeout bounds each write to the kernel. Default
	// transport.DefaultWriteTimeout. Negative: none.
	WriteTimeout time.Duration
	// AbortWithRST makes aborts send a TCP RST instead of a FIN. Default false.
	AbortWithRST bool
	// SendQueue bounds how many Send calls may wait while the connection is not
	// Open; one more returns ErrQueueFull. Default 0: no bound (each waits until
	// its context ends).
	SendQueue int
	// ReceiveBuffer is how many received messages wait for Receive before the
	// reader stops reading (backpressure). Default 16. After Close or Abort
	// the reader no longer waits: what does not fit is discarded.
	ReceiveBuffer int
	// Outbox makes delivery at-least-once for the messages the
	// application's protocol acknowledges (see OutboxOptions and Deliver).
	// Default nil: no outbox; Send's nil means the kernel took the frame.
	Outbox *OutboxOptions
	// Classify decides retry or stop from the cause of a lost connection or a
	// failed dial: an error, a *HandshakeError or a *CloseError. Return Default
	// to use the built-in rules. Close codes 4000-4999 belong to the
	// application: without a hook they stop. It runs on the goroutine that saw
	// the error (a dial, a reader, a timer), never inside the machine, so it
	// may call any method of the Conn, Close and Abort included; they do not
	// wait for it. It may see the causes of connections already given up.
	Classify func(err error) Verdict
	// OnTransition receives every transition, in order, on a goroutine of its
	// own (shared, in order, with the spec's own actions): it can neither
	// block the connection nor re-enter it, and it may call any method of the
	// Conn. The first is the initial entry into the initial state
	// (Transition.Initial), so each dial is an entry into Connecting. Close
	// and Abort do not wait for it; Done does. Default nil.
	OnTransition func(TransitionOf[S, E])
	// Logger receives a debug line for every transition, and a warning for
	// every event a spec's action fired that was not taken (Step.Fire).
	// Default nil: no logs.
	Logger *slog.Logger
}

// resolved returns a copy of o with the defaults filled in.
func (o *OptionsOf[S, E]) resolved() OptionsOf[S, E] {
	var r OptionsOf[S, E]
	if o != nil {
		r = *o
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&r.HandshakeTimeout, DefaultHandshakeTimeout)
	if r.CloseTimeout <= 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	def(&r.PingInterval, DefaultPingInterval)
	def(&r.PongTimeout, DefaultPongTimeout)
	if r.BackoffInitial <= 0 {
		r.BackoffInitial = DefaultBackoffInitial
	}
	if r.BackoffMax <= 0 {
		r.BackoffMax = DefaultBackoffMax
	}
	if r.Backoff == nil {
		jc := retry.JitterConfig{Initial: r.BackoffInitial, Max: r.BackoffMax}
		r.Backoff = func() backoff.BackOff { return retry.NewJitter(jc) }
	}
	def(&r.MinUptime, DefaultMinUptime)
	def(&r.MaxRetryAfter, DefaultMaxRetryAfter)
	if r.ReceiveBuffer <= 0 {
		r.ReceiveBuffer = DefaultReceiveBuffer
	}
	return r
}

// Endpoint is where one dial attempt goes.
type Endpoint struct {
	// URL is a ws:// or wss:// URL; it is never written to an error or a
	// log with its user info, query or fragment.
	URL string
	// Header holds the attempt's request headers (nil for none).
	Header http.Header
}

// DialAttempt describes a dial attempt to Options.Endpoint.
type DialAttempt struct {
	// URL is the URL given to Dial.
	URL string
	// Dial counts the Conn's dials, this one included (1 for the first).
	Dial int
	// Attempt counts the redials since the backoff last reset (0 for the
	// first dial).
	Attempt int
}

// RoundRobin returns an Options.Endpoint that sends each dial attempt to the
// next of urls in turn (the first dial to urls[0]), with no extra headers:
// a Conn whose server is gone moves on to the next at its next attempt, and
// stays on the one that answered for as long as its connection lasts. The
// backoff runs over the set, not per URL. It panics if urls is empty.
func RoundRobin(urls ...string) func(context.Context, DialAttempt) (Endpoint, error) {
	if len(urls) == 0 {
		panic("wsfsm: RoundRobin needs at least one URL")
	}
	urls = slices.Clone(urls)
	return func(_ context.Context, a DialAttempt) (Endpoint, error) {
		return Endpoint{URL: urls[(a.Dial-1)%len(urls)]}, nil
	}
}
