package fsm

import _ "embed" // the generated diagrams, for programs that print them

//go:embed states.mmd
var mermaid string

//go:embed states.dot
var dot string

// Mermaid returns the state diagram (Mermaid stateDiagram-v2) that wsfsm/gen
// generated from vocab/states.yaml.
func Mermaid() string { return mermaid }

// DOT returns the same diagram in Graphviz DOT.
func DOT() string { return dot }
