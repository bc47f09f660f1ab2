package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wsfsm/wsfsm"
)

// clientConfig is what the client's flags and URL say.
type clientConfig struct {
	url              string
	json             bool
	closeTimeout     time.Duration
	handshakeTimeout time.Duration
	pingInterval     time.Duration
	pongTimeout      time.Duration
	backoffInitial   time.Duration
	backoffMax       time.Duration
	maxAttempts      int
	retryFirstDial   bool
	header           headerFlag
	subprotocols     listFlag
	insecure         bool
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

// listFlag collects a repeatable string flag.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	*f = append(*f, s)
	return nil
}

// newClientFlags returns the client's flag set, writing into cfg. It prints
// nothing: errors are reported by the caller on one line.
func newClientFlags(cfg *clientConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("wsfsm", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&cfg.json, "json", false, "write transitions and messages to stdout as JSON lines")
	fs.DurationVar(&cfg.closeTimeout, "close-timeout", wsfsm.DefaultCloseTimeout, "how long a graceful close waits for the peer's answer before it aborts")
	fs.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", wsfsm.DefaultHandshakeTimeout, "bound on each dial: TCP, TLS and the HTTP upgrade (negative: none)")
	fs.DurationVar(&cfg.pingInterval, "ping-interval", wsfsm.DefaultPingInterval, "time between keepalive pings (negative: no pings)")
	fs.DurationVar(&cfg.pongTimeout, "pong-timeout", wsfsm.DefaultPongTimeout, "how long after a ping the peer has to answer before it is declared dead")
	fs.DurationVar(&cfg.backoffInitial, "backoff-initial", wsfsm.DefaultBackoffInitial, "first backoff envelope before a redial (doubles per failed attempt)")
	fs.DurationVar(&cfg.backoffMax, "backoff-max", wsfsm.DefaultBackoffMax, "cap of the backoff envelope")
	fs.IntVar(&cfg.maxAttempts, "max-attempts", 0, "how many redials in a row, after a failed dial or a lost connection, before giving up (0: unlimited)")
	fs.BoolVar(&cfg.retryFirstDial, "retry-first-dial", false, "apply the retry policy to the first dial too, instead of exiting when it fails")
	fs.Var(&cfg.header, "H", "request header `'Name: value'` sent with every dial (repeatable)")
	fs.Var(&cfg.subprotocols, "subprotocol", "subprotocol to offer in the upgrade (repeatable)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "skip TLS certificate verification for wss:// (for tests only)")
	return fs
}

// clientFlagDefaults renders the client's flags for the usage text.
func clientFlagDefaults() string {
	var cfg clientConfig
	fs := newClientFlags(&cfg)
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// parseClientArgs parses flags and the URL; flags may come before or after
// the URL. On failure it returns the error as one line, without the program
// name.
func parseClientArgs(args []string) (*clientConfig, error) {
	cfg := &clientConfig{}
	fs := newClientFlags(cfg)
	var positional []string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return nil, err
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
	switch {
	case len(positional) == 0:
		return nil, fmt.Errorf("missing URL")
	case len(positional) > 1:
		return nil, fmt.Errorf("unexpected argument %q after URL %q", positional[1], positional[0])
	}
	if err := checkURL(positional[0]); err != nil {
		return nil, err
	}
	if cfg.maxAttempts < 0 {
		return nil, fmt.Errorf("invalid value %d for flag -max-attempts: must be 0 (unlimited) or more", cfg.maxAttempts)
	}
	cfg.url = positional[0]
	return cfg, nil
}

// checkURL accepts ws:// and wss:// URLs with a host.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("bad URL %q: %v", raw, errorsTail(err))
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("bad URL %q: scheme must be ws or wss", raw)
	case u.Host == "":
		return fmt.Errorf("bad URL %q: missing host", raw)
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
	if h := cfg.header.h; len(h) > 0 {
		opts.Header = func() http.Header { return h.Clone() }
	}
	if cfg.insecure {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return opts
}
