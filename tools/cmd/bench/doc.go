// Command bench runs wsfsm's benchmark suite beside raw gorilla/websocket in
// the same run (servers in a separate process, pinned, medians of several
// rounds) and prints the table of ratios; see docs/BENCHMARKS.md.
//
// It lives in the tools module, so that a go get of the library does not
// download its plotting dependencies. From the repository's root:
//
//	go -C tools run ./cmd/bench -quick
package main
