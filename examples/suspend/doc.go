// Package suspend is the wsfsm life cycle extended with a Suspended state, by
// YAML alone: states.yaml adds the state, the events suspend and resume, and
// nothing else, so this package is entirely generated (states.go, conn.go and
// the diagrams): a Conn with every method of wsfsm.Conn plus Suspend and
// Resume. See README.md.
package suspend

//go:generate go run ../../gen -spec states.yaml -out . -pkg suspend -readme README.md
