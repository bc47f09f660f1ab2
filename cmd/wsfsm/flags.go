package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/closecode"
	"github.com/wsfsm/wsfsm/retry"
)

// defaultLinger is how long, after stdin ended, the client waits for a
// message before it closes (unless every message sent got one back sooner).
const defaultLinger = time.Second

// binaryChunk is the largest read of stdin in binary mode: each read becomes
// one message, as in websocat (whose -B buffer is 64 KiB too).
const binaryChunk = 64 << 10

// clientConfig is what the client's flags and URL say.
type clientConfig struct {
	url string

	// what goes out and comes in
	binary     bool // -b: stdin in chunks as binary messages; messages written as they are
	text       bool // -t: set only to detect "-b -t"
	nul        bool // -0: NUL instead of newline between messages, both ways
	noClose    bool // -n
	oneMessage bool // -1: --max-messages 1 --max-messages-rev 1
	maxSend    int  // --max-messages: lines (or chunks) of stdin sent at most; 0 no limit
	maxRecv    int  // --max-messages-rev: messages written at most, then close; 0 no limit
	exitOnEOF  bool // -E: close as soon as stdin ends
	sendOnly   bool // -u: stdin to the WebSocket only; nothing written
	recvOnly   bool // -U: the WebSocket to stdout only; stdin not read
	linger     time.Duration
	base64     bool
	json       bool
	verbose    bool
	version    bool

	// listen mode: -s ADDR, or ws-l:ADDR as the URL
	listen string

	// the connection
	header           headerFlag
	origin           string
	subprotocols     listFlag
	insecure         bool
	cacert           string
	handshakeTimeout time.Duration
	closeTimeout     time.Duration
	closeCode        int    // --close-status-code: the code of our close frame
	closeReason      string // --close-reason
	pingInterval     time.Duration
	pongTimeout      time.Duration
	proxy            string // --proxy URL, or socks5://HOST:PORT from --socks5
	socks5           string
	clientCert       string // --client-cert FILE (PEM)
	clientKey        string // --client-key FILE (PEM)

	// reconnects
	backoffInitial time.Duration
	backoffMax     time.Duration
	maxAttempts    int
	noReconnect    bool
	retryFirstDial bool

	rootCAs  *x509.CertPool   // loaded from cacert
	proxyURL *url.URL         // parsed from proxy
	cert     *tls.Certificate // loaded from clientCert and clientKey
}

// headerFlag collects repeated -H 'Name: value' flags.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string {
	if f == nil || len(f.h) == 0 {
		return ""
	}
	var b strings.Builder
	f.h.Write(&b)
	return strings.TrimSpace(b.String())
}

func (f *headerFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || !isToken(name) {
		return fmt.Errorf("want 'Name: value'")
	}
	if f.h == nil {
		f.h = make(http.Header)
	}
	f.h.Add(name, strings.TrimSpace(value))
	return nil
}

// isToken reports whether s is a valid HTTP header name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// listFlag collects a repeatable flag whose values may also be
// comma-separated, as websocat's --protocol "chat, superchat" is.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !isToken(p) {
			return fmt.Errorf("%q is not a subprotocol name", p)
		}
		*f = append(*f, p)
	}
	return nil
}

// durationFlag is a duration that also takes a bare number of seconds, as
// websocat's --ping-interval 10 does.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	if d, err := time.ParseDuration(s); err == nil {
		*f.d = d
		return nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a duration such as 500ms or 2s, or a number of seconds")
	}
	*f.d = time.Duration(secs * float64(time.Second))
	return nil
}

// flagHelp is one entry of the flags' help: its names, argument and text.
type flagHelp struct {
	names   []string // "n", "no-close": shown as -n, --no-close
	aliases []string // also accepted, named in the text only
	arg     string   // "" for a boolean flag
	text    string
}

// flagSet is a flag.FlagSet whose flags may have several names (a short one
// and a long one), with a help listing in the order they were defined.
type flagSet struct {
	*flag.FlagSet
	help []flagHelp
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, on one line
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs}
}

// section starts a group of flags in the help.
func (s *flagSet) section(title string) {
	s.help = append(s.help, flagHelp{text: title})
}

