// Package interop starts WebSocket servers written in other languages so that
// end-to-end tests can prove wsfsm talks to peers it did not write.
//
// Two peers live in peers/: a Python server on Debian's python3-websockets
// (server.py, run with /usr/bin/python3) and a Node server on the npm package
// ws (server.js, dependencies pinned in package-lock.json). Both listen on
// 127.0.0.1 on an ephemeral port and serve the same paths:
//
//	/echo           echo every message with its type (text or binary)
//	/close/CODE     send a close frame with CODE and the reason CloseReason(CODE), finish the handshake
//	/drop-after/N   echo N messages, then drop TCP without a close frame
//	/ignore-close   echo data, never answer a close frame, never close TCP
//	/extensions     send "extensions: VALUE" (the Sec-WebSocket-Extensions answered, "" for none), then echo
//	/deflate/PATH   PATH with permessage-deflate accepted when offered (never without the prefix)
//
// Start launches a peer for one test and stops it when the test ends.
//
// Each peer also has a client (client.py, client.js) that RunClient runs
// against any URL: it offers subprotocols, trusts a certificate file, sends
// messages, receives until told or until the server ends the connection, and
// reports what it saw (messages, the close frames each way, the error, a
// refused upgrade's status) as a ClientReport. The tests here run both clients
// against every path of wstest, the server behind `wsfsm serve`.
//
// A peer whose runtime or library is missing skips the test with the command
// that installs it, except under CI=true, where it fails the test instead:
// peers/install.sh installs everything on a fresh Debian machine.
package interop
