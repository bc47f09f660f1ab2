// Command conformance builds wsfsm's conformance table: it runs the
// Autobahn-compatible fuzzing server of package wstest/autobahn on
// 127.0.0.1 and, one after the other, five echo clients against every case:
// wsfsm's, raw gorilla/websocket's, coder/websocket's, Python websockets'
// and Node ws's (the last two through their Autobahn-style harness scripts in
// internal/interop/peers). It writes the reports (index.json, one JSON file
// per case, report.md) to -out and prints the per-category table in
// Markdown, with how long each client took.
//
//	go -C tools run ./cmd/conformance -profile full -out /tmp/autobahn
package main