// add defines v under every name of names: comma-separated names are shown,
// names after a '|' are accepted too and listed at the end of the text.
func (s *flagSet) add(v flag.Value, names, arg, text string) {
	shown, hidden, _ := strings.Cut(names, "|")
	h := flagHelp{names: strings.Split(shown, ","), arg: arg, text: text}
	if hidden != "" {
		h.aliases = strings.Split(hidden, ",")
		h.text += " (also " + strings.Join(dashed(h.aliases), ", ") + ")"
	}
	for _, n := range append(h.names, h.aliases...) {
		s.Var(v, n, text)
	}
	s.help = append(s.help, h)
}

// dashed writes flag names as they are typed: -n, --no-close.
func dashed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if len(n) == 1 {
			out[i] = "-" + n
		} else {
			out[i] = "--" + n
		}
	}
	return out
}

func (s *flagSet) boolVar(p *bool, names, text string) {
	s.add(newBoolFlag(p), names, "", text)
}

func (s *flagSet) durationVar(p *time.Duration, def time.Duration, names, text string) {
	*p = def
	s.add(durationFlag{p}, names, "DURATION", text+" (default "+def.String()+")")
}

// scalar is a flag.Value of one variable: parse reads the text given, want
// says what it takes when it fails, format shows the value.
type scalar[T any] struct {
	p      *T
	parse  func(string) (T, error)
	want   string
	format func(T) string
}

func (f scalar[T]) String() string {
	if f.p == nil {
		return ""
	}
	return f.format(*f.p)
}

func (f scalar[T]) Set(s string) error {
	v, err := f.parse(s)
	if err != nil {
		return fmt.Errorf("want %s", f.want)
	}
	*f.p = v
	return nil
}

// boolFlag is a boolean flag.Value (flag's own is not exported).
type boolFlag struct{ scalar[bool] }

func (boolFlag) IsBoolFlag() bool { return true }

func newBoolFlag(p *bool) boolFlag {
	return boolFlag{scalar[bool]{p, strconv.ParseBool, "true or false", strconv.FormatBool}}
}

// stringFlag is a string flag.Value.
func stringFlag(p *string) flag.Value {
	return scalar[string]{p, func(s string) (string, error) { return s, nil }, "", func(s string) string { return s }}
}

// intFlag is an int flag.Value.
func intFlag(p *int) flag.Value {
	return scalar[int]{p, strconv.Atoi, "a whole number", strconv.Itoa}
}

// helpWidth is the width the help text is wrapped to.
const helpWidth = 80

// helpText renders the flags, the names in a column, the text wrapped.
func (s *flagSet) helpText() string {
	var b strings.Builder
	left := func(h flagHelp) string {
		l := strings.Join(dashed(h.names), ", ")
		if len(h.names[0]) > 1 {
			l = "    " + l // long-only flags line up with the long names
		}
		if h.arg != "" {
			l += " " + h.arg
		}
		return l
	}
	width := 0
	for _, h := range s.help {
		if h.names != nil {
			width = max(width, len(left(h)))
		}
	}
	for i, h := range s.help {
		if h.names == nil {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(h.text + ":\n")
			continue
		}
		for j, line := range wrap(h.text, helpWidth-width-4) {
			name := ""
			if j == 0 {
				name = left(h)
			}
			fmt.Fprintf(&b, "  %-*s  %s\n", width, name, line)
		}
	}
	return b.String()
}

