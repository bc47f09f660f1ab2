// Command gen turns a state-machine spec (states.yaml) into a typed Go
// package that package wsfsm drives, plus Mermaid and Graphviz diagrams.
//
// Usage, from your own module (the generator as a Go tool):
//
//	go get -tool github.com/wsfsm/wsfsm/gen
//	//go:generate go tool gen -spec states.yaml -out . -pkg machine [-readme README.md]
//
// It writes DIR/states.go: data and types only, as stringer does (the State,
// Event, Action, Guard and Timer types with their documented constants, the
// transition, timer and `then` tables for package engine, which names are
// built into package wsfsm (package vocab), and a compile-time check that
// fails the build if the engine or the vocabulary changed since). Unless
// -conn=false, it also writes DIR/conn.go: a Conn with the whole API of
// wsfsm.Conn, Dial, one method per event the spec adds (unless internal),
// the spec's options.subprotocols as the default, and an Extension
// interface listing exactly the actions, guards and timers the spec adds
// (the compiler then lists what is left to write). -conn=false is for the
// reference machine, whose Conn is wsfsm.Conn. It writes DIR/states.mmd and
// DIR/states.dot too; with -readme, it replaces the part of that Markdown file
// between the lines <!-- BEGIN wsfsm:diagram --> and
// <!-- END wsfsm:diagram --> with the Mermaid diagram (it is an error if the
// markers are missing), and, where the file has the lines
// <!-- BEGIN wsfsm:vocabulary --> and <!-- END wsfsm:vocabulary -->, what lies
// between them with the table of the built-in vocabulary.
//
// A spec that says `extends: reference` is the reference machine (package
// vocab embeds it) plus what the spec states: new states, events, actions,
// guards and timers are added; a state or event of the reference named again
// is changed (to, doc, guard, timer and then replace; from, enter and exit
// add). Built-in actions, guards and timers need no declaration: package
// vocab declares each once, with its doc, needs and guarantees.
//
// The spec is checked before it is parsed (at most 1 MiB of UTF-8 with no
// bidirectional control characters, bounded nesting, one document) and
// parsed strictly (unknown fields, duplicate keys, wrong types, YAML syntax
// errors), then validated: names are narrow identifiers that cannot inject
// code into Go, Mermaid or DOT, state names are not Mermaid keywords (DOT
// output quotes them), no duplicates or collisions after conversion to Go
// names, exactly one initial state, every reference resolves, no ambiguous
// (event, state) pair, every state reachable, final states are left by
// nothing, `then` lists end with an unguarded event and form no cycle, the
// limits of limits.go hold, and the built-in actions, guards and timers get
// what they need (see validate_vocab.go: a state that dials has opened and
// abort, a state that starts the reader is entered only with a connection
// open, every final state runs release, release_sends follows every dial
// that opens, ...); no event the library fires takes a guard of the spec's
// own, no user action is listed before a built-in, no name is a near-typo of
// a built-in, and no name takes one the generated package or its Conn
// already has (names.go). Every problem is printed at
// once, compiler style (states.yaml:7:9: event "redial": unknown target state
// "Conecting"), and the exit status is 1 with nothing written. Output is
// deterministic; every output is written or none (temporary files, then
// renames, undone on failure); unchanged files are not rewritten.
//
// The schema is described at the top of the reference machine,
// vocab/states.yaml. -pkg must name an importable package (not _ or main).
package main
