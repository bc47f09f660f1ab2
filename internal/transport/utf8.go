package transport

import "unicode/utf8"

// utf8Stream checks a text message's bytes as they come, so that a message
// fails as soon as its bytes cannot begin valid UTF-8 (RFC 6455 8.1 lets a
// client fail the connection then; Autobahn's 6.4 cases expect it), not
// once the whole message arrived.
type utf8Stream struct {
	pend [utf8.UTFMax]byte // an incomplete rune at the end of the bytes so far
	n    int
}

// feed checks the next bytes; false: the message is not UTF-8.
func (s *utf8Stream) feed(b []byte) bool {
	for s.n > 0 && len(b) > 0 { // complete the pending rune first
		s.pend[s.n] = b[0]
		s.n++
		b = b[1:]
		if !utf8.FullRune(s.pend[:s.n]) {
			if !validStart(s.pend[:s.n]) {
				return false
			}
			continue
		}
		if r, size := utf8.DecodeRune(s.pend[:s.n]); r == utf8.RuneError && size <= 1 || size != s.n {
			return false
		}
		s.n = 0
	}
	if s.n > 0 { // b ended inside the pending rune
		return true
	}
	end := len(b) // where the incomplete rune at the end begins, if any
	for k := len(b) - 1; k >= 0 && k >= len(b)-utf8.UTFMax+1; k-- {
		if b[k] < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(b[k]) {
			if !utf8.FullRune(b[k:]) {
				end = k
			}
			break
		}
	}
	if !utf8.Valid(b[:end]) {
		return false
	}
	s.n = copy(s.pend[:], b[end:])
	return s.n == 0 || validStart(s.pend[:s.n])
}

// complete reports whether the bytes so far end on a rune boundary.
func (s *utf8Stream) complete() bool { return s.n == 0 }

// validStart reports whether p, an incomplete rune, can still become a
// valid one: its lead byte and (the only constrained one) its second byte
// are allowed, the bytes after that always are.
func validStart(p []byte) bool {
	if p[0] < 0xc2 || p[0] > 0xf4 {
		return false
	}
	if len(p) == 1 {
		return true
	}
	need := 4
	switch {
	case p[0] < 0xe0:
		need = 2
	case p[0] < 0xf0:
		need = 3
	}
	var full [utf8.UTFMax]byte
	copy(full[:], p)
	for i := len(p); i < need; i++ {
		full[i] = 0x80
	}
	r, size := utf8.DecodeRune(full[:need])
	return !(r == utf8.RuneError && size <= 1)
}
