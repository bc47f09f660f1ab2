// Package vocab declares the built-in actions, guards, timers and events that
// package wsfsm implements, so that a machine written in YAML can compose them.
//
// Each built-in is declared once, in the tables of this file: its name in
// YAML, its doc line, what it needs, what it fires and what it guarantees.
// Everything else derives from them: the generator's checks and messages,
// the docs of generated code, the names a spec may not take, and the dispatch
// of package wsfsm (a table indexed by these constants, which a compile-time
// check keeps complete). A spec that names `dial`, `start_reader` or
// `may_retry` gets the library's implementation without declaring it; any
// other name is the user's, and the generated package asks for it in its
// Extension interface. Generated code records, in a [Binding], which of its
// names are built in.
//
// The reference machine, the one package wsfsm's Conn is, is [Reference]:
// the file states.yaml of this package. A spec that says `extends: reference`
// states only what it adds to it.
package vocab
