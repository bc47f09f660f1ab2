package main

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// goccy/go-yaml's parser uses memory that grows with the square of the
// nesting depth (200 KB of "[" took more than 24 GB), of the number of keys
// of one block mapping (1 MiB of "k: v" lines, 169 GB), and of the number
// of documents; the 1 MiB input cap does not bound any of them. So they are
// checked twice before the parser runs:
//
//   - checkNesting scans the raw bytes once, in constant memory, before
//     anything else reads them: "[[[[...", "- - - ...", "{a: {a: ...",
//     deep indentation, a 65th key in a mapping and a second document are
//     refused without building anything.
//   - checkTokens counts the same on goccy's tokens, which the parser
//     reads, at no cost beyond the lexing that parsing needs: where the
//     byte scan reads YAML otherwise than goccy does (quotes, comments and
//     block scalars are subtle), the tokens decide. It also refuses
//     anchors, aliases and tags there: goccy nests "- !t" lines into each
//     other however they are indented. A test checks on random inputs that
//     the parser never nests more than one level deeper than it counts.
//
// Both count levels with nestTracker: each flow "[" or "{", each block
// sequence entry "- ", and each block mapping key ("k:" or "? ") opens one.

// nestTracker counts open collections. It holds at most maxNesting levels:
// opening one more fails, so its memory is constant.
type nestTracker struct {
	col   [maxNesting]int  // 1-based column of each open block level
	key   [maxNesting]bool // whether that level is a mapping key (else "- ")
	keys  [maxNesting]int  // for a key, its number in its mapping
	block int              // open block levels
	// siblings is the number of the key newLine just closed to make room
	// for the next key of the same mapping.
	siblings int
	flow     int // open flow collections
	// goccy nests "- " and "? " inside a flow collection too ("[- - - x"),
	// until the next "," or the closing bracket: dashes counts them per
	// open flow collection, inner their sum.
	dashes [maxNesting]int
	inner  int
	most   int // the greatest depth reached
	// empty is true right after a block indicator, before its value.
	empty bool
}

func (t *nestTracker) depth() int { return t.block + t.flow + t.inner }

// lineKind is what the first token of a line in block context is.
type lineKind int

const (
	lineScalar lineKind = iota // a value: it closes no level
	lineEntry                  // "- "
	lineKey                    // "k:", "? " or ": "
)

// newLine closes the levels that a line at col, of the given kind, leaves.
// YAML closes those at a greater column; at the same column a key follows a
// key and an entry follows an entry, and a key's value may be a sequence at
// the key's own column ("k:" then "- x"). goccy/go-yaml also nests a line
// at the column of an indicator that has no value yet ("- " then "k:",
// repeated, nests as deep as the file is long): afterEmpty keeps that level
// open, as goccy does, so that such nesting is counted.
func (t *nestTracker) newLine(col int, kind lineKind, afterEmpty bool) {
	if kind == lineScalar {
		return
	}
	top := t.block - 1
	for t.block > 0 {
		i := t.block - 1
		switch {
		case t.col[i] < col:
			return
		case t.col[i] > col:
		case t.key[i] == (kind == lineKey): // the next key or entry
			t.siblings = t.keys[i]
			t.block--
			return
		case t.key[i] || afterEmpty && i == top: // its value
			return
		}
		t.block--
	}
}

// push opens a block level at col, for a key or an entry, written at p. It
// fails if that is one level too many, or one key too many in a mapping.
func (t *nestTracker) push(col int, key bool, p pos) *diag {
	n := t.siblings + 1
	t.siblings = 0
	switch {
	case t.depth() >= maxNesting:
		return tooDeep(p)
	case key && n > maxKeys:
		return &diag{p, fmt.Sprintf("more than %d keys in one mapping (no mapping of a spec needs that many)", maxKeys)}
	}
	t.col[t.block], t.key[t.block], t.keys[t.block] = col, key, n
	t.block++
	t.empty = true
	t.most = max(t.most, t.depth())
	return nil
}

// open opens a flow collection at p; it fails if that is one too many.
func (t *nestTracker) open(p pos) *diag {
	if t.depth() >= maxNesting {
		return tooDeep(p)
	}
	t.flow++
	t.empty = false
	t.most = max(t.most, t.depth())
	return nil
}

