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
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/wsfsm/wsfsm/internal/conformance"
	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

// clients are the echo clients of the table, in its column order.
var clients = []struct {
	name string
	doc  string
	run  func(ctx context.Context, base, agent string) error
}{
	{"wsfsm", "wsfsm.Conn (public API), permessage-deflate offered", echoRun(conformance.WsfsmEcho)},
	{"gorilla", "gorilla/websocket v1.5.3 Dialer, EnableCompression", echoRun(autobahn.GorillaEcho(true))},
	{"coder", "coder/websocket v1.8.15, CompressionContextTakeover (as its own Autobahn test)", echoRun(coderEcho)},
	{"python", "Python websockets (Debian python3-websockets), defaults", peerRun("python")},
	{"node", "Node ws (package-lock.json), defaults", peerRun("node")},
}

func echoRun(echo autobahn.Echo) func(ctx context.Context, base, agent string) error {
	return func(ctx context.Context, base, agent string) error {
		return autobahn.RunAgent(ctx, base, agent, echo, nil)
	}
}

func peerRun(peer string) func(ctx context.Context, base, agent string) error {
	return func(ctx context.Context, base, agent string) error {
		return conformance.RunPeer(ctx, peer, base, agent)
	}
}

// coderEcho is coder/websocket's echo loop (its internal/test/wstest
// EchoLoop), with the dial options of its own Autobahn test.
func coderEcho(ctx context.Context, u string) error {
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	c.SetReadLimit(conformance.ReadLimit)
	buf := make([]byte, 32<<10)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

func main() {
	profile := flag.String("profile", "quick", `"quick" (9.x sizes / 16, 100 round trips in 9.7/9.8, 20 in 12/13) or "full" (Autobahn's)`)
	unit := flag.Duration("unit", time.Second, "what one of Autobahn's seconds lasts (every case timer)")
	out := flag.String("out", "autobahn-report", "directory for the reports")
	only := flag.String("clients", "wsfsm,gorilla,coder,python,node", "the clients to run, comma-separated")
	flag.Parse()
	if err := run(*profile, *unit, *out, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
}

func run(profile string, unit time.Duration, out string, only []string) error {
	cfg := autobahn.Config{Unit: unit, ReportDir: out}
	switch profile {
	case "quick":
		cfg.Profile = autobahn.Quick
	case "full":
		cfg.Profile = autobahn.Full
	default:
		return fmt.Errorf("-profile %q: want quick or full", profile)
	}
	s := autobahn.NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "ws://" + ln.Addr().String()

	ctx := context.Background()
	var agents []string
	took := map[string]time.Duration{}
	for _, c := range clients {
		if !slices.Contains(only, c.name) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "conformance: %s (%s)...\n", c.name, c.doc)
		if err := c.run(ctx, base, c.name); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		took[c.name] = time.Since(start).Round(100 * time.Millisecond)
		agents = append(agents, c.name)
	}
	if len(agents) == 0 {
		return errors.New("no client to run")
	}
	if err := s.WriteReports(out); err != nil {
		return err
	}
	sums := map[string][]autobahn.Summary{}
	for _, a := range agents {
		sums[a] = autobahn.Summarize(s.Results(a))
	}
	fmt.Printf("%d cases, %s profile, unit %v\n\n", len(s.Cases()), cfg.Profile, unit)
	fmt.Print(autobahn.Table(agents, sums))
	fmt.Println()
	for _, c := range clients {
		if d, ok := took[c.name]; ok {
			fmt.Printf("- %s: %s; %v\n", c.name, c.doc, d)
		}
	}
	for _, a := range agents {
		var ids []string
		for _, r := range autobahn.Failures(s.Results(a)) {
			ids = append(ids, r.ID)
		}
		if len(ids) > 0 {
			fmt.Printf("- %s FAILED: %s (reasons in %s)\n", a, strings.Join(ids, " "), out)
		}
	}
	return nil
}
