// Package fsm is the life cycle of one wsfsm connection as typed data,
// generated from vocab/states.yaml (the reference machine) by wsfsm/gen.
//
// The spec is the single source of truth: the State, Event, Action, Guard and
// Timer constants, the transition table (Table), the per-state timers
// (Timers), which names are built into package wsfsm (Machine), and the
// diagrams states.mmd and states.dot next to this file are all generated from
// it. There is no logic here: package engine drives these tables on
// github.com/looplab/fsm, and package wsfsm implements the built-in actions,
// guards and timers they name (wsfsm.Conn is this machine's Conn). Edit
// vocab/states.yaml and run go generate ./...; a compile-time check in states.go
// fails the build if the tables no longer match the engine or the vocabulary.
package fsm