// newClientFlags returns the client's flags, writing into cfg. Where websocat
// has a flag for the same thing, the name is websocat's.
func newClientFlags(cfg *clientConfig) *flagSet {
	s := newFlagSet("wsfsm")
	s.section("Input and output")
	s.boolVar(&cfg.text, "t,text", "send each line of stdin as a text message, without its line ending (the default); write each message received on a line of its own, its own newlines and carriage returns written as spaces")
	s.boolVar(&cfg.binary, "b,binary", fmt.Sprintf("send stdin as binary messages, one per read (at most %d KiB: a pipe's chunk, a terminal's line); write each message received as it is, adding nothing", binaryChunk>>10))
	s.boolVar(&cfg.nul, "0,null-terminated", "NUL instead of newline: stdin is split at NUL bytes, and each message received is written as it is (newlines kept) followed by a NUL (text mode)")
	s.boolVar(&cfg.noClose, "n,no-close", "do not close when stdin ends: keep listening until the server closes, or Ctrl-C")
	s.boolVar(&cfg.oneMessage, "1,one-message", "send at most one message and write exactly one: --max-messages 1 --max-messages-rev 1")
	s.add(intFlag(&cfg.maxSend), "max-messages", "N", "send at most N messages (lines or chunks of stdin), then treat stdin as ended")
	s.add(intFlag(&cfg.maxRecv), "max-messages-rev", "N", "write at most N messages received, then close; once stdin ended, wait for them however long it takes (--linger does not apply)")
	s.boolVar(&cfg.exitOnEOF, "E,exit-on-eof", "close as soon as stdin ends, without waiting for replies (--linger 0)")
	s.boolVar(&cfg.sendOnly, "u,unidirectional", "send only: stdin goes out, messages received are not written; close once stdin ends")
	s.boolVar(&cfg.recvOnly, "U,unidirectional-reverse", "receive only: stdin is not read; write messages until the server closes, --max-messages-rev, or Ctrl-C")
	s.durationVar(&cfg.linger, defaultLinger, "linger", "once stdin ended, close after this long without a message received (0: close at once)")
	s.boolVar(&cfg.base64, "base64", "write binary messages received as one base64 line each (text mode only)")
	s.boolVar(&cfg.json, "json", "write messages, transitions and errors to stdout as JSON lines (see the README for the fields)")
	s.boolVar(&cfg.verbose, "v", "show the life cycle on stderr: every transition with its cause, attempt and backoff")
	s.add(stringFlag(&cfg.listen), "s,server-mode", "ADDR", "listen instead of dialing: accept WebSocket clients on ADDR (PORT on 127.0.0.1, :PORT, HOST:PORT; also ws-l:ADDR as the URL); stdin goes to every client, their messages to stdout")
	s.section("Connection")
	s.add(&cfg.header, "H,header", "'NAME: VALUE'", "send this request header with every dial (repeatable)")
	s.add(stringFlag(&cfg.origin), "origin", "URL", "send this Origin header")
	s.add(&cfg.subprotocols, "protocol|subprotocol", "NAME", "offer this subprotocol; repeatable, or comma-separated")
	s.add(stringFlag(&cfg.cacert), "cacert", "FILE", "trust the PEM certificates in FILE for wss:// and an https:// proxy (wsfsm serve --tls writes one)")
	s.boolVar(&cfg.insecure, "k,insecure", "do not verify the TLS certificate of the server or of an https:// proxy (tests only)")
	s.add(stringFlag(&cfg.clientCert), "client-cert", "FILE", "present the PEM client certificate in FILE to a wss:// server (needs --client-key)")
	s.add(stringFlag(&cfg.clientKey), "client-key", "FILE", "the PEM private key of --client-cert")
	s.add(stringFlag(&cfg.proxy), "proxy", "URL", "dial through this proxy: http://, https:// (CONNECT), socks5:// or socks5h://, with user:password@ if it needs them; the environment is not read")
	s.add(stringFlag(&cfg.socks5), "socks5", "HOST:PORT", "dial through this SOCKS5 proxy (--proxy socks5://HOST:PORT)")
	s.durationVar(&cfg.handshakeTimeout, wsfsm.DefaultHandshakeTimeout, "handshake-timeout", "bound on each dial: TCP, TLS and the HTTP upgrade")
	s.durationVar(&cfg.closeTimeout, wsfsm.DefaultCloseTimeout, "close-timeout", "how long a graceful close waits for the peer's answer before it aborts")
	cfg.closeCode = wsfsm.CloseNormal
	s.add(intFlag(&cfg.closeCode), "close-status-code", "CODE", fmt.Sprintf("the code of the close frame sent: any RFC 6455 lets a client send, %s (default %d)", closecode.ClientMayRanges(), wsfsm.CloseNormal))
	s.add(stringFlag(&cfg.closeReason), "close-reason", "TEXT", "the reason in that close frame, at most 123 bytes of UTF-8 (needs --close-status-code)")
	s.durationVar(&cfg.pingInterval, wsfsm.DefaultPingInterval, "ping-interval", "time between keepalive pings (negative: none)")
	s.durationVar(&cfg.pongTimeout, wsfsm.DefaultPongTimeout, "ping-timeout|pong-timeout", "how long after a ping the server has to answer before the connection is declared dead and redialed")
	s.section("Reconnects")
	s.durationVar(&cfg.backoffInitial, wsfsm.DefaultBackoffInitial, "backoff-initial", fmt.Sprintf("first backoff envelope before a redial (×%g per failed attempt, up to --backoff-max; each delay is random between %g and 1 times it)", retry.DefaultMultiplier, retry.DefaultFloor))
	s.durationVar(&cfg.backoffMax, wsfsm.DefaultBackoffMax, "backoff-max", "cap of the backoff envelope")
	s.add(intFlag(&cfg.maxAttempts), "max-attempts", "N", "redials allowed in a row (since a connection last stayed up 10s) before giving up; 0 (the default): unlimited; --no-reconnect for none")
	s.boolVar(&cfg.noReconnect, "no-reconnect", "never redial: a lost connection ends the run (exit 1)")
	s.boolVar(&cfg.retryFirstDial, "retry-first-dial", "apply the retry policy to the first dial too, instead of exiting when it fails")
	s.section("Other")
	s.boolVar(&cfg.version, "V,version", "print the version and exit")
	return s
}

