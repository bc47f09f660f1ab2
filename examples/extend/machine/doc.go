// Package machine is the wsfsm life cycle extended with a Suspended state,
// generated from ../states.yaml by wsfsm/gen: the same typed State and Event
// constants, Table, Timers, Actions/Guards/Durations interfaces and Machine as
// package github.com/wsfsm/wsfsm/fsm, plus Suspended, Suspend, Resume and the
// Actions method Park that the extension added.
//
// Every other file of this package (and states.mmd, states.dot, and the diagram
// in ../README.md) is generated: edit ../states.yaml and run go generate ./...
// from the module root.
package machine

//go:generate go run ../../../gen -spec ../states.yaml -out . -pkg machine -readme ../README.md
