package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/closecode"
)

// closeMeaning says what code means, from the library's one table of close
// codes, with a hint where a flag of this command is the cure.
func closeMeaning(code int) string {
	m := closecode.Of(code).Meaning()
	if code == closecode.InvalidData {
		m += "; -b sends binary"
	}
	return m
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
	if ce.Code == closecode.Abnormal {
		return closecode.Of(ce.Code).Means + " (1006)"
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
