// Package extend is a worked example of extending the wsfsm life cycle by
// editing YAML: states.yaml here adds a Suspended state (the application knows
// the network is down, so nothing is dialed until Resume), go generate turns it
// into package machine, and Client drives that machine over a real connection
// with the building blocks of package transport.
//
// Client follows the rules of the root package in a few lines: one goroutine
// owns the machine; dial results, reader ends, close results and timers are
// posted to it tagged with the generation of the dial that made them, and an
// event from an older generation (or for a state already left) is ignored.
// See README.md for the walkthrough.
package extend
