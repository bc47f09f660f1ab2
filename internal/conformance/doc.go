// Package conformance runs WebSocket clients against the Autobahn-compatible
// fuzzing server of package wstest/autobahn, as the field measures
// conformance: wsfsm's own echo client here, in process, and the Python
// websockets and Node ws clients through Autobahn-style harness scripts
// (peers/autobahn_client.py and .js of package interop). The five-client
// table (with raw gorilla and coder/websocket) is built by the tools module,
// which may depend on what the library must not.
package conformance
