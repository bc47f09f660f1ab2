package wstest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Sequence is a server whose i-th request is served as if it asked for
// paths[i] on a Router (the last path repeats), so that the dials of one
// client, all to the same URL, meet a scripted series of behaviours. The
// path "hold" accepts the request and never answers it, so that a dial stays
// in its handshake, until the client gives up or Close.
type Sequence struct {
	router  *Router
	srv     *httptest.Server
	count   atomic.Int64
	held    chan struct{}
	release chan struct{}
	once    sync.Once
}

// NewSequence starts a Sequence on 127.0.0.1 over paths such as "/echo",
// "/close/1012", "/reject/503?retry_after=1" or "hold". Close it when done.
func NewSequence(paths ...string) *Sequence {
	if len(paths) == 0 {
		paths = []string{"/echo"}
	}
	s := &Sequence{router: NewRouter(), held: make(chan struct{}, 1024), release: make(chan struct{})}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(s.count.Add(1)) - 1
		path := paths[min(i, len(paths)-1)]
		if path == "hold" {
			s.held <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-s.release:
			}
			return
		}
		u, err := url.Parse(path)
		if err != nil {
			http.Error(w, "wstest: bad path in sequence", http.StatusInternalServerError)
			return
		}
		r.URL.Path, r.URL.RawQuery = u.Path, u.RawQuery
		s.router.ServeHTTP(w, r)
	}))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Start()
	return s
}

// URL returns the server's ws:// URL; the path is chosen by the sequence.
func (s *Sequence) URL() string { return "ws://" + strings.TrimPrefix(s.srv.URL, "http://") + "/" }

// Held receives once for each request served as "hold".
func (s *Sequence) Held() <-chan struct{} { return s.held }

// Requests returns how many requests arrived so far.
func (s *Sequence) Requests() int { return int(s.count.Load()) }

// Router returns the Router that serves the sequence's paths (its counts,
// DropAll, the messages /sink recorded).
func (s *Sequence) Router() *Router { return s.router }

// Close releases held requests, drops every connection and stops listening.
func (s *Sequence) Close() {
	s.once.Do(func() { close(s.release) })
	s.router.Shutdown()
	s.srv.Close()
}
