package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/transport"
)

// listener is `wsfsm -s ADDR`: websocat's simple server mode. Every client
// that connects is bridged to stdin and stdout: each line of stdin goes to
// every client connected at that moment (websocat's broadcast), and every
// message of every client is written to stdout, whole, in the order they
// were read. Reading stdin waits for the first client.
type listener struct {
	cfg *clientConfig
	p   *printer

	mu       sync.Mutex
	clients  map[*client]struct{}
	joined   chan struct{} // closed and replaced whenever a client joins
	first    chan struct{} // closed when the first client joins
	closing  bool          // no client is accepted any more
	next     uint64        // number of the next client (1, 2, ...)
	received int           // messages written
	got      chan struct{} // a message was written (coalesced)
	full     chan struct{} // closed once --max-messages-rev messages were written
	handlers sync.WaitGroup
}

// client is one accepted WebSocket connection.
type client struct {
	id   uint64
	addr string
	ws   *websocket.Conn
	wmu  sync.Mutex    // one writer at a time (gorilla allows one)
	done chan struct{} // closed when its reader ended

	closeSent bool // we started the close handshake (under wmu)
}

func runListen(ctx context.Context, cfg *clientConfig, stdin io.Reader, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	p := newPrinter(cfg, stdout, stderr)
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		p.finish(fmt.Errorf("-s: %v", err), exitNoConnection)
		return exitNoConnection
	}
	l := &listener{cfg: cfg, p: p, clients: map[*client]struct{}{}, joined: make(chan struct{}),
		first: make(chan struct{}), got: make(chan struct{}, 1), full: make(chan struct{})}
	srv, served := startHTTP(ln, http.HandlerFunc(l.serveHTTP), cfg.handshakeTimeout, io.Discard, "")
	p.peer("listening", ln.Addr().String(), nil)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var inputDone chan struct{}
	if !cfg.recvOnly {
		// stdin is read once a client is there: its end (even at once,
		// </dev/null) then ends a session that took place.
		inputDone = make(chan struct{})
		go func() {
			select {
			case <-l.first:
			case <-ctx.Done():
				close(inputDone)
				return
			}
			sendInput(cfg, stdin, func(typ wsfsm.MessageType, data []byte) bool { return l.broadcast(ctx, typ, data) },
				p, func() uint64 { return 0 }, inputDone)
		}()
	}
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	inputEnded, stopping, aborting := false, false, false
	afterInput := func() {
		if !inputEnded || stopping {
			return
		}
		switch d := endOfInput(cfg); {
		case d < 0:
		case d == 0:
			stopping = true
		default:
			quiet.Reset(d)
		}
	}
	ctxDone := ctx.Done()
	for !stopping {
		select {
		case <-inputDone:
			inputDone, inputEnded = nil, true
			afterInput()
		case <-l.got:
			afterInput()
		case <-l.full:
			stopping = true
		case <-quiet.C:
			stopping = true
		case <-signals:
			stopping = true
		case <-ctxDone:
			stopping, aborting = true, true
		case err := <-served:
			p.finish(fmt.Errorf("-s: %v", err), exitFail)
			return exitFail
		}
	}
	// Stop accepting, close every client gracefully (a second signal, or
	// the close timeout, drops those that do not answer), then wait for
	// their handlers.
	srv.Close() // the listener only: upgraded connections are hijacked
	l.closeAll(ctx, signals, aborting)
	l.handlers.Wait()
	<-served
	if n := p.unconfirmed(); n > 0 && !aborting {
		p.finish(fmt.Errorf("%s sent to clients that then disconnected without our close handshake: not known to have arrived", plural(n, "message")), exitMayBeLost)
		return exitMayBeLost
	}
	p.finish(nil, exitOK)
	return exitOK
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // as websocat -s

