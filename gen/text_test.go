package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// smallSpec is a valid spec whose first doc line is "up" followed by doc.
func smallSpec(doc string) string {
	return "states:\n  - name: Open\n    doc: \"up" + doc + "\"\n    initial: true\n    enter: [dial]\n" +
		"  - name: Up\n    doc: up.\n    enter: [start_reader, release_sends]\n" +
		"  - name: Closed\n    doc: done.\n    final: true\n    enter: [release]\n" +
		"events:\n  - name: opened\n    doc: open.\n    from: [Open]\n    to: Up\n" +
		"  - name: abort\n    doc: abort.\n    from: [Open, Up]\n    to: Closed\n"
}

// renderDiags renders spec and returns its diagnostics, formatted.
func renderDiags(t *testing.T, spec string) string {
	t.Helper()
	_, err := render([]byte(spec), "spec.yaml", "fsm", true)
	if err == nil {
		return ""
	}
	var dl diagList
	if !errors.As(err, &dl) {
		t.Fatalf("render: %v, want a diagList", err)
	}
	return dl.Format("spec.yaml")
}

// Every bidirectional control is refused at its position, written as is or
// as a YAML escape; characters beside them in Unicode are accepted.
func TestBidiControlsRefused(t *testing.T) {
	if got := renderDiags(t, smallSpec("")); got != "" {
		t.Fatalf("the spec without controls is refused:\n%s", got)
	}
	for r, name := range bidiControls {
		got := renderDiags(t, smallSpec(string(r)))
		want := fmt.Sprintf("spec.yaml:3:13: bidirectional control character %U (%s) is not allowed", r, name)
		if !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("%U as is: got\n%swant %s...", r, got, want)
		}
		got = renderDiags(t, smallSpec(fmt.Sprintf(`\u%04x`, r)))
		if want := "spec.yaml:3:10: state \"Open\": doc must be one line of printable text\n"; got != want {
			t.Errorf("%U as an escape: got\n%swant %s", r, got, want)
		}
	}
	for _, r := range []rune{0x061B, 0x200D, 0x2010, 0x2030, 0x202F, 0x2065, 0x206A, 'é', '→'} {
		if got := renderDiags(t, smallSpec(string(r))); got != "" {
			t.Errorf("%U is refused:\n%s", r, got)
		}
	}
}

// A hostile file full of controls gets a bounded list.
func TestBidiControlsListBounded(t *testing.T) {
	got := renderDiags(t, smallSpec(strings.Repeat("\u202e", 1000)))
	if n := strings.Count(got, "\n"); n != maxTextDiags+1 || !strings.HasSuffix(got, "spec.yaml:3:23: too many bidirectional control characters\n") {
		t.Errorf("got %d lines:\n%s", n, got)
	}
}

// Invalid UTF-8 is refused at its first byte, before the YAML library
// would replace it with U+FFFD; columns count characters.
func TestInvalidUTF8Refused(t *testing.T) {
	for in, want := range map[string]string{
		"\xff":                 "spec.yaml:3:13: invalid UTF-8 (byte 0xff)",
		"é\x80":                "spec.yaml:3:14: invalid UTF-8 (byte 0x80)", // a lone continuation byte
		"\xc0\xaf":             "spec.yaml:3:13: invalid UTF-8 (byte 0xc0)", // an overlong "/"
		"\xed\xa0\x80":         "spec.yaml:3:13: invalid UTF-8 (byte 0xed)", // a surrogate
		"→\xe2\x82":            "spec.yaml:3:14: invalid UTF-8 (byte 0xe2)", // cut short
		"\u202e\xff":           "spec.yaml:3:14: invalid UTF-8 (byte 0xff)", // reported alone
		"\\\"\r\n  \xff\u202e": "spec.yaml:4:3: invalid UTF-8 (byte 0xff)",  // after a CRLF
		"\r\xfe":               "spec.yaml:4:1: invalid UTF-8 (byte 0xfe)",  // after a lone CR
		"\\u00e9\ufffd":        "",                                          // U+FFFD itself is text
	} {
		got := renderDiags(t, smallSpec(in))
		if want == "" {
			if got != "" {
				t.Errorf("%q: got\n%s", in, got)
			}
			continue
		}
		if !strings.HasPrefix(got, want+": the spec must be UTF-8 text\n") || strings.Count(got, "\n") != 1 {
			t.Errorf("%q: got\n%swant %s", in, got, want)
		}
	}
}
