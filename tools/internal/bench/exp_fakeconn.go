package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// fakeConn is a net.Conn with no network under it, for the experiments'
// CPU figures without a syscall's cost or noise: it answers the WebSocket
// upgrade it is sent with a 101, then discards every write and, if frames
// is set, reads frames over and over (a server that sends flat out), else
// blocks reads until Close.
type fakeConn struct {
	frames []byte // repeated forever after the handshake; nil: reads block

	mu       sync.Mutex
	req      bytes.Buffer // the upgrade request, until answered
	answered bool
	resp     []byte // the 101's bytes not read yet
	off      int    // in frames
	closed   chan struct{}
	once     sync.Once
	dropped  chan struct{} // closed by drop: reads return io.EOF
	dropOnce sync.Once
}

func newFakeConn(frames []byte) *fakeConn {
	return &fakeConn{frames: frames, closed: make(chan struct{}), dropped: make(chan struct{})}
}

// fakeDial is a NetDialContext that returns c.
func fakeDial(c *fakeConn) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return c, nil }
}

func (c *fakeConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.answered {
		c.req.Write(p)
		if req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.req.Bytes()))); err == nil {
			h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			c.resp = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n")
			c.answered = true
		}
	}
	return len(p), nil
}

func (c *fakeConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.resp) > 0 {
		n := copy(p, c.resp)
		c.resp = c.resp[n:]
		c.mu.Unlock()
		return n, nil
	}
	if !c.answered || c.frames == nil {
		c.mu.Unlock()
		select {
		case <-c.closed:
			return 0, net.ErrClosed
		case <-c.dropped:
			return 0, io.EOF
		}
	}
	n := copy(p, c.frames[c.off:])
	c.off = (c.off + n) % len(c.frames)
	c.mu.Unlock()
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return n, nil
}

// drop makes the peer go away: reads return io.EOF (TCP closed, no close
// frame).
func (c *fakeConn) drop() { c.dropOnce.Do(func() { close(c.dropped) }) }

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fakeConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *fakeConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *fakeConn) SetDeadline(t time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(t time.Time) error { return nil }
