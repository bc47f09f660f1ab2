package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout is a safety net for every test: none should come near it.
const testTimeout = 30 * time.Second

// syncBuffer is a bytes.Buffer that several goroutines may write to while a
// test waits for some text to appear.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output contains s.
func (b *syncBuffer) waitFor(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	b.waitForCount(ctx, t, s, 1)
}

// waitForCount waits until the output contains s n times.
func (b *syncBuffer) waitForCount(ctx context.Context, t *testing.T, s string, n int) {
	t.Helper()
	for {
		b.mu.Lock()
		found := strings.Count(b.buf.String(), s) >= n
		changed := b.changed
		b.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("output never contained %q %d times; it is:\n%s", s, n, b.String())
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}
