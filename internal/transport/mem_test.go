package transport

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// TestMessageSize pins the size that puts a receive buffer of 16 Messages
// in the runtime's 512 B size class (40 B Messages took 704 B per idle
// connection).
func TestMessageSize(t *testing.T) {
	if got := unsafe.Sizeof(Message{}); got != 32 {
		t.Errorf("unsafe.Sizeof(Message{}) = %d, want 32", got)
	}
}

// TestWireConnSize pins the size class of the wire gorilla reads through:
// one per connection, idle or not, 208 B since its guard's counters are
// narrow (256 B before).
func TestWireConnSize(t *testing.T) {
	if got := unsafe.Sizeof(wireConn{}); got > 208 {
		t.Errorf("unsafe.Sizeof(wireConn{}) = %d, want <= 208", got)
	}
}

// TestKeepaliveSize pins the size class of a keepalive, one per idle Conn
// with the default options: 112 B (120 B, in the 128 B class, before).
func TestKeepaliveSize(t *testing.T) {
	if got := unsafe.Sizeof(keepalive{}); got > 112 {
		t.Errorf("unsafe.Sizeof(keepalive{}) = %d, want <= 112", got)
	}
}

// TestDialOf restores a link's dial from the 32 bits a Message keeps, on
// both sides of a wrap of those bits.
func TestDialOf(t *testing.T) {
	for _, tc := range []struct{ dial, latest uint64 }{
		{1, 1},
		{1, 2},
		{7, 1 << 20},
		{math.MaxUint32, math.MaxUint32},
		{math.MaxUint32, math.MaxUint32 + 3},
		{1 << 32, 1<<32 + 1},
		{1<<33 + 5, 1<<33 + 5},
		{1<<33 + 5, 1<<33 + 1<<32 + 4}, // 2^32-1 dials apart: the farthest it restores
		{1<<40 - 1, 1<<40 + 1<<31},
	} {
		if got := DialOf(uint32(tc.dial), tc.latest); got != tc.dial {
			t.Errorf("DialOf(%d, %d) = %d, want %d", uint32(tc.dial), tc.latest, got, tc.dial)
		}
	}
}

// recordingConn records the writes made before the first read.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	read   bool
	writes [][]byte // before the first read
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.read {
		c.writes = append(c.writes, bytes.Clone(p))
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recordingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.read = true
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// The handshake request reaches the wire whole, in one write, before the
// first read, and net/http writes it without a 4 KiB bufio.Writer of its
// own (garbage after every dial, left among the idle connections' live
// objects): the connection gorilla writes through is an io.ByteWriter, and
// an io.StringWriter.
func TestHandshakeRequestHeld(t *testing.T) {
	checkFDs(t)
	s := newServer(t)
	var rec *recordingConn
	l := dial(t, s.URL("/echo"), DialConfig{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		rec = &recordingConn{Conn: c}
		return rec, nil
	}})
	if _, ok := l.ws.NetConn().(io.ByteWriter); !ok {
		t.Errorf("gorilla writes through a %T, not an io.ByteWriter: net/http buffers the request in 4 KiB", l.ws.NetConn())
	}
	if _, ok := l.ws.NetConn().(io.StringWriter); !ok {
		t.Errorf("gorilla writes through a %T, not an io.StringWriter: net/http copies each string of the request", l.ws.NetConn())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.writes) != 1 {
		t.Fatalf("%d writes before the first read, want 1 (the whole request)", len(rec.writes))
	}
	if req := string(rec.writes[0]); !strings.HasPrefix(req, "GET /echo HTTP/1.1\r\n") || !strings.HasSuffix(req, "\r\n\r\n") {
		t.Errorf("the write before the first read is %q, want the whole request", req)
	}
}
