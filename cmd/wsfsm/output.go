package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// transitionHeader heads the columns of formatTransition.
const transitionHeader = "    TIME  FROM            TO            EVENT   ATTEMPT  DELAY    CAUSE"

// formatTransition renders t as one aligned line: time since start, from ->
// to, event, attempt, the backoff delay (on entering Reconnecting) and the
// cause.
func formatTransition(start time.Time, t wsfsm.Transition) string {
	cause := "-"
	if t.Cause != nil {
		cause = t.Cause.Error()
	}
	return formatRow(start, t, cause)
}

// formatRow is formatTransition with the cause already rendered.
func formatRow(start time.Time, t wsfsm.Transition, cause string) string {
	delay := "-"
	if t.To == fsm.Reconnecting {
		delay = t.Delay.Round(time.Millisecond).String()
	}
	elapsed := fmt.Sprintf("%.3fs", t.At.Sub(start).Seconds())
	return fmt.Sprintf("%8s  %-12s -> %-12s  %-6s  %7d  %-7s  %s",
		elapsed, t.From, t.To, t.Event, t.Attempt, delay, cause)
}

// The lines of --json, one type each; the README documents them.
type (
	// jsonHead begins every line: what it is and when.
	jsonHead struct {
		Type string `json:"type"`
		At   string `json:"at"`
	}
	// jsonClose is the close frame of a line's cause; both nil when it
	// has none.
	jsonClose struct {
		CloseCode   *int    `json:"close_code,omitempty"`
		CloseReason *string `json:"close_reason,omitempty"`
	}
	jsonTransition struct {
		jsonHead
		From    string `json:"from"`
		To      string `json:"to"`
		Event   string `json:"event"`
		Cause   string `json:"cause"`
		Attempt int    `json:"attempt"`
		DelayMS int64  `json:"delay_ms"`
		jsonClose
	}
	jsonMessage struct {
		jsonHead
		Kind   string `json:"kind"`
		Data   string `json:"data"`
		Base64 bool   `json:"base64,omitempty"`
		Addr   string `json:"addr,omitempty"`
	}
	jsonError struct {
		jsonHead
		Error string `json:"error"`
		Exit  int    `json:"exit"`
		jsonClose
		HTTPStatus int `json:"http_status,omitempty"`
	}
	jsonWarning struct {
		jsonHead
		Warning string `json:"warning"`
	}
	jsonPeer struct {
		jsonHead
		Event string `json:"event"`
		Addr  string `json:"addr"`
		Cause string `json:"cause,omitempty"`
		jsonClose
	}
)

// closeFields is the jsonClose of err.
func closeFields(err error) jsonClose {
	if ce := closeOf(err); ce != nil {
		return jsonClose{CloseCode: &ce.Code, CloseReason: &ce.Reason}
	}
	return jsonClose{}
}

// head is the jsonHead of a line of type typ about something that happened
// at t. Called with p.mu held.
func (p *printer) head(typ string, t time.Time) jsonHead {
	return jsonHead{Type: typ, At: p.stamp(t)}
}

// catchUpWait bounds how long a received message waits for the transitions
// that came before it to be written; they are normally delivered within
// microseconds.
const catchUpWait = 100 * time.Millisecond

// printer writes everything the client reports, from several goroutines,
// through one lock: the lock is the single point where the order of the
// lines is decided, and each line's time is taken under it, so times never
// go back. Messages go to stdout; with -v, transitions go to stderr as
// aligned lines; errors and warnings go to stderr. With --json, all of them
// go to stdout as JSON lines.
type printer struct {
	json    bool
	binary  bool // -b: messages written as they are
	base64  bool // --base64: binary messages as base64 lines
	nul     bool // -0: each message followed by a NUL, newlines kept
	verbose bool
	stdout  io.Writer
	stderr  io.Writer
	start   time.Time
	redact  func(string) string

	mu         sync.Mutex
	lastAt     time.Time
	headerDone bool
	lastCause  string // of the transition just shown with -v; "" if it had none
	lastTo     fsm.State
	opens      uint64            // transitions into Open written (or held)
	changed    chan struct{}     // closed and replaced on every transition
	final      *wsfsm.Transition // the transition into the final state, held until receiving ended
	received   bool              // receiving ended: nothing will be read any more
	finished   bool              // the final line was written; nothing more is
	heldRetry  *wsfsm.Transition // an immediate retry, held until it is known to redial
	ourClose   bool              // the close handshake under way is the one we started
	lostOpen   bool              // an open connection ended; not yet said whether it is redialed

	// Messages sent, per connection (numbered by Stats().Opens), and the
	// connections that ended without the close handshake we started: what
	// was sent on those is not known to have arrived.
	sentOn map[uint64]int64
	atRisk map[uint64]bool
}

