package graphql

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/wsfsm/wsfsm"
)

// Handshake implements Extension: the graphql-transport-ws connection
// handshake, run on every new connection before anything else.
type Handshake struct {
	// Payload is connection_init's payload (a token, say); nil for none.
	Payload json.RawMessage
	// Timeout bounds the wait for connection_ack (timer ack_timeout);
	// 0 means 10 s.
	Timeout time.Duration
}

// RejectedError is the server's connection_error: it refused the init.
type RejectedError struct{ Payload json.RawMessage }

func (e *RejectedError) Error() string { return "graphql: init refused: " + string(e.Payload) }

// Classify is an Options.Classify hook: a refused init stops the Conn
// (close code 4403 stops by default, being in 4000-4999).
func Classify(err error) wsfsm.Verdict {
	if re := (*RejectedError)(nil); errors.As(err, &re) {
		return wsfsm.Stop
	}
	return wsfsm.Default
}

type message struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

var pong = []byte(`{"type":"pong"}`)

// SendInit sends connection_init on the new connection, then reads it until
// connection_ack (answering pings), which fires acknowledged. An error ends
// the connection (abort), classified like any other.
func (h *Handshake) SendInit(s *Step) {
	s.Go(func(ctx context.Context) error {
		init, err := json.Marshal(message{Type: "connection_init", Payload: h.Payload})
		if err != nil {
			return err
		}
		if err := s.Send(ctx, wsfsm.Text, init); err != nil {
			return err
		}
		for {
			_, data, err := s.Receive(ctx)
			if err != nil {
				return err
			}
			var m message
			if err := json.Unmarshal(data, &m); err != nil {
				return err
			}
			switch m.Type {
			case "connection_ack":
				s.Fire(EventAcknowledged, nil)
				return nil
			case "connection_error":
				return &RejectedError{Payload: m.Payload}
			case "ping":
				_ = s.Send(ctx, wsfsm.Text, pong) // a failed write ends the read too
			}
		}
	})
}

// AckTimeout is the duration of timer ack_timeout: Timeout, or 10 s.
func (h *Handshake) AckTimeout() time.Duration { return cmp.Or(h.Timeout, 10*time.Second) }
