// Package handshake is a hostile machine for the runtime's tests (issue 17),
// generated from states.yaml: no handshake_timeout and no close_timeout, and
// a handshake state whose action reads while close or proceed may leave it.
package handshake

//go:generate go run ../../../gen -spec states.yaml -out . -pkg handshake
