package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wsfsm/wsfsm/tools/internal/bench"
)

// runBench is `bench [-quick] [-json FILE] [-svg DIR]`: it runs the
// benchmark suite (wsfsm side by side with raw gorilla/websocket), prints a
// table on stdout and progress on stderr, and optionally writes the JSON
// report and the SVG plots.
//
// The suite's server runs in a separate process: this same program,
// re-executed as `bench -serve-addr 127.0.0.1:PORT`, which prints
// "LISTENING <port>" and serves until its stdin closes (with
// -serve-busy-until and -serve-busy-window, it first answers 503 with a
// Retry-After, for the server-led storm; -serve-reuseport lets two of them
// share the port). Idle-connection memory is
// measured in child processes started as `bench -conns-child KIND
// -conns-n N -conns-url URL [-conns-echo]`. These flags are internal and not
// listed in the usage.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "run the short suite (about two minutes) instead of the full one (about 22 minutes)")
	jsonPath := fs.String("json", "", "write the report as one JSON object to `FILE`")
	svgDir := fs.String("svg", "", "write the plots "+bench.StormSVG+", "+bench.StrategiesSVG+" and "+bench.BackoffSVG+" into `DIR`")
	serveAddr := fs.String("serve-addr", "", "internal: run the server process on this 127.0.0.1 address")
	busyUntil := fs.Int64("serve-busy-until", 0, "internal: the server answers 503 until this time, Unix nanoseconds")
	busyWindow := fs.Duration("serve-busy-window", 0, "internal: the spread of the server's Retry-After while busy")
	reusePort := fs.Bool("serve-reuseport", false, "internal: listen with SO_REUSEPORT")
	connsKind := fs.String("conns-child", "", "internal: hold idle connections of this kind and report their cost")
	connsN := fs.Int("conns-n", 0, "internal: how many idle connections")
	connsURL := fs.String("conns-url", "", "internal: where the idle connections go")
	connsEcho := fs.Bool("conns-echo", false, "internal: one 64 B echo on each idle connection first")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go -C tools run ./cmd/bench [-quick] [-json FILE] [-svg DIR]\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "quick" || f.Name == "json" || f.Name == "svg" {
				name, use := flag.UnquoteUsage(f)
				fmt.Fprintf(stderr, "  -%s %s\n    \t%s\n", f.Name, name, use)
			}
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q (bench -h for usage)\n", fs.Arg(0))
		return exitUsage
	}
	// Interrupts end the run through ctx, so that every child process is
	// stopped on the way out.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case *serveAddr != "":
		cfg := bench.ServeConfig{Addr: *serveAddr, BusyWindow: *busyWindow, ReusePort: *reusePort}
		if *busyUntil != 0 {
			cfg.BusyUntil = time.Unix(0, *busyUntil)
		}
		if err := bench.Serve(ctx, cfg, os.Stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return exitFail
		}
		return exitOK
	case *connsKind != "":
		if err := bench.ConnsChild(ctx, *connsKind, *connsN, *connsURL, *connsEcho, stdout); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return exitFail
		}
		return exitOK
	}

	rep, cx, err := bench.Run(ctx, bench.Config{Quick: *quick, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFail
	}
	if err := rep.WriteTable(stdout, cx); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFail
	}
	if *jsonPath != "" {
		if err := rep.WriteJSON(*jsonPath); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return exitFail
		}
	}
	if *svgDir != "" {
		if err := bench.WritePlots(*svgDir, cx); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

// Exit statuses.
const (
	exitOK    = 0 // the suite ran, or -h
	exitFail  = 1 // the suite or a child mode failed
	exitUsage = 2 // bad flags or arguments
)

func main() {
	os.Exit(runBench(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
