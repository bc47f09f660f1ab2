// Package graphql is the wsfsm life cycle extended with the connection
// handshake of the graphql-transport-ws protocol: states.yaml adds an
// Authenticating state between Connecting and Open, handshake.go implements
// what it adds (the action send_init and the timer ack_timeout), and the rest
// (states.go, conn.go, the diagrams) is generated. See README.md.
package graphql

//go:generate go run ../../gen -spec states.yaml -out . -pkg graphql -readme README.md
