package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses of the command.
const (
	exitOK    = 0 // the work is done, or the user asked to stop
	exitFail  = 1 // the connection ended on its own, or the demo failed
	exitUsage = 2 // bad flags, arguments or URL
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, signals))
}

// run is the whole command, testable in-process: args excludes the program
// name, signals delivers interrupts (the first one asks to stop gracefully,
// the second one at once), and the result is the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	if len(args) == 0 {
		return runDemoCommand(ctx, nil, stdout, stderr)
	}
	switch args[0] {
	case "demo":
		return runDemoCommand(ctx, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr, signals)
	case "diagram":
		return runDiagram(args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	return runClient(ctx, args, stdin, stdout, stderr, signals)
}

// usageError prints the one-line error of bad usage and returns exitUsage.
func usageError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "wsfsm: "+format+" (wsfsm -h for usage)\n", a...)
	return exitUsage
}

// usage is the text of wsfsm -h: the subcommands, then the client's flags.
func usage() string {
	return `wsfsm shows the life cycle of a WebSocket connection that re-establishes itself.

Usage:
  wsfsm                                 run the demo on an embedded server (no setup)
  wsfsm [flags] URL                     connect to URL (ws:// or wss://): stdin lines are
                                        sent as text, messages go to stdout, transitions
                                        to stderr; EOF or Ctrl-C closes, a second Ctrl-C aborts
  wsfsm serve [ADDR]                    run the misbehaving test server on ADDR
                                        (default 127.0.0.1:8080) until Ctrl-C
  wsfsm diagram [--format mermaid|dot]  print the state diagram generated from states.yaml
  wsfsm bench [-quick] [-json FILE] [-svg DIR]
                                        benchmark against raw gorilla/websocket

Client flags:
` + clientFlagDefaults() + `
Exit status: 0 when the connection ended because you asked (even if the close
had to abort), 1 when it ended on its own (the cause is printed), 2 on bad usage.
`
}
