package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// Exit statuses of the command; exitCodes documents them.
const (
	exitOK           = 0 // the work is done, or the user asked to stop
	exitFail         = 1 // the connection ended on its own, or the demo failed
	exitUsage        = 2 // bad flags, arguments or URL
	exitNoConnection = 3 // the first dial failed: nothing was ever connected
	exitMayBeLost    = 4 // otherwise done, but messages sent may not have arrived
)

// exitCodes is the client's exit status table, in `wsfsm -h` and the
// README alike (a test checks that they agree).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "done: stdin ended and the close handshake completed, --max-messages-rev (-1) got its messages, Ctrl-C, or the server closed with 1000; and no message sent is in doubt (4)"},
	{exitFail, "the connection ended on its own: the server closed with a code other than 1000, it was lost with --no-reconnect, or the redials ran out (--max-attempts)"},
	{exitUsage, "bad usage: flags, arguments or URL"},
	{exitNoConnection, "no connection: the first dial failed (refused, HTTP status, TLS, timeout; with --retry-first-dial, every dial); -s could not listen"},
	{exitMayBeLost, "as 0, except that messages were sent on a connection that then ended without the close handshake the client started (a drop, or the server's own close): they are not known to have arrived"},
}

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
		// The suite lives in the tools module, so that installing the
		// command does not download its plotting dependencies.
		return usageError(stderr, "the benchmark suite is not part of this command: from a clone of the repository, run go -C tools run ./cmd/bench")
	case "version":
		if len(args) > 1 {
			return usageError(stderr, "version takes no arguments, got %q", args[1])
		}
		fmt.Fprintln(stdout, versionLine())
		return exitOK
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

// exitTable renders exitCodes, one status a line.
func exitTable() string {
	var b strings.Builder
	for _, e := range exitCodes {
		for i, line := range wrap(e.meaning, helpWidth-5) {
			code := " "
			if i == 0 {
				code = strconv.Itoa(e.code)
			}
			fmt.Fprintf(&b, "  %s  %s\n", code, line)
		}
	}
	return b.String()
}

// usage is the text of wsfsm -h: the subcommands, the client, its flags and
// its exit statuses.
func usage() string {
	return `wsfsm is a WebSocket client that re-establishes its connection, a
listener that bridges WebSocket clients to a pipe (-s), and a misbehaving
server to test clients against.

Usage:
  wsfsm [flags] URL           connect to URL (ws:// or wss://)
  wsfsm -s ADDR [flags]       accept WebSocket clients on ADDR (also ws-l:ADDR)
  wsfsm serve [flags] [ADDR]  run the test server (serve -h lists its paths)
  wsfsm                       run the demo on an embedded server (also: demo)
  wsfsm diagram [--format mermaid|dot]
                              print the state diagram made from states.yaml
  wsfsm version               print the version (also -V, --version)

The client sends each line of stdin as a text message (-b: each read as a
binary message; -0: NUL-separated) and writes each message it receives to
stdout as one line, newlines inside it written as spaces. When stdin ends it
closes gracefully once no message came for --linger (1s); the server's
messages are not counted as replies unless --max-messages-rev N says how many
to wait for; -E closes at once, -n keeps listening. Ctrl-C closes gracefully,
a second Ctrl-C aborts. A connection that drops is dialed again after a
backoff (×3 per failed attempt; --no-reconnect: never), and stderr says so:
messages sent on a connection that ended without our close handshake are not
known to have arrived, and the exit status is then 4. It is quiet like
websocat otherwise: -v adds every transition of the life cycle, --json turns
everything into JSON lines on stdout. A URL's query and password are never
printed.

With -s the same rules bridge WebSocket clients to stdin and stdout: each line
goes to every client connected at that moment, every client's messages are
written; reading stdin waits for the first client. When stdin ends (after
--linger), at --max-messages-rev or Ctrl-C, every client is closed with the
close handshake and it exits.

` + clientFlagHelp() + `
Single-letter flags are not combined: write -n -1, not -n1. Durations are
Go durations (500ms, 2s, 1m) or a number of seconds.

Exit status:
` + exitTable()
}
