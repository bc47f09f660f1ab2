package closecode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

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
	// Means says more of what it means, in the words a person reading an
	// error needs ("" when the name says it all).
	Means string
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
	1000 - 1000: {"normal closure", "", true, true, Stop, false},
	1001 - 1000: {"going away", "the endpoint is shutting down or leaving", true, true, Again, false},
	1002 - 1000: {"protocol error", "a frame broke RFC 6455", true, true, Stop, false},
	1003 - 1000: {"unsupported data", "a message of a type the endpoint does not accept", true, true, Stop, false},
	1004 - 1000: {"reserved", "", false, false, Stop, false},
	1005 - 1000: {"no status received", "the close frame carried no code", false, false, Again, false},
	1006 - 1000: {"abnormal closure", "connection closed without a close frame", false, false, Again, false},
	1007 - 1000: {"invalid frame payload data", "a message did not match its type, such as text that is not UTF-8", true, true, Stop, false},
	1008 - 1000: {"policy violation", "", true, true, Stop, false},
	1009 - 1000: {"message too big", "", true, true, Stop, false},
	1010 - 1000: {"mandatory extension", "the server did not negotiate an extension the client requires", true, true, Stop, false},
	1011 - 1000: {"internal server error", "the server hit an unexpected condition", true, false, Again, false},
	1012 - 1000: {"service restart", "", true, false, Again, false},
	1013 - 1000: {"try again later", "", true, false, Later, false},
	1014 - 1000: {"bad gateway", "", true, false, Again, true},
	1015 - 1000: {"TLS handshake failure", "", false, false, Stop, false},
}

// Of returns code's row of the table.
func Of(code int) Info {
	switch {
	case code >= 1000 && code < 1000+len(registered):
		return registered[code-1000]
	case code >= 1016 && code <= 2999:
		return Info{Name: "reserved " + strconv.Itoa(code), Means: "reserved for future RFCs", Wire: true}
	case code >= 3000 && code <= 3999:
		return Info{Name: "registered " + strconv.Itoa(code), Means: "registered with IANA by a library or framework", Wire: true, ClientMay: true}
	case code >= 4000 && code <= 4999:
		return Info{Name: "application " + strconv.Itoa(code), Means: "private: its meaning is the application's", Wire: true, ClientMay: true, Retry: App}
	}
	return Info{Name: "invalid " + strconv.Itoa(code), Means: "not a defined close code"}
}

// Meaning is what the code means, for a person: its name, and more where
// the name does not say it all.
func (i Info) Meaning() string {
	if i.Means == "" {
		return i.Name
	}
	return i.Name + ": " + i.Means
}

// MaxReason is the most bytes a close frame's reason can take: a control
// frame's payload is at most 125 bytes, and the code takes 2.
const MaxReason = 123

// ClientMayRanges names the codes a client may send (ClientMay), as ranges
// for a person: "1000-1003, 1007-1010 or 3000-4999".
func ClientMayRanges() string {
	var ranges []string
	for lo := 0; lo <= 5000; lo++ {
		if !Of(lo).ClientMay {
			continue
		}
		hi := lo
		for Of(hi + 1).ClientMay {
			hi++
		}
		ranges = append(ranges, strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
		lo = hi
	}
	if len(ranges) < 2 {
		return strings.Join(ranges, "")
	}
	return strings.Join(ranges[:len(ranges)-1], ", ") + " or " + ranges[len(ranges)-1]
}

// CheckReason says what keeps reason out of a close frame: nil when it
// fits (at most MaxReason bytes of UTF-8).
func CheckReason(reason string) error {
	switch {
	case len(reason) > MaxReason:
		return fmt.Errorf("%d bytes, at most %d fit in a close frame", len(reason), MaxReason)
	case !utf8.ValidString(reason):
		return errors.New("not UTF-8")
	}
	return nil
}