// clientFlagHelp renders the client's flags for the usage text.
func clientFlagHelp() string {
	var cfg clientConfig
	return newClientFlags(&cfg).helpText()
}

// parseClientArgs parses flags and the URL; flags may come before or after
// the URL. On failure it returns the error as one line, without the program
// name. With --version it returns no URL and no error.
func parseClientArgs(args []string) (*clientConfig, error) {
	cfg := &clientConfig{}
	fs := newClientFlags(cfg)
	var positional []string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return nil, unknownFlag(withheldHeader(err))
		}
		left := fs.Args()
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, left...) // after "--" nothing is a flag
			break
		}
		if len(left) == 0 {
			break
		}
		positional = append(positional, left[0])
		rest = left[1:]
	}
	if cfg.version {
		return cfg, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := cfg.checkTarget(positional, set); err != nil {
		return nil, err
	}
	if cfg.closeReason != "" && !set["close-status-code"] {
		return nil, fmt.Errorf("--close-reason needs --close-status-code, as in websocat")
	}
	if err := checkCloseFlags(cfg.closeCode, cfg.closeReason); err != nil {
		return nil, err
	}
	if err := checkHeaders(cfg.header.h); err != nil {
		return nil, err
	}
	if cfg.oneMessage {
		if set["max-messages"] || set["max-messages-rev"] {
			return nil, fmt.Errorf("-1 is --max-messages 1 --max-messages-rev 1: give one or the others")
		}
		cfg.maxSend, cfg.maxRecv = 1, 1
	}
	switch {
	case cfg.maxAttempts < 0:
		return nil, fmt.Errorf("invalid value %d for flag --max-attempts: must be 0 (unlimited) or more; --no-reconnect never redials", cfg.maxAttempts)
	case cfg.noReconnect && (set["max-attempts"] || cfg.retryFirstDial):
		return nil, fmt.Errorf("--no-reconnect excludes --max-attempts and --retry-first-dial")
	case cfg.maxSend < 0 || cfg.maxRecv < 0:
		return nil, fmt.Errorf("--max-messages and --max-messages-rev take 1 or more (0: no limit)")
	case cfg.binary && cfg.text:
		return nil, fmt.Errorf("-b (binary) and -t (text) exclude each other")
	case cfg.base64 && cfg.binary:
		return nil, fmt.Errorf("--base64 is for text mode: -b writes binary messages as they are")
	case cfg.nul && cfg.binary:
		return nil, fmt.Errorf("-0 is for text mode: -b sends each read and writes each message as they are")
	case cfg.sendOnly && cfg.recvOnly:
		return nil, fmt.Errorf("-u (send only) and -U (receive only) exclude each other")
	case cfg.insecure && cfg.cacert != "":
		return nil, fmt.Errorf("--cacert and --insecure exclude each other")
	case cfg.linger < 0:
		return nil, fmt.Errorf("invalid value %v for flag --linger: must be 0 or more", cfg.linger)
	case cfg.proxy != "" && cfg.socks5 != "":
		return nil, fmt.Errorf("--proxy and --socks5 exclude each other")
	case (cfg.clientCert == "") != (cfg.clientKey == ""):
		return nil, fmt.Errorf("--client-cert and --client-key go together")
	}
	if cfg.sendOnly {
		cfg.maxRecv = 0 // nothing is written, so nothing is waited for
	}
	if cfg.recvOnly {
		cfg.maxSend = 0
	}
	return cfg, cfg.load()
}

