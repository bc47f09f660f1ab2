package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wsfsm/wsfsm"
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
	noClose    bool // -n
	oneMessage bool // -1
	linger     time.Duration
	base64     bool
	json       bool
	verbose    bool
	version    bool

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

	// reconnects
	backoffInitial time.Duration
	backoffMax     time.Duration
	maxAttempts    int
	retryFirstDial bool

	rootCAs *x509.CertPool // loaded from cacert
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
	s.add(boolFlag{p}, names, "", text)
}

func (s *flagSet) durationVar(p *time.Duration, def time.Duration, names, text string) {
	*p = def
	s.add(durationFlag{p}, names, "DURATION", text+" (default "+def.String()+")")
}

// boolFlag is a boolean flag.Value (flag's own is not exported).
type boolFlag struct{ p *bool }

func (f boolFlag) String() string {
	if f.p == nil {
		return "false"
	}
	return strconv.FormatBool(*f.p)
}

func (f boolFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	*f.p = v
	return nil
}

func (f boolFlag) IsBoolFlag() bool { return true }

// stringFlag is a string flag.Value.
type stringFlag struct{ p *string }

func (f stringFlag) String() string {
	if f.p == nil {
		return ""
	}
	return *f.p
}

func (f stringFlag) Set(s string) error { *f.p = s; return nil }

// intFlag is an int flag.Value.
type intFlag struct{ p *int }

func (f intFlag) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.Itoa(*f.p)
}

