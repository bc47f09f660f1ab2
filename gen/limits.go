package main

// The limits of a spec, in one place. Each exists because something
// downstream needs it: past a limit the generator refuses the spec with a
// positioned error rather than use unbounded memory or emit code that does
// not compile.
const (
	// maxSpecBytes bounds the input, and with it the work of every stage.
	maxSpecBytes = 1 << 20

	// maxNesting bounds how deeply collections nest, as nestTracker counts
	// levels (each flow "[" or "{", each block "- ", "? " and "key:"). The
	// YAML parser's memory grows with the square of the depth; a real spec
	// nests 5 levels (the spec, states, a state, its timer, a value).
	maxNesting = 32
)
