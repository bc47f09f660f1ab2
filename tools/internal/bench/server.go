package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/wstest"
)

// ErrNotLoopback is returned by Serve for an address outside 127.0.0.1:
// the suite never opens a socket anywhere else.
var ErrNotLoopback = errors.New("bench: server address must be 127.0.0.1:PORT")

// DropPath is the server's failover path: each new connection first
// receives, as 8 bytes (big endian), the wall-clock time in Unix nanoseconds
// at which the server dropped the previous connection of this path (0 for
// none); every message received makes the server drop the connection at once
// (TCP closed, no close frame). Client and server share the machine's clock,
// so the client can time "server drops TCP -> Open again" from the real drop.
const DropPath = "/bench/drop"

// ServeConfig configures Serve.
type ServeConfig struct {
	// Addr is where to listen: 127.0.0.1 only; port 0 picks one.
	Addr string
	// BusyUntil, when set, makes the server answer every request before it
	// with 503 Service Unavailable and a Retry-After of the whole seconds
	// left until BusyUntil plus a whole number of seconds drawn uniformly
	// in [0, BusyWindow]: a server that says when it will be back and
	// spreads its clients' returns over BusyWindow.
	BusyUntil  time.Time
	BusyWindow time.Duration
	// ReusePort sets SO_REUSEPORT on the listener, so that a second server
	// process (a busy one for the server-led storm) can listen on the same
	// port before the first is killed: every dial after the kill reaches it,
	// as a front that answers 503 while the server is away would.
	ReusePort bool
}

// soReusePort is SO_REUSEPORT on Linux x86 and arm (package syscall does
// not name it for amd64).
const soReusePort = 0xf

// Serve is the body of the server process: it listens on cfg.Addr, prints
// "LISTENING <port>" on stdout, and serves the wstest router (its /sink
// discarding) plus DropPath and SourcePath, after answering 503 until cfg.BusyUntil, until
// stdin reaches EOF or ctx ends.
func Serve(ctx context.Context, cfg ServeConfig, stdin io.Reader, stdout io.Writer) error {
	addr := cfg.Addr
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	if err := raiseNoFile(); err != nil {
		return err
	}
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: server listen: %w", err)
	}
	router := wstest.NewRouter(wstest.DiscardSink())
	mux := http.NewServeMux()
	mux.Handle(DropPath, &dropHandler{})
	mux.Handle(SourcePath, &sourceHandler{})
	mux.Handle("/", router)
	var h http.Handler = mux
	if !cfg.BusyUntil.IsZero() {
		h = &busyHandler{next: mux, until: cfg.BusyUntil, window: int64(cfg.BusyWindow / time.Second)}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "LISTENING %d\n", ln.Addr().(*net.TCPAddr).Port); err != nil {
		_ = srv.Close()
		router.Shutdown()
		<-served
		return fmt.Errorf("bench: server stdout: %w", err)
	}

	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	case err := <-served:
		router.Shutdown()
		return fmt.Errorf("bench: server: %w", err)
	}
	_ = srv.Close()
	router.Shutdown()
	<-served
	return nil
}

// busyHandler answers 503 with a spread Retry-After until a time, then
// hands every request to next.
type busyHandler struct {
	next   http.Handler
	until  time.Time
	window int64 // whole seconds
}

func (h *busyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	left := time.Until(h.until)
	if left <= 0 {
		h.next.ServeHTTP(w, r)
		return
	}
	secs := int64((left + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs+rand.Int64N(h.window+1), 10))
	http.Error(w, "bench: busy until the server is back", http.StatusServiceUnavailable)
}

// dropHandler serves DropPath.
type dropHandler struct {
	mu     sync.Mutex
	lastAt int64 // Unix ns of the last drop
	up     websocket.Upgrader
}

func (h *dropHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	h.mu.Lock()
	last := h.lastAt
	h.mu.Unlock()
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(last))
	if err := ws.WriteMessage(websocket.BinaryMessage, stamp[:]); err != nil {
		return
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		return
	}
	now := time.Now().UnixNano()
	h.mu.Lock()
	h.lastAt = now
	h.mu.Unlock()
	ws.NetConn().Close() // the drop: FIN, no close frame
}

// serverProc is a running server process.
type serverProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	port   int
	ready  time.Time // when its LISTENING line arrived
	exited chan struct{}
	stderr *strings.Builder
	once   sync.Once
}

// startServer starts a server process: self (the command that re-executes
// this program's bench command) with -serve-addr addr and extra, pinned to
// cpu with taskset when cpu >= 0 and pin has taskset. It waits, bounded by
// ctx and 30 s, for the LISTENING line.
func startServer(ctx context.Context, self []string, addr string, pin *pinner, cpu int, extra ...string) (*serverProc, error) {
	args := append(append(append([]string(nil), self...), "-serve-addr", addr), extra...)
	if cpu >= 0 && pin.available() {
		args = append([]string{pin.taskset, "-c", strconv.Itoa(cpu)}, args...)
	}
	// Not ctx: the process lives until kill or stop, past this call.
	cmd := childCommand(context.Background(), args)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: server stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: server stdout: %w", err)
	}
	p := &serverProc{cmd: cmd, stdin: stdin, exited: make(chan struct{}), stderr: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting server process %q: %w", args, err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		if err == nil {
			lines <- strings.TrimSpace(line)
		}
		close(lines)
		_, _ = io.Copy(io.Discard, r)
		_ = cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case line, ok := <-lines:
		port, perr := strconv.Atoi(strings.TrimPrefix(line, "LISTENING "))
		if !ok || perr != nil {
			p.kill()
			return nil, fmt.Errorf("bench: server process did not listen (%q): %s", line, p.stderr.String())
		}
		p.port, p.ready = port, time.Now()
		return p, nil
	case <-ctx.Done():
		p.kill()
		return nil, fmt.Errorf("bench: waiting for the server process: %w", ctx.Err())
	}
}

// url returns ws://127.0.0.1:PORT + path.
func (p *serverProc) url(path string) string {
	return "ws://127.0.0.1:" + strconv.Itoa(p.port) + path
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *serverProc) kill() {
	p.once.Do(func() {
		_ = p.stdin.Close()
		_ = p.cmd.Process.Kill()
	})
	<-p.exited
}

// stop closes the server's stdin, which makes it exit; after 5 s it is
// killed.
func (p *serverProc) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.kill()
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