func newPrinter(cfg *clientConfig, stdout, stderr io.Writer) *printer {
	return &printer{
		json: cfg.json, binary: cfg.binary, base64: cfg.base64, nul: cfg.nul, verbose: cfg.verbose,
		stdout: stdout, stderr: stderr, start: time.Now(),
		redact:  func(s string) string { return redact(cfg.proxy, redact(cfg.url, s)) },
		lastTo:  fsm.Initial,
		changed: make(chan struct{}),
		sentOn:  make(map[uint64]int64),
		atRisk:  make(map[uint64]bool),
	}
}

// stamp returns the time of a line about something that happened at t,
// never before the previous line's, as RFC 3339 in UTC. It is computed from
// the monotonic clock, so a change of the wall clock cannot reorder lines.
func (p *printer) stamp(t time.Time) string {
	if t.Before(p.lastAt) {
		t = p.lastAt
	}
	p.lastAt = t
	return p.start.Add(t.Sub(p.start)).UTC().Format(time.RFC3339Nano)
}

// transition is the Options.OnTransition of the client.
func (p *printer) transition(t wsfsm.Transition) {
	if t.Initial() {
		return // the output shows moves; the first dial shows as its outcome
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	if h := p.heldRetry; h != nil {
		p.heldRetry = nil
		if t.From == fsm.Reconnecting && t.To.Final() {
			// The retry policy gave up on entering Reconnecting: no redial
			// happens, so -v shows none (--json keeps every transition).
			if p.json {
				p.writeTransition(*h)
			}
		} else {
			p.step(*h)
		}
	}
	if t.To == fsm.Reconnecting && t.Delay <= 0 {
		// The client never asks for an immediate redial (no Reconnect, no
		// ImmediateFirstRetry): a zero delay is one the policy is about to
		// refuse.
		p.heldRetry = &t
		return
	}
	p.step(t)
}

// step records and writes one transition. Called with p.mu held.
func (p *printer) step(t wsfsm.Transition) {
	if t.To == fsm.Open {
		p.opens++
	}
	p.lastTo = t.To
	close(p.changed)
	p.changed = make(chan struct{})
	p.account(t)
	if t.To.Final() && !p.received {
		// Messages read before the end may still be on their way to
		// Receive: they happened first, so they are written first.
		p.final = &t
		return
	}
	p.writeTransition(t)
	if t.To == fsm.Reconnecting && p.lostOpen {
		// An open connection was lost and will be dialed again: say so
		// even without -v, with what that may have cost. (Failed redials
		// are shown by -v only.)
		p.lostOpen = false
		p.warnLocked("%s; redialing in %v%s", p.redact(describe(t.Cause)), t.Delay.Round(time.Millisecond), p.lossNote(p.opens))
	}
}

// account notes how the current connection ends: only the close handshake
// we started proves the peer read what we sent before our close frame.
func (p *printer) account(t wsfsm.Transition) {
	switch {
	case t.From == fsm.Open && t.To == fsm.Closing:
		p.ourClose = errors.Is(t.Cause, wsfsm.ErrCloseRequested)
	case (t.From == fsm.Open || t.From == fsm.Closing) && t.To != fsm.Closing:
		if !(t.From == fsm.Closing && t.To == fsm.Closed && p.ourClose) {
			p.atRisk[p.opens] = true
		}
		p.ourClose, p.lostOpen = false, true
	}
}

// lossNote says how many messages sent on connection n are not known to
// have arrived, if any.
func (p *printer) lossNote(n uint64) string {
	if sent := p.sentOn[n]; sent > 0 {
		return fmt.Sprintf(" (%s sent on that connection, not known to have arrived)", plural(sent, "message"))
	}
	return ""
}

// sent counts a message that Send reported written on connection opens.
func (p *printer) sent(opens uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sentOn[opens]++
}

// unconfirmed counts the messages sent on connections that ended without
// the close handshake we started.
func (p *printer) unconfirmed() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for link := range p.atRisk {
		n += p.sentOn[link]
	}
	return n
}