// entry ends an entry of the innermost flow collection (at ",").
func (t *nestTracker) entry() {
	if t.flow > 0 {
		t.inner -= t.dashes[t.flow-1]
		t.dashes[t.flow-1] = 0
	}
}

// close closes the innermost flow collection (at "]" or "}").
func (t *nestTracker) close() {
	if t.flow > 0 {
		t.entry()
		t.flow--
	}
}

// indicator opens a level for "- " or "? " at col, written at p: a block
// level, or one in the innermost flow collection's entry.
func (t *nestTracker) indicator(col int, key bool, p pos) *diag {
	if t.flow == 0 {
		return t.push(col, key, p)
	}
	if t.depth() >= maxNesting {
		return tooDeep(p)
	}
	t.dashes[t.flow-1]++
	t.inner++
	t.most = max(t.most, t.depth())
	return nil
}

// topCol is the column of the innermost block level, 0 if none.
func (t *nestTracker) topCol() int {
	if t.block == 0 {
		return 0
	}
	return t.col[t.block-1]
}

func tooDeep(p pos) *diag {
	return &diag{p, fmt.Sprintf("nested more than %d levels deep (the reference spec needs 4)", maxNesting)}
}

// checkNesting reports where data first nests deeper than maxNesting. It
// reads data once, line by line, in constant memory, and follows YAML as
// goccy/go-yaml's scanner does where it matters: a quote or a flow
// collection starts a token only where no plain scalar is under way, "#"
// starts a comment at a token's start or after a blank, quoted scalars may
// span lines, and block scalars ("|", ">") hold text, not structure.
func checkNesting(data []byte) *diag {
	_, d := scanNesting(data)
	return d
}

// scanNesting is checkNesting; it also returns the greatest depth seen.
func scanNesting(data []byte) (most int, d *diag) {
	var s nestScan
	for line := 1; len(data) > 0 && d == nil; line++ {
		// "\n", "\r\n" and "\r" end a line, as for the YAML library.
		n := 0
		for n < len(data) && data[n] != '\n' && data[n] != '\r' {
			n++
		}
		d = s.line(data[:n], line)
		if n+1 < len(data) && data[n] == '\r' && data[n+1] == '\n' {
			n++
		}
		data = data[min(n+1, len(data)):]
	}
	return s.t.most, d
}

