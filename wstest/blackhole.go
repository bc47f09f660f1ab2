package wstest

import (
	"net"
	"sync"
)

// BlackHole accepts TCP connections on 127.0.0.1 and never answers: no HTTP
// response, no close. Use it to test handshake timeouts and cancelled dials.
type BlackHole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	count int
	wg    sync.WaitGroup
}

// NewBlackHole starts a BlackHole on 127.0.0.1:0. It panics if it cannot
// listen, as httptest.NewServer does.
func NewBlackHole() *BlackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("wstest: listen: " + err.Error())
	}
	b := &BlackHole{ln: ln}
	b.wg.Add(1)
	go b.accept()
	return b
}

func (b *BlackHole) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.count++
		b.mu.Unlock()
	}
}

// URL returns "ws://127.0.0.1:PORT" + path.
func (b *BlackHole) URL(path string) string { return "ws://" + b.ln.Addr().String() + path }

// Accepted returns how many TCP connections were accepted so far.
func (b *BlackHole) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// Close stops listening, closes every accepted connection and waits for the
// accept goroutine.
func (b *BlackHole) Close() {
	b.ln.Close()
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
}