// serveHTTP upgrades one client and reads its messages until it ends.
func (l *listener) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !l.enter() {
		http.Error(w, "wsfsm: shutting down", http.StatusServiceUnavailable)
		return
	}
	defer l.handlers.Done()
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // gorilla wrote the error response
	}
	c := &client{addr: r.RemoteAddr, ws: ws, done: make(chan struct{})}
	if !l.join(c) {
		ws.Close()
		return
	}
	l.p.peer("connected", c.addr, nil)

	var readErr error
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			readErr = err
			break
		}
		l.deliver(wsfsm.MessageType(typ), data, c.addr) // gorilla's 1 and 2 are wsfsm.Text and wsfsm.Binary
	}
	l.mu.Lock()
	delete(l.clients, c)
	l.mu.Unlock()
	// The client's close frame after ours proves it read all we sent
	// before ours; any other end does not.
	var ce *websocket.CloseError
	c.wmu.Lock()
	clean := c.closeSent && errors.As(readErr, &ce)
	c.wmu.Unlock()
	ws.Close()
	close(c.done)
	l.p.clientEnded(c.id, c.addr, clean, closeCause(readErr))
}

// enter counts in the handler of a new request (runListen waits for every
// handler before it returns), unless the listener is closing.
func (l *listener) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return false
	}
	l.handlers.Add(1)
	return true
}

// join numbers an upgraded client and adds it to those a broadcast
// reaches, unless the listener is closing.
func (l *listener) join(c *client) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return false
	}
	l.next++
	c.id = l.next
	if c.id == 1 {
		close(l.first)
	}
	l.clients[c] = struct{}{}
	close(l.joined)
	l.joined = make(chan struct{})
	return true
}

// closeCause turns gorilla's read error into what the command reports.
func closeCause(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &wsfsm.CloseError{Code: ce.Code, Reason: ce.Text}
	}
	return err
}

// deliver writes a client's message, up to --max-messages-rev.
func (l *listener) deliver(typ wsfsm.MessageType, data []byte, addr string) {
	if l.cfg.sendOnly {
		return
	}
	l.mu.Lock()
	l.received++
	n := l.received
	l.mu.Unlock()
	if limit := l.cfg.maxRecv; limit > 0 && n > limit {
		return
	}
	l.p.clientMessage(typ, data, addr)
	if n == l.cfg.maxRecv {
		close(l.full)
	}
	select {
	case l.got <- struct{}{}:
	default:
	}
}

// broadcast sends one message of stdin to every client connected now,
// first waiting for one to connect. It fails once the listener stops.
func (l *listener) broadcast(ctx context.Context, typ wsfsm.MessageType, data []byte) bool {
	for {
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			return false
		}
		clients := make([]*client, 0, len(l.clients))
		for c := range l.clients {
			clients = append(clients, c)
		}
		joined := l.joined
		l.mu.Unlock()
		if len(clients) == 0 {
			select {
			case <-joined:
				continue
			case <-ctx.Done():
				return false
			}
		}
		for _, c := range clients {
			c.wmu.Lock()
			if !c.closeSent {
				c.ws.SetWriteDeadline(time.Now().Add(transport.DefaultWriteTimeout)) // the library's bound on a peer that stops reading
				if c.ws.WriteMessage(int(typ), data) == nil {
					l.p.sent(c.id)
				} else {
					c.ws.Close() // a client that cannot take it is dropped; its reader ends
				}
			}
			c.wmu.Unlock()
		}
		return true
	}
}

// closeAll sends every client our close frame and waits for their answers,
// up to --close-timeout or a signal; then drops those left.
func (l *listener) closeAll(ctx context.Context, signals <-chan os.Signal, abort bool) {
	l.mu.Lock()
	l.closing = true
	close(l.joined) // a broadcast waiting for a client gives up
	l.joined = make(chan struct{})
	clients := make([]*client, 0, len(l.clients))
	for c := range l.clients {
		clients = append(clients, c)
	}
	l.mu.Unlock()
	msg := websocket.FormatCloseMessage(l.cfg.closeCode, l.cfg.closeReason)
	deadline := time.Now().Add(l.cfg.closeTimeout)
	for _, c := range clients {
		c.wmu.Lock()
		if !abort {
			c.closeSent = c.ws.WriteControl(websocket.CloseMessage, msg, deadline) == nil
		}
		c.wmu.Unlock()
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for _, c := range clients {
		if abort {
			c.ws.Close()
			continue
		}
		select {
		case <-c.done:
		case <-timer.C:
			abort = true
			c.ws.Close()
		case <-signals:
			abort = true
			c.ws.Close()
		case <-ctx.Done():
			abort = true
			c.ws.Close()
		}
	}
	for _, c := range clients {
		if abort {
			c.ws.Close()
		}
	}
}
