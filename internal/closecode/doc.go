// Package closecode is the one table of WebSocket close codes (RFC 6455
// 7.4 and the IANA registry) that the library reads: what each code means,
// whether it may appear in a close frame, whether a client may send it, and
// what it says about dialing again. The transport, the retry policy and the
// root package all ask it; none keeps a list of its own.
package closecode
