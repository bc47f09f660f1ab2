package wstest

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// GraphQLSubprotocol is the subprotocol of the graphql-transport-ws protocol.
const GraphQLSubprotocol = "graphql-transport-ws"

// Close codes of the graphql-transport-ws protocol.
const (
	GraphQLUnauthorized  = 4401 // a message other than connection_init came first
	GraphQLForbidden     = 4403 // connection_init was refused
	GraphQLInitTimeout   = 4408 // no connection_init in time
	GraphQLTooManyInits  = 4429 // a second connection_init
	graphqlDefaultInitIn = 5 * time.Second
)

// GraphQLServer is a server speaking the graphql-transport-ws protocol as far
// as its connection handshake, on 127.0.0.1: the first message must be
// connection_init, answered with connection_ack; any other message before it
// closes the connection with 4401 Unauthorized, a second connection_init
// with 4429, none within InitTimeout with 4408. Accept may refuse the init's
// payload: then the server closes with 4403 Forbidden (after a
// connection_error message when ErrorMessage is set, as the older
// subscriptions-transport-ws protocol does). After the ack it answers ping
// with pong, subscribe with next and complete, and echoes anything else. It
// records, per connection, every message it received, in order.
type GraphQLServer struct {
	// Accept decides on connection_init's payload: nil accepts; an error
	// refuses, its text becoming the close reason. Set before the first
	// connection.
	Accept func(payload json.RawMessage) error
	// ErrorMessage sends a connection_error message before closing on a
	// refusal.
	ErrorMessage bool
	// InitTimeout bounds the wait for connection_init; 0 means 5 s.
	InitTimeout time.Duration
	// IgnoreClose makes the server never answer a close frame: it stops
	// reading and keeps TCP open until the client cuts it or Close.
	IgnoreClose bool

	srv       *httptest.Server
	upgrader  websocket.Upgrader
	mu        sync.Mutex
	conns     [][]string // messages received, per connection, in accept order
	live      map[net.Conn]struct{}
	closeNext int           // close the next acknowledged connection with this code
	quit      chan struct{} // closed by Close
	wg        sync.WaitGroup
}

// NewGraphQLServer starts a GraphQLServer; set its fields before the first
// connection, and Close it when done.
func NewGraphQLServer() *GraphQLServer {
	g := &GraphQLServer{live: map[net.Conn]struct{}{}, quit: make(chan struct{})}
	g.upgrader = websocket.Upgrader{
		Subprotocols: []string{GraphQLSubprotocol},
		CheckOrigin:  func(*http.Request) bool { return true },
	}
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(g.serve))
	g.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	g.srv.Start()
	return g
}

// URL returns the server's ws:// URL (any path).
func (g *GraphQLServer) URL() string {
	return "ws://" + strings.TrimPrefix(g.srv.URL, "http://") + "/graphql"
}

// Connections returns, per connection accepted so far, the messages it
// received, in order.
func (g *GraphQLServer) Connections() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([][]string, len(g.conns))
	for i, c := range g.conns {
		out[i] = append([]string(nil), c...)
	}
	return out
}

// DropAll cuts the TCP connection of every live connection, with no close
// frame.
func (g *GraphQLServer) DropAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for nc := range g.live {
		nc.Close()
	}
}

// CloseNextWith makes the server close the next connection it acknowledges
// with code, right after the ack.
func (g *GraphQLServer) CloseNextWith(code int) {
	g.mu.Lock()
	g.closeNext = code
	g.mu.Unlock()
}

// Close stops listening, drops every connection and waits for its handlers.
func (g *GraphQLServer) Close() {
	close(g.quit)
	g.srv.Close()
	g.DropAll()
	g.wg.Wait()
}

type graphqlMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (g *GraphQLServer) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	g.wg.Add(1)
	defer g.wg.Done()
	nc := ws.NetConn()
	g.mu.Lock()
	g.live[nc] = struct{}{}
	g.conns = append(g.conns, nil)
	index := len(g.conns) - 1
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.live, nc)
		g.mu.Unlock()
		ws.Close()
	}()
	send := func(m graphqlMessage) bool {
		b, _ := json.Marshal(m)
		return ws.WriteMessage(websocket.TextMessage, b) == nil
	}
	closeWith := func(code int, reason string) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		_ = ws.SetReadDeadline(time.Now().Add(time.Second))
		for {
			if _, _, err := ws.NextReader(); err != nil {
				return // the client's answer, or the deadline
			}
		}
	}
	if g.IgnoreClose {
		ws.SetCloseHandler(func(int, string) error {
			<-g.quit // no answer; the client cuts TCP, or the server closes
			return nil
		})
	}
	initIn := g.InitTimeout
	if initIn <= 0 {
		initIn = graphqlDefaultInitIn
	}
	_ = ws.SetReadDeadline(time.Now().Add(initIn))
	acked := false
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && !acked {
				closeWith(GraphQLInitTimeout, "Connection initialisation timeout")
			}
			return
		}
		g.mu.Lock()
		g.conns[index] = append(g.conns[index], string(data))
		g.mu.Unlock()
		var m graphqlMessage
		if json.Unmarshal(data, &m) != nil {
			closeWith(4400, "Invalid message")
			return
		}
		switch {
		case m.Type == "connection_init" && acked:
			closeWith(GraphQLTooManyInits, "Too many initialisation requests")
			return
		case m.Type == "connection_init":
			if g.Accept != nil {
				if err := g.Accept(m.Payload); err != nil {
					if g.ErrorMessage {
						p, _ := json.Marshal(map[string]string{"message": err.Error()})
						send(graphqlMessage{Type: "connection_error", Payload: p})
					}
					closeWith(GraphQLForbidden, "Forbidden")
					return
				}
			}
			acked = true
			_ = ws.SetReadDeadline(time.Time{})
			// Decide before the ack: once the client has it, a CloseNextWith
			// it prompts is for the next connection, not this one.
			g.mu.Lock()
			code := g.closeNext
			g.closeNext = 0
			g.mu.Unlock()
			if !send(graphqlMessage{Type: "connection_ack"}) {
				return
			}
			if code != 0 {
				closeWith(code, "")
				return
			}
		case !acked:
			closeWith(GraphQLUnauthorized, "Unauthorized")
			return
		case m.Type == "ping":
			send(graphqlMessage{Type: "pong"})
		case m.Type == "subscribe":
			send(graphqlMessage{ID: m.ID, Type: "next", Payload: m.Payload})
			send(graphqlMessage{ID: m.ID, Type: "complete"})
		default:
			if ws.WriteMessage(websocket.TextMessage, data) != nil {
				return
			}
		}
	}
}
