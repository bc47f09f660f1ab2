// Package wstest provides a misbehaving WebSocket server for tests, demos and
// benchmarks, in the spirit of net/http/httptest.
//
// A Server listens on 127.0.0.1 and routes by path: /echo echoes, /close/CODE
// closes with CODE, /ignore-close never answers a close frame, /drop-after/N
// cuts TCP after N messages, /silent never reads or writes, /reject/STATUS
// refuses the upgrade, /sink swallows and records messages, /ack records and
// acknowledges them (the peer of an outbox), /stall never
// answers the upgrade request, /subprotocol selects a subprotocol, /size/N
// sends a message of N bytes, /fragments/N echoes in N frames,
// /bad-frame/KIND sends an invalid frame, /ping pings and reports the pongs
// and /ping-flood sends pings back to back; /getCaseCount, /getCaseInfo,
// /runCase, /getCaseStatus and /updateReports are an Autobahn-compatible
// fuzzing server for clients (package autobahn). Paths documents each with its
// query options. Every connection it accepts can be dropped at will
// (DropAll), and Close leaves no goroutine and no file descriptor behind. A
// BlackHole accepts TCP and never answers, for handshake timeouts and
// cancelled dials.
package wstest
