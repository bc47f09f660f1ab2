package main

import (
	"bufio"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/wsfsm/wsfsm"
)

func TestServeRunsTheTestServerUntilASignal(t *testing.T) {
	ctx := testContext(t)
	out, outW := io.Pipe()
	signals := make(chan os.Signal)
	done := make(chan int, 1)
	stderr := newSyncBuffer()
	go func() {
		code := run(ctx, []string{"serve", "127.0.0.1:0"}, nil, outW, stderr, signals)
		outW.Close()
		done <- code
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	header := <-lines
	addr, ok := strings.CutPrefix(header, "wsfsm serve: listening on ")
	if !ok {
		t.Fatalf("first line %q, want the listening address", header)
	}
	addr, _, _ = strings.Cut(addr, ";")
	for _, p := range servePaths {
		want := "ws://" + addr + p.path
		if line := <-lines; !strings.HasPrefix(strings.TrimSpace(line), want+" ") {
			t.Errorf("line %q, want the URL %s and what it does", line, want)
		}
	}

	// The printed echo URL works.
	c, err := wsfsm.Dial(ctx, "ws://"+addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Send(ctx, wsfsm.Text, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Receive(ctx); err != nil || string(got) != "hi" {
		t.Errorf("echo: %q, %v", got, err)
	}

	// A signal shuts the server down, even with a live connection.
	signals <- os.Interrupt
	if code := <-done; code != exitOK {
		t.Errorf("exit %d, want 0; stderr: %s", code, stderr)
	}
	for line := range lines {
		if line != "wsfsm serve: stopped" {
			t.Errorf("unexpected line after the URLs: %q", line)
		}
	}
}
