// Package closecode is the one table of WebSocket close codes (RFC 6455
// 7.4 and the IANA registry) that the library reads: what each code means,
// whether it may appear in a close frame, whether a client may send it, and
// what it says about dialing again. The transport, the retry policy and the
// root package all ask it; none keeps a list of its own.
package closecode

import "strconv"

// Codes the library names.
const (
	Normal        = 1000 // the purpose of the connection was fulfilled
	GoingAway     = 1001 // the endpoint is going away
	ProtocolError = 1002 // a protocol error
	NoStatus      = 1005 // the close frame carried no code (never sent)
	Abnormal      = 1006 // TCP closed without a close frame (never sent)
	InvalidData   = 1007 // a text message that is not UTF-8
	TooBig        = 1009 // a message too big to process
	InternalError = 1011 // an unexpected condition
	TryAgainLater = 1013 // the server is overloaded: come back later
	BadGateway    = 1014 // a gateway got an invalid response upstream
)

// Retry is what a close code says about dialing again.
type Retry uint8

// What a code says about dialing again.
const (
	// Stop: do not dial again.
	Stop Retry = iota
	// Again: dial again after the usual delay.
	Again
	// Later: dial again after a longer delay (1013).
	Later
	// App: the application decides (4000-4999).
	App
)

// Info is one row of the table.
type Info struct {
	// Name is what the code means, as the registry names it.
	Name string
	// Wire: the code may appear in a close frame. The others (below 1000,
	// 1004-1006, 1015, above 4999) go out as an empty close frame (1005).
	Wire bool
	// ClientMay: RFC 6455 (section 7.4.1) lets a client send it, so
	// CloseWith does: 1000-1003 and 1007-1010 for either endpoint, 3000-4999
	// for libraries and applications (1004 is reserved, 1005, 1006 and 1015
	// never go on the wire, 1011-1014 are a server's).
	ClientMay bool
	// Retry: what the code says about dialing again.
	Retry Retry
	// GorillaRefuses: gorilla/websocket v1.5.3 answers it with 1002 "bad
	// close code" although it is registered, so the transport's frame guard
	// hands it to gorilla as 1011 and restores it (1014 only).
	GorillaRefuses bool
}

// registered are the codes of RFC 6455 and of the IANA registry, 1000-1015.
var registered = [...]Info{
	1000 - 1000: {"normal closure", true, true, Stop, false},
	1001 - 1000: {"going away", true, true, Again, false},
	1002 - 1000: {"protocol error", true, true, Stop, false},
	1003 - 1000: {"unsupported data", true, true, Stop, false},
	1004 - 1000: {"reserved", false, false, Stop, false},
	1005 - 1000: {"no status received", false, false, Again, false},
	1006 - 1000: {"abnormal closure", false, false, Again, false},
	1007 - 1000: {"invalid frame payload data", true, true, Stop, false},
	1008 - 1000: {"policy violation", true, true, Stop, false},
	1009 - 1000: {"message too big", true, true, Stop, false},
	1010 - 1000: {"mandatory extension", true, true, Stop, false},
	1011 - 1000: {"internal server error", true, false, Again, false},
	1012 - 1000: {"service restart", true, false, Again, false},
	1013 - 1000: {"try again later", true, false, Later, false},
	1014 - 1000: {"bad gateway", true, false, Again, true},
	1015 - 1000: {"TLS handshake failure", false, false, Stop, false},
}

// Of returns code's row of the table.
func Of(code int) Info {
	switch {
	case code >= 1000 && code < 1000+len(registered):
		return registered[code-1000]
	case code >= 1016 && code <= 2999:
		return Info{Name: "reserved " + strconv.Itoa(code), Wire: true}
	case code >= 3000 && code <= 3999:
		return Info{Name: "registered " + strconv.Itoa(code), Wire: true, ClientMay: true}
	case code >= 4000 && code <= 4999:
		return Info{Name: "application " + strconv.Itoa(code), Wire: true, ClientMay: true, Retry: App}
	}
	return Info{Name: "invalid " + strconv.Itoa(code)}
}
