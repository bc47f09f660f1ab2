package wstest

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// stall takes the connection over once the upgrade request was read and
// never answers it, until the connection is dropped or ?for= elapses; then
// it closes TCP. The client sees a handshake that never completes.
func (r *Router) stall(w http.ResponseWriter, req *http.Request) {
	d, _ := time.ParseDuration(req.URL.Query().Get("for"))
	hj := &tracker{ResponseWriter: w, r: r}
	if _, _, err := hj.Hijack(); err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			http.Error(w, "wstest: /stall needs a server that can hijack", http.StatusInternalServerError)
		}
		return // or shut down: Hijack closed the connection
	}
	defer r.release(hj.c)
	waitKill(hj.c, d)
}

// subprotocol selects the first subprotocol the client offers that ?accept=
// lists (without ?accept=, the first one offered), tells the client which in
// a text message and then echoes.
func (r *Router) subprotocol(w http.ResponseWriter, req *http.Request) {
	var accept []string
	if q := req.URL.Query().Get("accept"); q != "" {
		for _, p := range strings.Split(q, ",") {
			if p = strings.TrimSpace(p); p != "" {
				accept = append(accept, p)
			}
		}
	}
	chosen := ""
	for _, offered := range websocket.Subprotocols(req) {
		if accept == nil || slices.Contains(accept, offered) {
			chosen = offered
			break
		}
	}
	// The router's own Subprotocols option would override the header.
	up := r.upgrader
	up.Subprotocols = nil
	var header http.Header
	if chosen != "" {
		header = http.Header{"Sec-Websocket-Protocol": {chosen}}
	}
	r.serveWith(&up, header, w, req, func(c *conn, _ *http.Request) {
		say := "subprotocol: " + chosen
		if chosen == "" {
			say = "subprotocol: none"
		}
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(say)); err != nil {
			return
		}
		echoN(c, -1)
	})
}