func (p *printer) writeTransition(t wsfsm.Transition) {
	if p.json {
		line := jsonTransition{
			jsonHead: p.head("transition", t.At),
			From:     t.From.String(), To: t.To.String(), Event: t.Event.String(),
			Attempt: t.Attempt, DelayMS: t.Delay.Milliseconds(),
			jsonClose: closeFields(t.Cause),
		}
		if t.Cause != nil {
			line.Cause = p.redact(t.Cause.Error())
		}
		p.writeJSON(line)
		return
	}
	p.stamp(t.At)
	if !p.verbose {
		return
	}
	if !p.headerDone {
		fmt.Fprintln(p.stderr, transitionHeader)
		p.headerDone = true
	}
	cause, shown := "-", ""
	if t.Cause != nil {
		cause = p.redact(describe(t.Cause))
		shown = cause
		if cause == p.lastCause {
			cause = "(same)" // a failed dial is the cause of two transitions in a row: say it once
		}
	}
	p.lastCause = shown
	fmt.Fprintln(p.stderr, formatRow(p.start, t, cause))
}

// message writes a received message. opens is the Conn's Stats().Opens when
// Receive returned it: the transition into Open of the connection it came on
// is written first.
func (p *printer) message(typ wsfsm.MessageType, data []byte, opens uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.catchUp(opens)
	p.writeMessage(typ, data, "")
}

// clientMessage writes a message of the client at addr (-s): --json says
// which client sent it.
func (p *printer) clientMessage(typ wsfsm.MessageType, data []byte, addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeMessage(typ, data, addr)
}

// writeMessage writes a received message. Called with p.mu held.
func (p *printer) writeMessage(typ wsfsm.MessageType, data []byte, addr string) {
	if p.finished {
		return
	}
	if p.json {
		m := jsonMessage{jsonHead: p.head("message", time.Now()), Kind: typ.String(), Data: string(data), Addr: addr}
		if typ == wsfsm.Binary || !utf8.Valid(data) {
			m.Data, m.Base64 = base64.StdEncoding.EncodeToString(data), true
		}
		p.writeJSON(m)
		return
	}
	p.stamp(time.Now())
	switch {
	case p.binary:
		p.stdout.Write(data) // as websocat -b: the bytes, nothing added
	case typ == wsfsm.Binary && p.base64:
		fmt.Fprintln(p.stdout, base64.StdEncoding.EncodeToString(data))
	default:
		p.stdout.Write(oneRecord(data, p.nul))
	}
}

// oneRecord writes a message as one record of text mode, as websocat does:
// one line, its own newlines and carriage returns written as spaces; with -0
// as it is, its own NULs written as spaces, followed by a NUL.
func oneRecord(data []byte, nul bool) []byte {
	out := make([]byte, len(data)+1)
	for i, b := range data {
		if b == 0 && nul || (b == '\n' || b == '\r') && !nul {
			b = ' '
		}
		out[i] = b
	}
	if !nul {
		out[len(data)] = '\n'
	}
	return out
}

// catchUp waits, bounded by catchUpWait, until the transitions into Open of
// the first opens connections were written: OnTransition delivers them on a
// goroutine of its own, a moment after they happened, while a message read
// on the new connection may already be here. Called with p.mu held.
func (p *printer) catchUp(opens uint64) {
	deadline := time.Now().Add(catchUpWait)
	for p.opens < opens && !p.lastTo.Final() && !p.finished {
		wait := time.Until(deadline)
		if wait <= 0 {
			return
		}
		changed := p.changed
		p.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		}
		t.Stop()
		p.mu.Lock()
	}
}