// clientOnlyFlags make no sense in listen mode, which dials nothing (and
// sends no keepalive pings).
var clientOnlyFlags = []string{"H", "header", "origin", "protocol", "subprotocol", "cacert", "k", "insecure",
	"client-cert", "client-key", "proxy", "socks5", "handshake-timeout", "backoff-initial", "backoff-max",
	"max-attempts", "no-reconnect", "retry-first-dial", "ping-interval", "ping-timeout", "pong-timeout"}

// checkTarget takes the one positional argument: a ws:// or wss:// URL, or
// with -s nothing, or ws-l:ADDR (websocat's listener) for listen mode.
func (cfg *clientConfig) checkTarget(positional []string, set map[string]bool) error {
	if len(positional) == 1 {
		if addr, ok := strings.CutPrefix(positional[0], "ws-l:"); ok && cfg.listen == "" {
			cfg.listen, positional = addr, nil
			set["s"] = true
		}
	}
	if set["s"] || set["server-mode"] {
		if len(positional) > 0 {
			return fmt.Errorf("unexpected argument %q: -s listens on ADDR and dials nothing", redactURL(positional[0]))
		}
		for _, name := range clientOnlyFlags {
			if set[name] {
				return fmt.Errorf("%s is for dialing; -s listens", dashed([]string{name})[0])
			}
		}
		addr, err := listenAddr(cfg.listen)
		if err != nil {
			return fmt.Errorf("-s: %v", err)
		}
		cfg.listen = addr
		return nil
	}
	switch {
	case len(positional) == 0:
		return fmt.Errorf("missing URL")
	case len(positional) > 1:
		return fmt.Errorf("unexpected argument %q after URL %q", redactURL(positional[1]), redactURL(positional[0]))
	}
	if err := checkURL(positional[0]); err != nil {
		return err
	}
	cfg.url = positional[0]
	return nil
}

// load reads the files and parses the proxy the flags name.
func (cfg *clientConfig) load() error {
	if cfg.cacert != "" {
		pem, err := os.ReadFile(cfg.cacert)
		if err != nil {
			return fmt.Errorf("--cacert: %v", err)
		}
		cfg.rootCAs = x509.NewCertPool()
		if !cfg.rootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--cacert: no PEM certificate in %s", cfg.cacert)
		}
	}
	if cfg.clientCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.clientCert, cfg.clientKey)
		if err != nil {
			return fmt.Errorf("--client-cert, --client-key: %v", err)
		}
		cfg.cert = &cert
	}
	if cfg.socks5 != "" {
		if _, _, err := net.SplitHostPort(cfg.socks5); err != nil {
			return fmt.Errorf("--socks5 %q: want HOST:PORT", cfg.socks5)
		}
		cfg.proxy = "socks5://" + cfg.socks5
	}
	if cfg.proxy != "" {
		u, err := url.Parse(cfg.proxy)
		switch {
		case err != nil:
			return fmt.Errorf("--proxy %q: %v", redactURL(cfg.proxy), redact(cfg.proxy, errorsTail(err).Error()))
		case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" && u.Scheme != "socks5h":
			return fmt.Errorf("--proxy %q: scheme must be http, https, socks5 or socks5h", redactURL(cfg.proxy))
		case u.Host == "" || u.Port() == "" && u.Scheme != "http" && u.Scheme != "https":
			return fmt.Errorf("--proxy %q: want SCHEME://HOST:PORT", redactURL(cfg.proxy))
		}
		cfg.proxyURL = u
	}
	return nil
}

// handshakeHeaders are set by the WebSocket handshake itself: a -H naming
// one is bad usage, not a failed dial.
var handshakeHeaders = map[string]string{
	"Upgrade":                  "",
	"Connection":               "",
	"Sec-Websocket-Key":        "",
	"Sec-Websocket-Version":    "",
	"Sec-Websocket-Extensions": "",
	"Sec-Websocket-Protocol":   "; offer subprotocols with --protocol",
}

