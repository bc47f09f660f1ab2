package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/wstest"
	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

// defaultServeAddr is where `wsfsm serve` listens without an argument.
const defaultServeAddr = "127.0.0.1:8080"

// serveConfig is what `wsfsm serve`'s flags and ADDR say.
type serveConfig struct {
	addr         string
	tls          bool
	certFile     string
	closeTimeout time.Duration
	reports      string // where /updateReports writes the Autobahn reports
}

func newServeFlags(cfg *serveConfig) *flagSet {
	s := newFlagSet("wsfsm serve")
	s.section("Flags")
	s.boolVar(&cfg.tls, "tls", "serve wss:// with a self-signed certificate made at start, written to a file for clients to trust")
	s.add(stringFlag(&cfg.certFile), "cert-file", "FILE", "write the certificate (PEM) to FILE and leave it there (default: a temporary file, removed on exit)")
	s.durationVar(&cfg.closeTimeout, wsfsm.DefaultCloseTimeout, "close-timeout", "on Ctrl-C, how long clients have to answer the close frame (1001, going away) before they are dropped; a second Ctrl-C drops them at once")
	s.add(stringFlag(&cfg.reports), "reports", "DIR", "where /updateReports writes the Autobahn reports (default: none written; the verdicts are kept in memory)")
	return s
}

// serveUsage is the text of `wsfsm serve -h`: the flags, then every path
// with its query options, from wstest.Paths.
func serveUsage() string {
	var cfg serveConfig
	var b strings.Builder
	b.WriteString(`Usage: wsfsm serve [flags] [ADDR]

Runs the misbehaving test server until Ctrl-C. ADDR is PORT (on 127.0.0.1),
:PORT (every interface) or HOST:PORT; the default is ` + defaultServeAddr + `.

` + newServeFlags(&cfg).helpText() + `
Paths (every path and option is in the README too):
`)
	for _, p := range wstest.Paths() {
		fmt.Fprintf(&b, "\n  %s", p.Pattern)
		if p.Example != p.Pattern {
			fmt.Fprintf(&b, "   e.g. %s", p.Example)
		}
		b.WriteString("\n")
		for _, line := range wrap(p.Doc, helpWidth-6) {
			fmt.Fprintf(&b, "      %s\n", line)
		}
		width := 0
		for _, q := range p.Query {
			width = max(width, len(q.Name)+2)
		}
		for _, q := range p.Query {
			for i, line := range wrap(q.Doc, helpWidth-8-width) {
				left := "?" + q.Name + "="
				if i > 0 {
					left = ""
				}
				fmt.Fprintf(&b, "      %-*s  %s\n", width, left, line)
			}
		}
	}
	return b.String()
}

// wrap splits text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	return append(lines, line)
}

// listenAddr turns serve's ADDR argument into an address for net.Listen: a
// bare port listens on 127.0.0.1, ":PORT" on every interface.
func listenAddr(arg string) (string, error) {
	if arg == "" {
		return defaultServeAddr, nil
	}
	if port, err := strconv.Atoi(arg); err == nil {
		if port < 0 || port > 65535 {
			return "", fmt.Errorf("port %d out of range", port)
		}
		return net.JoinHostPort("127.0.0.1", arg), nil
	}
	host, port, err := net.SplitHostPort(arg)
	if err != nil {
		return "", fmt.Errorf("bad ADDR %q: want PORT, :PORT or HOST:PORT", arg)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("bad ADDR %q: port %q", arg, port)
	}
	return net.JoinHostPort(host, port), nil
}