func (f intFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	*f.p = v
	return nil
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
	s.boolVar(&cfg.text, "t,text", "send each line of stdin as a text message, without its line ending (the default); write each message received on a line of its own")
	s.boolVar(&cfg.binary, "b,binary", fmt.Sprintf("send stdin as binary messages, one per read (at most %d KiB: a pipe's chunk, a terminal's line); write each message received as it is, adding nothing", binaryChunk>>10))
	s.boolVar(&cfg.noClose, "n,no-close", "do not close when stdin ends: keep listening until the server closes, or Ctrl-C")
	s.boolVar(&cfg.oneMessage, "1,one-message", "send only the first line (or chunk) of stdin, wait for the first message received however long it takes, and close")
	s.durationVar(&cfg.linger, defaultLinger, "linger", "once stdin ended, wait for replies: close once as many messages came as were sent, or once none came for this long (0: close at once)")
	s.boolVar(&cfg.base64, "base64", "write binary messages received as one base64 line each (text mode only)")
	s.boolVar(&cfg.json, "json", "write messages, transitions and errors to stdout as JSON lines (see the README for the fields)")
	s.boolVar(&cfg.verbose, "v", "show the life cycle on stderr: every transition with its cause, attempt and backoff")
	s.section("Connection")
	s.add(&cfg.header, "H,header", "'NAME: VALUE'", "send this request header with every dial (repeatable)")
	s.add(stringFlag{&cfg.origin}, "origin", "URL", "send this Origin header")
	s.add(&cfg.subprotocols, "protocol|subprotocol", "NAME", "offer this subprotocol; repeatable, or comma-separated")
	s.add(stringFlag{&cfg.cacert}, "cacert", "FILE", "trust the PEM certificates in FILE for wss:// (wsfsm serve --tls writes one)")
	s.boolVar(&cfg.insecure, "k,insecure", "do not verify the server's TLS certificate (tests only)")
	s.durationVar(&cfg.handshakeTimeout, wsfsm.DefaultHandshakeTimeout, "handshake-timeout", "bound on each dial: TCP, TLS and the HTTP upgrade")
	s.durationVar(&cfg.closeTimeout, wsfsm.DefaultCloseTimeout, "close-timeout", "how long a graceful close waits for the server's answer before it aborts")
	cfg.closeCode = wsfsm.CloseNormal
	s.add(intFlag{&cfg.closeCode}, "close-status-code", "CODE", fmt.Sprintf("the code of the close frame the client sends: %d, %d or 3000-4999 (default %d)", wsfsm.CloseNormal, wsfsm.CloseGoingAway, wsfsm.CloseNormal))
	s.add(stringFlag{&cfg.closeReason}, "close-reason", "TEXT", "the reason in that close frame, at most 123 bytes of UTF-8 (needs --close-status-code)")
	s.durationVar(&cfg.pingInterval, wsfsm.DefaultPingInterval, "ping-interval", "time between keepalive pings (negative: none)")
	s.durationVar(&cfg.pongTimeout, wsfsm.DefaultPongTimeout, "ping-timeout|pong-timeout", "how long after a ping the server has to answer before the connection is declared dead and redialed")
	s.section("Reconnects")
	s.durationVar(&cfg.backoffInitial, wsfsm.DefaultBackoffInitial, "backoff-initial", fmt.Sprintf("first backoff envelope before a redial (×%g per failed attempt; each delay is random between %g and 1 times it)", retry.DefaultMultiplier, retry.DefaultFloor))
	s.durationVar(&cfg.backoffMax, wsfsm.DefaultBackoffMax, "backoff-max", "cap of the backoff envelope")
	s.add(intFlag{&cfg.maxAttempts}, "max-attempts", "N", "how many redials in a row, after a failed dial or a lost connection, before giving up (0: unlimited)")
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
			return nil, withheldHeader(err)
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
	switch {
	case len(positional) == 0:
		return nil, fmt.Errorf("missing URL")
	case len(positional) > 1:
		return nil, fmt.Errorf("unexpected argument %q after URL %q", redactURL(positional[1]), redactURL(positional[0]))
	}
	if err := checkURL(positional[0]); err != nil {
		return nil, err
	}
	cfg.url = positional[0]
	codeSet := false
	fs.Visit(func(f *flag.Flag) { codeSet = codeSet || f.Name == "close-status-code" })
	if cfg.closeReason != "" && !codeSet {
		return nil, fmt.Errorf("--close-reason needs --close-status-code, as in websocat")
	}
	if err := checkCloseFlags(cfg.closeCode, cfg.closeReason); err != nil {
		return nil, err
	}
	switch {
	case cfg.maxAttempts < 0:
		return nil, fmt.Errorf("invalid value %d for flag --max-attempts: must be 0 (unlimited) or more", cfg.maxAttempts)
	case cfg.binary && cfg.text:
		return nil, fmt.Errorf("-b (binary) and -t (text) exclude each other")
	case cfg.base64 && cfg.binary:
		return nil, fmt.Errorf("--base64 is for text mode: -b writes binary messages as they are")
	case cfg.insecure && cfg.cacert != "":
		return nil, fmt.Errorf("--cacert and --insecure exclude each other")
	case cfg.linger < 0:
		return nil, fmt.Errorf("invalid value %v for flag --linger: must be 0 or more", cfg.linger)
	}
	if cfg.cacert != "" {
		pem, err := os.ReadFile(cfg.cacert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %v", err)
		}
		cfg.rootCAs = x509.NewCertPool()
		if !cfg.rootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert: no PEM certificate in %s", cfg.cacert)
		}
	}
	return cfg, nil
}

// checkCloseFlags applies the rules of Conn.CloseWith (wsfsm.ErrBadCloseCode)
// to --close-status-code and --close-reason, so that a bad value is bad usage
// before anything is dialed. TestCloseFlagsAgreeWithCloseWith keeps the two in
// step. The reason is not repeated: it may be long.
func checkCloseFlags(code int, reason string) error {
	switch {
	case code != wsfsm.CloseNormal && code != wsfsm.CloseGoingAway && (code < 3000 || code > 4999):
		return fmt.Errorf("invalid value %d for flag --close-status-code: a client may send %d, %d or 3000-4999", code, wsfsm.CloseNormal, wsfsm.CloseGoingAway)
	case len(reason) > 123:
		return fmt.Errorf("invalid value for flag --close-reason: %d bytes, at most 123 fit in a close frame", len(reason))
	case !utf8.ValidString(reason):
		return fmt.Errorf("invalid value for flag --close-reason: not UTF-8")
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
	return opts
}