// nestScan is checkNesting's state between lines.
type nestScan struct {
	t     nestTracker
	quote byte // the quote of a quoted scalar that continues on the next line
	// docs counts the documents begun, by "---" or by content after none
	// or after "..."; inDoc is true inside one. goccy's memory grows with
	// the square of the number of documents, empty ones too, and a spec is
	// one.
	docs  int
	inDoc bool
	// prop is true after a tag or an anchor, before its node: goccy takes
	// the next line for that node, however it is indented ("- !t" lines
	// nest into each other), so that line closes no level.
	prop      bool
	lastDelim int // column of the last block ":", "-" or "?", as goccy keeps it
	// A block scalar's text goes on while its lines are indented past
	// scalarParent (YAML's rule) and scalarDelim (goccy's), and at least as
	// far as its first line (scalarIndent, 0 until that is read).
	inScalar                                bool
	scalarParent, scalarDelim, scalarIndent int
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// endsToken reports whether the indicator at b[i] stands alone, as "- ",
// "? " and "k: " must.
func endsToken(b []byte, i int) bool { return i+1 >= len(b) || isBlank(b[i+1]) }

func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// line scans one line (without its "\n").
func (s *nestScan) line(b []byte, line int) *diag {
	i, col := 0, 1
	// advance moves past b[i], counting columns in runes as goccy does.
	advance := func() {
		i++
		if i < len(b) && b[i]&0xC0 != 0x80 {
			col++
		}
	}
	skipQuoted := func(q byte) bool { // to just past the closing quote
		for i < len(b) && b[i] != q {
			if q == '"' && b[i] == '\\' {
				advance()
			}
			advance()
		}
		if i >= len(b) {
			return false
		}
		advance()
		return true
	}
	continued := s.quote != 0 // the line goes on with a quoted scalar
	if continued {
		if !skipQuoted(s.quote) {
			return nil
		}
		s.quote = 0
	}
	for i < len(b) && isBlank(b[i]) {
		advance()
	}
	if i == len(b) || !continued && (b[i] == '#' && !s.inScalar || b[i] == '%' && col == 1) {
		return nil // a blank, comment or directive line changes no level
	}
	marker := col == 1 && len(b) >= 3 && (string(b[:3]) == "---" || string(b[:3]) == "...") && endsToken(b, 2)
	if s.inScalar {
		if !marker && col > s.scalarParent && col > s.scalarDelim && col >= s.scalarIndent {
			if s.scalarIndent == 0 {
				s.scalarIndent = col
			}
			return nil // text of the block scalar
		}
		s.inScalar = false
	}
	if marker { // a new document starts from no level at all
		s.t, s.lastDelim, s.inDoc = nestTracker{most: s.t.most}, 0, false
		if b[0] == '-' {
			if d := s.begin(line, col); d != nil {
				return d
			}
		}
		advance()
		advance()
		advance()
	}
	// The line's first token decides which levels it closes (newLine), at
	// its indicator: "- ", "? ", or the ":" after a key.
	first := !continued && !marker && s.t.flow == 0 && !s.prop
	afterEmpty := s.t.empty
	tokStart, afterBlank, tokCol := true, true, col
	for i < len(b) {
		c := b[i]
		if isBlank(c) {
			afterBlank = true
			advance()
			continue
		}
		if c == '#' && (tokStart || afterBlank) {
			return nil
		}
		if !s.inDoc {
			if d := s.begin(line, col); d != nil {
				return d
			}
		}
		s.t.empty, s.prop = false, false // unless c is an indicator or a property
		if (c == '-' || c == '?') && tokStart && s.t.flow > 0 && endsToken(b, i) {
			if d := s.t.indicator(col, false, pos{Line: line, Col: col}); d != nil {
				return d
			}
			advance()
			continue
		}
		indicator := s.t.flow == 0 && endsToken(b, i) && (c == ':' || (c == '-' || c == '?') && tokStart)
		if indicator {
			// "- ", "? ", "k: " or ": " (an explicit key's value).
			at, key := col, c != '-'
			if c == ':' && !tokStart {
				at = tokCol
			}
			if first {
				kind := lineKey
				if c == '-' {
					kind = lineEntry
				}
				s.t.newLine(at, kind, afterEmpty)
				first = false
			}
			if d := s.t.push(at, key, pos{Line: line, Col: at}); d != nil {
				return d
			}
			s.lastDelim = col
			tokStart, afterBlank = true, false
			advance()
			continue
		}
		if first && tokStart && !keyFollows(b, i) {
			first = false // a value opens the line: it closes no level
		}
		switch {
		case (c == '\'' || c == '"') && tokStart:
			tokCol = col
			advance()
			if !skipQuoted(c) {
				s.quote = c
				return nil
			}
			// A closed quote ends its token: goccy reads what follows as
			// the start of another one.
			tokStart, afterBlank = true, false
			continue
		case (c == '[' || c == '{') && (tokStart || s.t.flow > 0):
			if d := s.t.open(pos{Line: line, Col: col}); d != nil {
				return d
			}
			first = false
		case c == ']' && (tokStart || s.t.flow > 0), c == '}' && s.t.flow > 0:
			s.t.close()
		case c == ',' && s.t.flow > 0:
			s.t.entry()
		case c == ':' && s.t.flow > 0:
			// A key of a flow collection: its level is the bracket's.
		case (c == '|' || c == '>') && tokStart && s.t.flow == 0:
			s.inScalar, s.scalarParent, s.scalarDelim, s.scalarIndent = true, s.t.topCol(), s.lastDelim, 0
			return nil
		case (c == '&' || c == '*' || c == '!') && tokStart:
			// An anchor, alias or tag: its name runs to a blank (or, in a
			// flow collection, to a flow indicator), and a token starts
			// after it.
			for i < len(b) && !isBlank(b[i]) && !(s.t.flow > 0 && isFlowIndicator(b[i])) {
				advance()
			}
			s.prop = c != '*'
			afterBlank = false
			continue
		default: // a plain scalar's character
			if tokStart {
				tokCol = col
			}
			tokStart, afterBlank = false, false
			advance()
			continue
		}
		tokStart, afterBlank = true, false
		advance()
	}
	return nil
}

// begin begins a document at line:col; only one may be.
func (s *nestScan) begin(line, col int) *diag {
	s.inDoc = true
	if s.docs++; s.docs > 1 {
		return &diag{pos{Line: line, Col: col}, "only one YAML document is allowed"}
	}
	return nil
}

// keyFollows reports whether the token starting at b[i], in block context,
// is a key: a block ":" follows it on the line, before any comment or flow
// collection.
func keyFollows(b []byte, i int) bool {
	var quote byte
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && i > 0 && isBlank(b[i-1]), c == '[', c == '{':
			return false
		case c == ':' && endsToken(b, i):
			return true
		}
	}
	return false
}