// runServe is `wsfsm serve [flags] [ADDR]`: the wstest router on ADDR until a
// signal or the end of ctx, then a graceful shutdown.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	var cfg serveConfig
	fs := newServeFlags(&cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, serveUsage())
			return exitOK
		}
		return usageError(stderr, "serve: %v", err)
	}
	switch fs.NArg() {
	case 0:
	case 1:
		cfg.addr = fs.Arg(0)
	default:
		return usageError(stderr, "serve: unexpected argument %q after ADDR %q", fs.Arg(1), fs.Arg(0))
	}
	addr, err := listenAddr(cfg.addr)
	if err != nil {
		return usageError(stderr, "serve: %v", err)
	}
	if cfg.certFile != "" && !cfg.tls {
		return usageError(stderr, "serve: --cert-file needs --tls")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "wsfsm: serve: %v\n", err)
		return exitFail
	}
	host := ln.Addr().(*net.TCPAddr)
	display := host.String()
	if host.IP.IsUnspecified() {
		display = net.JoinHostPort("localhost", strconv.Itoa(host.Port))
	}
	scheme := "ws"
	var tlsConfig *tls.Config
	if cfg.tls {
		certHost, _, _ := net.SplitHostPort(addr)
		cert, pemBytes, err := selfSigned(certHost, time.Now())
		if err == nil {
			var remove func()
			cfg.certFile, remove, err = writeCert(cfg.certFile, pemBytes)
			defer remove()
		}
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "wsfsm: serve: certificate: %v\n", err)
			return exitFail
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "wss"
	}

	router := wstest.NewRouter(wstest.DiscardSink(), // it may run for days
		wstest.Autobahn(autobahn.Config{ReportDir: cfg.reports}))
	// The server's own errors, e.g. a client that does not trust the
	// certificate, go to stderr.
	srv, served := startHTTP(ln, router, 10*time.Second, stderr, "wsfsm serve: ")

	where := ln.Addr().String()
	if host.IP.IsUnspecified() {
		where += " (every interface)"
	}
	fmt.Fprintf(stdout, "wsfsm serve: listening on %s; Ctrl-C stops; wsfsm serve -h explains the paths\n", where)
	if cfg.tls {
		fmt.Fprintf(stdout, "wsfsm serve: self-signed certificate in %s; trust it with: wsfsm --cacert %s %s://%s/echo\n",
			cfg.certFile, cfg.certFile, scheme, display)
	}
	width := 0
	for _, p := range wstest.Paths() {
		width = max(width, len(scheme+"://"+display+p.Example))
	}
	for _, p := range wstest.Paths() {
		fmt.Fprintf(stdout, "  %-*s  %s\n", width, scheme+"://"+display+p.Example, firstClause(p.Doc))
	}

	code := exitOK
	select {
	case <-signals:
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "wsfsm: serve: %v\n", err)
		code = exitFail
	}
	// Stop accepting (http.Server does not track upgraded connections, so
	// Shutdown returns at once for them), then close every client with
	// 1001: those that answer are done at once, the others are dropped at
	// --close-timeout or on a second signal.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.closeTimeout)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-signals:
			cancel()
		case <-stop:
		}
	}()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	router.GoAway(sctx, wsfsm.CloseGoingAway, "wsfsm serve: shutting down")
	if code == exitOK {
		<-served // http.ErrServerClosed
		fmt.Fprintln(stdout, "wsfsm serve: stopped")
	}
	return code
}

// startHTTP serves h on ln on a goroutine of its own until the server is
// closed, then sends Serve's error on served. A request has headerTimeout to
// send its headers; the server's errors go to errorLog, each line after
// prefix.
func startHTTP(ln net.Listener, h http.Handler, headerTimeout time.Duration, errorLog io.Writer, prefix string) (srv *http.Server, served <-chan error) {
	srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ErrorLog:          log.New(errorLog, prefix, 0),
	}
	ch := make(chan error, 1)
	go func() { ch <- srv.Serve(ln) }()
	return srv, ch
}

// firstClause shortens a path's doc for the listing at start: up to the
// first colon or semicolon.
func firstClause(doc string) string {
	if i := strings.IndexAny(doc, ":;("); i > 0 {
		return strings.TrimSpace(doc[:i])
	}
	return doc
}

// writeCert writes the certificate's PEM to path, or to a new temporary file
// when path is empty; remove deletes the temporary file (and does nothing
// for a path the user chose).
func writeCert(path string, pemBytes []byte) (string, func(), error) {
	if path != "" {
		return path, func() {}, os.WriteFile(path, pemBytes, 0o644)
	}
	f, err := os.CreateTemp("", "wsfsm-serve-*.pem")
	if err != nil {
		return "", func() {}, err
	}
	remove := func() { os.Remove(f.Name()) }
	if _, err := f.Write(pemBytes); err != nil {
		f.Close()
		remove()
		return "", func() {}, err
	}
	if err := f.Close(); err != nil {
		remove()
		return "", func() {}, err
	}
	return f.Name(), remove, nil
}
