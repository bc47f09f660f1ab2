package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// LoopbackTLS is httptest's certificate for 127.0.0.1 as a server
// configuration that presents it and a client configuration that trusts it.
func LoopbackTLS() (server, client *tls.Config) {
	cert := httptest.NewUnstartedServer(http.NotFoundHandler())
	cert.StartTLS()
	defer cert.Close()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Certificate())
	return &tls.Config{Certificates: cert.TLS.Certificates}, &tls.Config{RootCAs: pool}
}

// WSURL is the ws:// (or wss://) URL of an httptest server's http:// (or
// https://) URL.
func WSURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// Serve serves h on 127.0.0.1 until the test ends and returns its ws:// URL.
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return WSURL(srv.URL)
}

// ServeWS serves on 127.0.0.1 until the test ends a WebSocket endpoint that
// upgrades each request with up and hands the connection to serve, closing
// it when serve returns, and returns its ws:// URL. A request that fails to
// upgrade is answered by up and goes no further.
func ServeWS(tb testing.TB, up *websocket.Upgrader, serve func(ws *websocket.Conn)) string {
	tb.Helper()
	return Serve(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		serve(ws)
	}))
}

// Echo sends back every message ws reads, until reading or writing fails.
func Echo(ws *websocket.Conn) {
	for {
		typ, m, err := ws.ReadMessage()
		if err != nil || ws.WriteMessage(typ, m) != nil {
			return
		}
	}
}

// Drain reads and discards ws's messages until reading fails.
func Drain(ws *websocket.Conn) {
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}