// checkTokens refuses, before goccy/go-yaml's parser runs on tokens, what
// would make it use more than linear memory: nesting deeper than maxNesting
// and mappings of more than maxKeys keys (as checkNesting counts them, on
// the tokens the parser reads), a second document, and anchors, aliases,
// merge keys and tags, which the spec does not support anyway.
func checkTokens(tokens token.Tokens) *diag {
	_, d := tokenNesting(tokens)
	return d
}

// tokenNesting is checkTokens; it also returns the greatest depth seen.
func tokenNesting(tokens token.Tokens) (most int, d *diag) {
	var t nestTracker
	var prev *token.Token // the previous token that is not a comment
	docs, inDoc, directive := 0, false, 0
	for i, tk := range tokens {
		if tk.Type == token.CommentType {
			continue
		}
		p := pos{Line: max(tk.Position.Line, 1), Col: max(tk.Position.Column, 1)}
		switch tk.Type {
		case token.AnchorType, token.AliasType, token.MergeKeyType:
			return t.most, &diag{p, "YAML anchors, aliases and merge keys are not supported"}
		case token.TagType:
			return t.most, &diag{p, "YAML tags are not supported"}
		case token.DirectiveType:
			directive = tk.Position.Line // its words follow on the line
		case token.DocumentEndType:
			inDoc = false
		default:
			// "---" begins a document, and so does content outside one.
			if tk.Type == token.DocumentHeaderType || !inDoc && tk.Position.Line != directive {
				if docs++; docs > 1 {
					return t.most, &diag{p, "only one YAML document is allowed"}
				}
				inDoc = true
			}
		}
		first := prev == nil || prev.Position.Line != tk.Position.Line
		if first && t.flow == 0 {
			kind := lineScalar
			switch {
			case tk.Type == token.SequenceEntryType:
				kind = lineEntry
			case tk.Type == token.MappingKeyType, tk.Type == token.MappingValueType, nextIsValue(tokens, i):
				kind = lineKey
			}
			t.newLine(tk.Position.Column, kind, t.empty)
		}
		var d *diag
		t.empty = false // unless tk is an indicator, which sets it again
		switch tk.Type {
		case token.DocumentHeaderType:
			t = nestTracker{most: t.most}
		case token.SequenceStartType, token.MappingStartType:
			d = t.open(p)
		case token.SequenceEndType, token.MappingEndType:
			t.close()
		case token.CollectEntryType:
			t.entry()
		case token.SequenceEntryType, token.MappingKeyType:
			d = t.indicator(tk.Position.Column, tk.Type == token.MappingKeyType, p)
		case token.MappingValueType:
			// The key is the token before, if it is on the same line.
			col, at := tk.Position.Column, p
			if !first {
				col = prev.Position.Column
				at = pos{Line: max(prev.Position.Line, 1), Col: max(col, 1)}
			}
			if t.flow == 0 {
				d = t.push(col, true, at)
			}
		}
		if d != nil {
			return t.most, d
		}
		prev = tk
	}
	return t.most, nil
}

// nextIsValue reports whether the token after tokens[i], comments aside, is
// a ":" on the same line: tokens[i] is a key.
func nextIsValue(tokens token.Tokens, i int) bool {
	for _, tk := range tokens[i+1:] {
		if tk.Type != token.CommentType {
			return tk.Type == token.MappingValueType && tk.Position.Line == tokens[i].Position.Line
		}
	}
	return false
}
