package main

import (
	"errors"
	"fmt"
	"strings"
)

// websocatFlags maps websocat's flags that wsfsm does not define to what a
// websocat user types instead, or why there is none. The flags wsfsm shares
// with websocat (-t, -b, -0, -n, -1, -E, -u, -U, -s, -H, -k, --origin,
// --protocol, --max-messages, --max-messages-rev, --close-status-code,
// --close-reason, --ping-interval, --ping-timeout, --base64, -v, -V) are
// defined under websocat's names and never reach this table.
var websocatFlags = map[string]string{
	"q":                          "wsfsm is quiet by default; -v adds the life cycle",
	"socks5-destination":         "wsfsm dials the URL's host through --socks5 HOST:PORT or --proxy",
	"socks5-user-pass":           "give them in the proxy URL: --proxy socks5://USER:PASS@HOST:PORT",
	"client-pkcs12-der":          "wsfsm takes PEM files: --client-cert FILE --client-key FILE",
	"client-pkcs12-passwd":       "wsfsm takes PEM files: --client-cert FILE --client-key FILE",
	"pkcs12-der":                 "wsfsm serve --tls makes its own certificate; -s serves ws:// only",
	"pkcs12-passwd":              "wsfsm serve --tls makes its own certificate; -s serves ws:// only",
	"tls-domain":                 "none: the certificate is checked against the URL's host (--cacert, -k)",
	"ua":                         "-H 'User-Agent: ...'",
	"basic-auth":                 "-H 'Authorization: Basic ...' (base64 of USER:PASS)",
	"basic-auth-file":            "-H 'Authorization: Basic ...' (base64 of USER:PASS)",
	"request-header":             "-H 'NAME: VALUE'",
	"header-to-env":              "none",
	"server-protocol":            "none: -s accepts no subprotocol",
	"server-header":              "none: -s sends no extra response header",
	"linemode-strip-newlines":    "wsfsm does this by default: a line is sent without its line ending",
	"no-line":                    "-b sends each read of stdin as one message",
	"B":                          "none: -b reads at most 64 KiB at a time",
	"buffer-size":                "none: -b reads at most 64 KiB at a time",
	"oneshot":                    "-1 with -s ends after one message; Ctrl-C ends -s",
	"conncap":                    "none: -s accepts every client",
	"S":                          "none: text that is not UTF-8 is sent with a warning (-b sends binary)",
	"strict":                     "none: text that is not UTF-8 is sent with a warning (-b sends binary)",
	"jsonrpc":                    "none; --json writes what comes in as JSON lines",
	"text-prefix":                "--json says each message's kind",
	"binary-prefix":              "--json says each message's kind",
	"base64-text":                "--json writes text that is not UTF-8 in base64",
	"max-ws-message-length":      "none: wsfsm accepts messages up to 32 MiB",
	"max-ws-frame-length":        "none: wsfsm accepts messages up to 32 MiB",
	"inhibit-pongs":              "none: wsfsm serve's /ping and /silent paths test that",
	"print-ping-rtts":            "none; -v shows a dead peer found by --ping-timeout",
	"max-sent-pings":             "none; --ping-timeout declares a peer dead",
	"autoreconnect-delay-millis": "wsfsm reconnects by itself: --backoff-initial, --backoff-max",
	"compress-deflate":           "none (the library has Options.EnableCompression)",
	"X":                          "none: a WebSocket upgrade is a GET",
	"request-method":             "none: a WebSocket upgrade is a GET",
	"request-uri":                "none: the path is the URL's",
	"ws-c-uri":                   "none: the URL is where wsfsm dials",
	"websocket-version":          "none: wsfsm speaks version 13",
	"dump-spec":                  "none",
	"async-stdio":                "none",
	"e":                          "none",
	"set-environment":            "none",
	"F":                          "none",
	"static-file":                "none",
	"exec-args":                  "none",
	"unlink":                     "none",
	"preamble":                   "none",
	"p":                          "none",
	"crypto-key":                 "none",
	"prometheus":                 "none",
}

// flagNotDefined is the start of the flag package's error for a flag that
// is not defined.
const flagNotDefined = "flag provided but not defined: -"

// unknownFlag rewrites the flag package's "flag provided but not defined"
// into a line that names the flag as typed and, for a websocat flag, what
// wsfsm has instead.
func unknownFlag(err error) error {
	name, ok := strings.CutPrefix(err.Error(), flagNotDefined)
	if !ok {
		return err
	}
	name = strings.TrimPrefix(name, "-")
	shown := dashed([]string{name})[0]
	if hint, ok := websocatFlags[name]; ok {
		if hint == "none" {
			return fmt.Errorf("unknown flag %s: a websocat flag wsfsm has no equivalent for", shown)
		}
		return fmt.Errorf("unknown flag %s: a websocat flag; in wsfsm: %s", shown, hint)
	}
	return errors.New("unknown flag " + shown)
}