// receiveEnded says nothing more will be received: the transition into the
// final state, if it came, is written now.
func (p *printer) receiveEnded() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.received = true
	if p.final != nil && !p.finished {
		p.writeTransition(*p.final)
		p.final = nil
	}
}

// warn writes a warning that does not end the run. opens is the Conn's
// Stats().Opens when it arose, as for message.
func (p *printer) warn(opens uint64, format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.catchUp(opens)
	if p.finished {
		return
	}
	p.warnLocked(format, a...)
}

// warnLocked is warn with p.mu held and nothing to wait for.
func (p *printer) warnLocked(format string, a ...any) {
	text := p.redact(fmt.Sprintf(format, a...))
	if p.json {
		p.writeJSON(jsonWarning{jsonHead: p.head("warning", time.Now()), Warning: text})
		return
	}
	p.stamp(time.Now())
	fmt.Fprintf(p.stderr, "wsfsm: %s\n", text)
}

// peer reports what happens to the listener of -s: "listening" on addr,
// a client from addr "connected" or "disconnected" (with why). The address
// it listens on is always said (on stderr, as websocat does); clients come
// and go on stderr with -v; --json writes every one as a "peer" line.
func (p *printer) peer(event, addr string, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.peerLocked(event, addr, cause)
}

func (p *printer) peerLocked(event, addr string, cause error) {
	if p.finished {
		return
	}
	if p.json {
		line := jsonPeer{jsonHead: p.head("peer", time.Now()), Event: event, Addr: addr, jsonClose: closeFields(cause)}
		if cause != nil {
			line.Cause = describe(cause)
		}
		p.writeJSON(line)
		return
	}
	p.stamp(time.Now())
	switch {
	case event == "listening":
		fmt.Fprintf(p.stderr, "wsfsm: listening on ws://%s/; Ctrl-C stops\n", addr)
	case !p.verbose:
	case cause != nil:
		fmt.Fprintf(p.stderr, "wsfsm: client %s %s: %s\n", addr, event, describe(cause))
	default:
		fmt.Fprintf(p.stderr, "wsfsm: client %s %s\n", addr, event)
	}
}

// clientEnded reports that client id of -s disconnected; clean says it
// answered the close handshake we started, which proves it read everything
// sent to it before.
func (p *printer) clientEnded(id uint64, addr string, clean bool, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if clean {
		cause = nil
	} else {
		p.atRisk[id] = true
	}
	p.peerLocked("disconnected", addr, cause)
	if note := p.lossNote(id); note != "" && !clean && !p.finished {
		p.warnLocked("client %s disconnected: %s%s", addr, describe(cause), note)
	}
}

// finish writes what is still held and, when err is not nil, the final
// error line with the exit status; nothing is written after it.
func (p *printer) finish(err error, exit int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.received = true
	if p.heldRetry != nil {
		p.step(*p.heldRetry)
		p.heldRetry = nil
	}
	if p.final != nil {
		p.writeTransition(*p.final)
		p.final = nil
	}
	if exit == exitFail && p.opens > 0 {
		if note := p.lossNote(p.opens); note != "" && p.atRisk[p.opens] {
			p.warnLocked("%s", strings.TrimSuffix(strings.TrimPrefix(note, " ("), ")"))
		}
	}
	p.finished = true
	if err == nil {
		return
	}
	text := p.redact(describe(err))
	if !p.json {
		fmt.Fprintf(p.stderr, "wsfsm: %s\n", text)
		return
	}
	line := jsonError{jsonHead: p.head("error", time.Now()), Error: text, Exit: exit, jsonClose: closeFields(err)}
	var he *wsfsm.HandshakeError
	if errors.As(err, &he) {
		line.HTTPStatus = he.StatusCode
	}
	p.writeJSON(line)
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
