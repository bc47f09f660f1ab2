package transport

import (
	"testing"
	"unicode/utf8"
)

// A text message fails as soon as its bytes cannot begin valid UTF-8, not
// once it is whole (Autobahn 6.4: fail fast): the peer gets 1007 while the
// rest of the message is still to come.
func TestInvalidUTF8FailsFast(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		// Autobahn 6.4.1: the frame that makes the text invalid.
		{"frame", [][]byte{frame(false, 1, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")), frame(false, 0, []byte("\xf4\x90\x80\x80"))}},
		// Autobahn 6.4.2: the one byte that does (0x90 after 0xf4).
		{"byte", [][]byte{frame(false, 1, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4")), frame(false, 0, []byte("\x90"))}},
		// Autobahn 6.4.3: inside one frame whose payload has not all come.
		{"inside a frame", [][]byte{append([]byte{0x81, 21}, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80"...)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFDs(t)
			url, answered := peerSends(t, tc.frames...)
			l := dial(t, url, DialConfig{})
			_, errc := reader(l)
			expectAnswer(t, answered, 1007)
			recv(t, errc, "reader end")
			waitDone(t, l)
		})
	}
}

// utf8Stream agrees with utf8.Valid on every way of cutting a text.
func TestUTF8StreamAgreesWithValid(t *testing.T) {
	texts := []string{"", "hello", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf0\xa4\xad\xa2", "\xf4\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xed\xa0\x80", "\xed\x9f\xbf", "\xe0\x80\xaf", "\xe0\xa0\x80", "\xc0\xaf", "\xc2", "\xe2\x82", "\x80",
		"\xf0\x90\x80", "\xfe", "a\xf5b", "\xf0\x8f\xbf\xbf", "\xef\xbf\xbf\xf0\x9f\x98\x80x"}
	for _, s := range texts {
		for cut1 := 0; cut1 <= len(s); cut1++ {
			for cut2 := cut1; cut2 <= len(s); cut2++ {
				var st utf8Stream
				ok := st.feed([]byte(s[:cut1])) && st.feed([]byte(s[cut1:cut2])) && st.feed([]byte(s[cut2:])) && st.complete()
				if ok != utf8.ValidString(s) {
					t.Errorf("%q cut at %d, %d: stream says %v, utf8.ValidString %v", s, cut1, cut2, ok, !ok)
				}
			}
		}
	}
}
