package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// transitionHeader heads the columns of formatTransition.
const transitionHeader = "    TIME  FROM            TO            EVENT   ATTEMPT  DELAY    CAUSE"

// formatTransition renders t as one aligned line: time since start, from ->
// to, event, attempt, the backoff delay (on entering Reconnecting) and the
// cause.
func formatTransition(start time.Time, t wsfsm.Transition) string {
	delay := "-"
	if t.To == fsm.Reconnecting {
		delay = t.Delay.Round(time.Millisecond).String()
	}
	cause := "-"
	if t.Cause != nil {
		cause = t.Cause.Error()
	}
	elapsed := fmt.Sprintf("%.3fs", t.At.Sub(start).Seconds())
	return fmt.Sprintf("%8s  %-12s -> %-12s  %-6s  %7d  %-7s  %s",
		elapsed, t.From, t.To, t.Event, t.Attempt, delay, cause)
}

// jsonTransition is one transition as a JSON line.
type jsonTransition struct {
	Type    string `json:"type"`
	At      string `json:"at"`
	From    string `json:"from"`
	To      string `json:"to"`
	Event   string `json:"event"`
	Cause   string `json:"cause"`
	Attempt int    `json:"attempt"`
	DelayMS int64  `json:"delay_ms"`
}

// jsonMessage is one received message as a JSON line; binary data is base64.
type jsonMessage struct {
	Type string `json:"type"`
	At   string `json:"at"`
	Kind string `json:"kind"`
	Data string `json:"data"`
}

// printer writes transitions and received messages for the client, from
// several goroutines: transitions go to stderr as aligned lines and messages
// to stdout as they are, or both to stdout as JSON lines.
type printer struct {
	mu         sync.Mutex
	json       bool
	stdout     io.Writer
	stderr     io.Writer
	start      time.Time
	headerDone bool
}

func (p *printer) transition(t wsfsm.Transition) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		cause := ""
		if t.Cause != nil {
			cause = t.Cause.Error()
		}
		p.writeJSON(jsonTransition{
			Type: "transition", At: t.At.Format(time.RFC3339Nano),
			From: t.From.String(), To: t.To.String(), Event: t.Event.String(),
			Cause: cause, Attempt: t.Attempt, DelayMS: t.Delay.Milliseconds(),
		})
		return
	}
	if !p.headerDone {
		fmt.Fprintln(p.stderr, transitionHeader)
		p.headerDone = true
	}
	fmt.Fprintln(p.stderr, formatTransition(p.start, t))
}

func (p *printer) message(typ wsfsm.MessageType, data []byte, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		m := jsonMessage{Type: "message", At: at.Format(time.RFC3339Nano), Kind: typ.String(), Data: string(data)}
		if typ == wsfsm.Binary {
			m.Data = base64.StdEncoding.EncodeToString(data)
		}
		p.writeJSON(m)
		return
	}
	// A message is written as it came, one per line.
	p.stdout.Write(append(data[:len(data):len(data)], '\n'))
}

// writeJSON writes v as one line; the types above always marshal.
func (p *printer) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(p.stderr, "wsfsm: %v\n", err)
		return
	}
	p.stdout.Write(append(b, '\n'))
}