// checkHeaders refuses -H headers the handshake sets itself.
func checkHeaders(h http.Header) error {
	for name := range h {
		if hint, ok := handshakeHeaders[name]; ok {
			return fmt.Errorf("invalid value for flag -H: %s is set by the WebSocket handshake%s", name, hint)
		}
	}
	return nil
}

// checkCloseFlags applies the rules of Conn.CloseWith (wsfsm.ErrBadCloseCode),
// from the library's table of close codes, to --close-status-code and
// --close-reason, so that a bad value is bad usage before anything is
// dialed. TestCloseFlagsAgreeWithCloseWith keeps the two in step. The reason
// is not repeated: it may be long.
func checkCloseFlags(code int, reason string) error {
	if !closecode.Of(code).ClientMay {
		return fmt.Errorf("invalid value %d for flag --close-status-code: a client may send %s", code, closecode.ClientMayRanges())
	}
	if err := closecode.CheckReason(reason); err != nil {
		return fmt.Errorf("invalid value for flag --close-reason: %v", err)
	}
	return nil
}

// withheldHeader drops the value from the flag package's error about a bad
// -H value: a header often carries a token.
func withheldHeader(err error) error {
	msg := err.Error()
	for _, name := range []string{"-H", "-header"} {
		if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
			if i := strings.Index(rest, " for flag "+name+": "); i >= 0 {
				return fmt.Errorf("invalid value (withheld) for flag %s: %s", name, rest[i+len(" for flag "+name+": "):])
			}
		}
	}
	return err
}

// checkURL accepts ws:// and wss:// URLs with a host and no user info. Its
// errors show the URL without its query and password.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("bad URL %q: %v", redactURL(raw), redact(raw, errorsTail(err).Error()))
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("bad URL %q: scheme must be ws or wss", redactURL(raw))
	case u.Host == "":
		return fmt.Errorf("bad URL %q: missing host", redactURL(raw))
	case u.User != nil:
		return fmt.Errorf("bad URL %q: user info is not allowed; send credentials with -H 'Authorization: ...'", redactURL(raw))
	}
	return nil
}

// errorsTail drops the "parse URL: " prefix of a *url.Error, which would
// repeat the URL.
func errorsTail(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// options turns the flags into wsfsm.Options that report every transition
// to observe.
func (cfg *clientConfig) options(observe func(wsfsm.Transition)) *wsfsm.Options {
	opts := &wsfsm.Options{
		HandshakeTimeout: cfg.handshakeTimeout,
		CloseTimeout:     cfg.closeTimeout,
		PingInterval:     cfg.pingInterval,
		PongTimeout:      cfg.pongTimeout,
		BackoffInitial:   cfg.backoffInitial,
		BackoffMax:       cfg.backoffMax,
		MaxAttempts:      cfg.maxAttempts,
		RetryFirstDial:   cfg.retryFirstDial,
		Subprotocols:     cfg.subprotocols,
		OnTransition:     observe,
	}
	h := cfg.header.h.Clone()
	if cfg.origin != "" {
		if h == nil {
			h = make(http.Header)
		}
		h.Set("Origin", cfg.origin)
	}
	if len(h) > 0 {
		opts.Header = func() http.Header { return h.Clone() }
	}
	switch {
	case cfg.insecure:
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	case cfg.rootCAs != nil:
		opts.TLSConfig = &tls.Config{RootCAs: cfg.rootCAs, MinVersion: tls.VersionTLS12}
	}
	if opts.TLSConfig != nil {
		opts.ProxyTLSConfig = opts.TLSConfig.Clone() // --cacert and -k apply to an https:// proxy too
	}
	if cfg.cert != nil {
		if opts.TLSConfig == nil {
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		opts.TLSConfig.Certificates = []tls.Certificate{*cfg.cert}
	}
	if cfg.proxyURL != nil {
		opts.Proxy = http.ProxyURL(cfg.proxyURL)
	}
	if cfg.noReconnect {
		// Every cause stops the Conn: the first lost connection ends the run
		// with that cause (MaxAttempts cannot say "none": 0 is unlimited).
		opts.Classify = func(error) wsfsm.Verdict { return wsfsm.Stop }
	}
	return opts
}
