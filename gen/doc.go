// Command gen turns a state-machine spec (states.yaml) into a typed Go
// package over github.com/looplab/fsm, plus Mermaid and Graphviz diagrams.
//
// Usage:
//
//	go run ./gen -spec states.yaml -out fsm [-pkg fsm] [-readme README.md]
//	go run github.com/wsfsm/wsfsm/gen@VERSION -spec states.yaml -out fsm
//
// It writes DIR/states.go and DIR/machine.go (State and Event types, the
// transition and timer tables, the Actions, Guards and Durations interfaces,
// and Machine, a typed wrapper over *looplab/fsm.FSM), DIR/states.mmd and
// DIR/states.dot. With -readme, it replaces the part of that Markdown file
// between the lines <!-- BEGIN wsfsm:diagram --> and
// <!-- END wsfsm:diagram --> with the Mermaid diagram; it is an error if the
// markers are missing.
//
// The spec is parsed strictly (unknown fields, duplicate keys, wrong types,
// YAML syntax errors) and then validated: names are narrow identifiers that
// cannot inject code into Go, Mermaid or DOT, state names are not Mermaid
// keywords (DOT output quotes them), no duplicates or collisions after
// conversion to Go names, exactly one initial state, every reference
// resolves, no ambiguous (event, state) pair, every state reachable, final
// states are left by nothing, `then` lists end with an unguarded event and
// form no cycle. Every problem is printed at once, compiler style
// (states.yaml:7:9: event "redial": unknown target state "Conecting"), and
// the exit status is 1 with nothing written. Output is deterministic and
// each file is replaced atomically (temporary file and rename); unchanged
// files are not rewritten.
//
// The schema is described at the top of the repository's states.yaml.
package main
