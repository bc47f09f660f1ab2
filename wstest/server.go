package wstest

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http/httptest"
	"strings"
)

// Server is a Router listening on 127.0.0.1, plain or over TLS.
type Server struct {
	*Router
	srv *httptest.Server
}

// NewServer starts a Server on 127.0.0.1:0 (ws://). Close it when done.
func NewServer(opts ...Option) *Server {
	s := newUnstarted(opts)
	s.srv.Start()
	return s
}

// NewTLSServer starts a Server over TLS (wss://) with httptest's self-signed
// certificate for 127.0.0.1. Clients trust it with ClientTLSConfig.
func NewTLSServer(opts ...Option) *Server {
	s := newUnstarted(opts)
	s.srv.StartTLS()
	return s
}

func newUnstarted(opts []Option) *Server {
	r := NewRouter(opts...)
	srv := httptest.NewUnstartedServer(r)
	// Clients that fail TLS verification on purpose would log noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	return &Server{Router: r, srv: srv}
}

// URL returns the WebSocket URL of path on this server, e.g.
// "ws://127.0.0.1:PORT/echo" (wss:// for a TLS server).
func (s *Server) URL(path string) string {
	u := s.srv.URL
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "wss://" + rest + path
	}
	return "ws://" + strings.TrimPrefix(u, "http://") + path
}

// Addr returns the listening address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return s.srv.Listener.Addr().String() }

// Certificate returns the TLS server's certificate (nil for a plain one).
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// ClientTLSConfig returns a new client TLS configuration that trusts this
// server's certificate (nil for a plain server).
func (s *Server) ClientTLSConfig() *tls.Config {
	cert := s.srv.Certificate()
	if cert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// Close stops listening, drops every live connection (upgraded ones too) and
// waits until all handler goroutines have returned.
func (s *Server) Close() {
	s.Router.Shutdown()
	s.srv.Close()
}
