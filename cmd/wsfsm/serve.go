package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wsfsm/wsfsm/wstest"
)

// defaultServeAddr is where `wsfsm serve` listens without an argument.
const defaultServeAddr = "127.0.0.1:8080"

// servePaths lists the behaviours of the wstest router, with an example URL
// path each.
var servePaths = []struct{ path, doc string }{
	{"/echo", "echoes every message"},
	{"/close/1000?after=1&reason=bye", "echoes ?after=N messages, then closes with CODE"},
	{"/ignore-close", "echoes, never answers a close frame"},
	{"/drop-after/3", "echoes N messages, then cuts TCP with no close frame"},
	{"/silent?for=30s", "never reads or writes (no pongs, no close) for ?for= or ever"},
	{"/reject/503?retry_after=2", "refuses the upgrade with STATUS (Retry-After on 429/503)"},
	{"/sink", "swallows every message"},
}

// runServe is `wsfsm serve [ADDR]`: the wstest router on ADDR until a signal
// or the end of ctx, then a graceful shutdown.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	fs := flag.NewFlagSet("wsfsm serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage())
			return exitOK
		}
		return usageError(stderr, "serve: %v", err)
	}
	addr := defaultServeAddr
	switch fs.NArg() {
	case 0:
	case 1:
		addr = fs.Arg(0)
	default:
		return usageError(stderr, "serve: unexpected argument %q after ADDR %q", fs.Arg(1), fs.Arg(0))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "wsfsm: serve: %v\n", err)
		return exitFail
	}
	router := wstest.NewRouter(wstest.DiscardSink()) // it may run for days
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	host := ln.Addr().(*net.TCPAddr)
	display := host.String()
	if host.IP.IsUnspecified() {
		display = net.JoinHostPort("localhost", fmt.Sprint(host.Port))
	}
	fmt.Fprintf(stdout, "wsfsm serve: listening on %s; Ctrl-C stops\n", ln.Addr())
	width := 0
	for _, p := range servePaths {
		width = max(width, len("ws://"+display+p.path))
	}
	for _, p := range servePaths {
		fmt.Fprintf(stdout, "  %-*s  %s\n", width, "ws://"+display+p.path, p.doc)
	}

	code := exitOK
	select {
	case <-signals:
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "wsfsm: serve: %v\n", err)
		code = exitFail
	}
	// Stop accepting, let plain HTTP requests finish, then drop the upgraded
	// connections (http.Server does not track hijacked ones) and wait for
	// their handlers.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	router.Shutdown()
	if code == exitOK {
		<-served // http.ErrServerClosed
		fmt.Fprintln(stdout, "wsfsm serve: stopped")
	}
	return code
}
