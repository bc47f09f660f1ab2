package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wsfsm/wsfsm"
)

// closeMeanings says what each close code of RFC 6455 (section 7.4.1) and of
// the IANA registry means, in the words a user of the command needs.
var closeMeanings = map[int]string{
	1000: "normal closure",
	1001: "going away: the server is shutting down",
	1002: "protocol error: a frame broke RFC 6455",
	1003: "unsupported data: a message of a type the endpoint does not accept",
	1005: "no status code: the close frame carried none",
	1006: "connection closed without a close frame",
	1007: "invalid payload data: a message did not match its type, such as text that is not UTF-8; -b sends binary",
	1008: "policy violation",
	1009: "message too big",
	1010: "missing extension: the server did not negotiate an extension the client requires",
	1011: "internal error: the server hit an unexpected condition",
	1012: "service restart",
	1013: "try again later",
	1014: "bad gateway",
	1015: "TLS handshake failure",
}

// closeMeaning says what code means.
func closeMeaning(code int) string {
	if m, ok := closeMeanings[code]; ok {
		return m
	}
	switch {
	case code >= 3000 && code <= 3999:
		return "registered with IANA by a library or framework"
	case code >= 4000 && code <= 4999:
		return "private: its meaning is the application's"
	}
	return "not a defined close code"
}

// closeOf returns the peer's close frame in err's chain, or nil.
func closeOf(err error) *wsfsm.CloseError {
	var ce *wsfsm.CloseError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

// describe says why a connection ended, for a person: a close frame with
// what its code means, anything else as its error text without the
// "wsfsm: " of each wrapping layer.
func describe(err error) string {
	ce := closeOf(err)
	switch {
	case ce == nil:
		return errText(err)
	case errors.Is(err, wsfsm.ErrAttemptsExhausted):
		return "dial attempts exhausted (--max-attempts); the last cause: " + describeClose(ce)
	}
	return describeClose(ce)
}

// describeClose says what the peer's close frame (or its absence) means.
func describeClose(ce *wsfsm.CloseError) string {
	if ce.Code == 1006 {
		return closeMeanings[1006] + " (1006)" // the transport's own words
	}
	s := fmt.Sprintf("the server closed the connection with %d (%s)", ce.Code, closeMeaning(ce.Code))
	if ce.Reason != "" {
		s += ": " + strconv.Quote(ce.Reason)
	}
	return s
}

// errText is err's message without the "wsfsm: " of each wrapping layer, for
// a line that starts with it once.
func errText(err error) string {
	return strings.ReplaceAll(err.Error(), "wsfsm: ", "")
}
