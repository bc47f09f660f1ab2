// Package autobahn is a fuzzing server for WebSocket clients, compatible with
// Autobahn|Testsuite's: it speaks the fuzzing server's protocol
// (/getCaseCount, /getCaseInfo, /runCase, /getCaseStatus, /updateReports),
// so an Autobahn client harness runs against it unchanged, and it runs the
// cases of Autobahn's categories 1 to 7, 9, 10, 12 and 13 (framing, pings,
// reserved bits, opcodes, fragmentation, UTF-8, close handling, limits,
// auto-fragmentation, permessage-deflate) with Autobahn's ids, in Autobahn's
// order.
//
// Each case writes its frames with the server's own frame writer (many are
// malformed on purpose) and is judged as Autobahn judges it: the behaviour
// (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED) and the close
// behaviour apart. permessage-deflate is negotiated per case with the
// parameters the case uses. A Server keeps every agent's results; WriteReports
// writes them as Autobahn does, in JSON, with a Markdown table per category.
// RunAgent is a client harness in Go. docs/CONFORMANCE.md says how this server
// differs from Autobahn's and what wsfsm and four other clients score.
package autobahn
