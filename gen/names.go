package main

import (
	"go/token"
	"regexp"
	"strings"
	"unicode"
)

// Names are deliberately narrow: only ASCII letters, digits and single
// underscores, so that no name can carry code into Go, Mermaid or DOT output.
var (
	stateNameRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	snakeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$`)
)

// maxNameLen keeps generated identifiers and diagram labels readable.
const maxNameLen = 64

// initialisms are upper-cased whole when they form a snake_case word, as Go
// style asks (start_io -> StartIO, shutdown_tcp -> ShutdownTCP).
var initialisms = map[string]bool{
	"acl": true, "api": true, "ascii": true, "cpu": true, "css": true, "dns": true,
	"eof": true, "fin": true, "guid": true, "html": true, "http": true, "https": true,
	"id": true, "io": true, "ip": true, "json": true, "rpc": true, "rst": true,
	"sql": true, "ssh": true, "tcp": true, "tls": true, "ttl": true, "udp": true,
	"ui": true, "uid": true, "uri": true, "url": true, "uuid": true, "ws": true,
	"xml": true,
}

// goName converts a spec name to an exported Go identifier: each
// underscore-separated word gets an upper-case first letter (or is upper-cased
// whole if it is an initialism); the rest of the word is kept.
func goName(s string) string {
	var b strings.Builder
	for w := range strings.SplitSeq(s, "_") {
		if w == "" {
			continue
		}
		if initialisms[strings.ToLower(w)] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// predeclared are Go's predeclared identifiers; no generated identifier may
// shadow one. (Spec names themselves may be predeclared words: event `close`
// becomes EventClose and Machine.Close, which shadow nothing.)
var predeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true,
	"complex128": true, "error": true, "float32": true, "float64": true, "int": true,
	"int8": true, "int16": true, "int32": true, "int64": true, "rune": true,
	"string": true, "uint": true, "uint8": true, "uint16": true, "uint32": true,
	"uint64": true, "uintptr": true, "true": true, "false": true, "iota": true,
	"nil": true, "append": true, "cap": true, "clear": true, "close": true,
	"complex": true, "copy": true, "delete": true, "imag": true, "len": true,
	"make": true, "max": true, "min": true, "new": true, "panic": true,
	"print": true, "println": true, "real": true, "recover": true,
}

// mermaidKeywords are the words Mermaid's state-diagram lexer, which ignores
// case, reads as keywords where a state name stands (at the start of a line
// or after "-->"): a state named like one would break states.mmd. DOT's
// keywords need no list: states.dot quotes every state name.
var mermaidKeywords = map[string]bool{
	"accdescr": true, "acctitle": true, "class": true, "classdef": true,
	"default": true, "note": true, "scale": true, "state": true,
	"statediagram": true,
}

// isGoKeyword reports whether s is a Go keyword.
func isGoKeyword(s string) bool { return token.IsKeyword(s) }

// packageNames are the exported identifiers the generated package declares
// besides the spec's own constants (a state's name, and Event, Action,
// Guard or Timer followed by an event's, action's, guard's or timer's Go
// name): no constant may take one. TestReservedNamesAreDeclared keeps the
// list equal to what the golden files declare.
var packageNames = []string{
	"Action", "Conn", "Dial", "Edge", "Event", "Events", "Extension", "Guard",
	"Initial", "Machine", "NoEvent", "NoGuard", "Options", "State", "StateTimer",
	"States", "Stats", "Step", "Table", "Timer", "Timers", "Transition",
}

// connMethods are the methods every generated Conn has from wsfsm.ConnOf,
// which it embeds (and the name of that embedded field): an event's method
// must not take one, or it would replace the Conn's own.
// TestReservedNamesAreDeclared keeps the list equal to the methods of
// *wsfsm.Conn.
var connMethods = []string{
	"Abort", "Close", "CloseWith", "Compressed", "ConnOf", "Deliver", "Done", "Err",
	"Fire", "LocalAddr", "Messages", "OutboxStats", "Receive", "ReceiveMessage",
	"Reconnect", "Send", "SendNow", "State", "Stats", "Subprotocol",
	"Unacknowledged",
}
