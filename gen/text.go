package main

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// bidiControls are the Unicode characters that change the direction text is
// displayed in. In a doc line copied into a Go comment they can make the
// code a reviewer reads differ from the code the compiler reads ("Trojan
// Source", CVE-2021-42574), so a spec may not hold them anywhere.
var bidiControls = map[rune]string{
	0x061C: "ARABIC LETTER MARK",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2066: "LEFT-TO-RIGHT ISOLATE",
	0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE",
}

// maxTextDiags bounds the bidi controls listed one by one: a hostile file
// may hold hundreds of thousands.
const maxTextDiags = 10

// checkText reads the raw spec before the YAML library does, which would
// silently replace invalid UTF-8 with U+FFFD. It reports the first byte that
// is not UTF-8 (nothing after it can be trusted), or else every
// bidirectional control character, in names, docs and comments alike.
// Columns count characters, as the YAML library's positions do.
func checkText(data []byte) diagList {
	var dl diagList
	found := 0
	p := pos{Line: 1, Col: 1}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return diagList{{p, fmt.Sprintf("invalid UTF-8 (byte %#02x): the spec must be UTF-8 text", data[i])}}
		}
		if name, ok := bidiControls[r]; ok {
			found++
			switch {
			case found <= maxTextDiags:
				dl = append(dl, diag{p, fmt.Sprintf("bidirectional control character %U (%s) is not allowed: it makes text display in another order than it is stored", r, name)})
			case found == maxTextDiags+1:
				dl = append(dl, diag{p, "too many bidirectional control characters"})
			}
		}
		i += size
		// "\r\n", "\r" and "\n" end a line, as for the YAML library.
		if r == '\n' || r == '\r' && (i == len(data) || data[i] != '\n') {
			p = pos{Line: p.Line + 1, Col: 1}
		} else {
			p.Col++
		}
	}
	return dl
}

// unprintable reports whether r may not appear in a doc line, which becomes
// a Go comment: control characters (a newline would end the comment), line
// and paragraph separators, and bidirectional controls. A YAML escape
// ("\u202e") can put one there although the raw file is clean.
func unprintable(r rune) bool {
	_, bidi := bidiControls[r]
	return bidi || unicode.IsControl(r) || r == 0x2028 || r == 0x2029
}
