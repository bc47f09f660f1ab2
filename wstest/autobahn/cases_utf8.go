package autobahn

import (
	"fmt"
	"unicode/utf8"
)

// utf8Group is one subcategory of cases 6.5 and later: sequences from
// Markus Kuhn's UTF-8 decoder stress test, each valid or not.
type utf8Group struct {
	name string
	seqs []utf8Seq
}

type utf8Seq struct {
	valid bool
	s     string
}

// utf8Groups are the sequences of Autobahn's case6_x_x.py, in its order.
func utf8Groups() []utf8Group {
	const vss = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
	v := func(ss ...string) []utf8Seq {
		out := make([]utf8Seq, len(ss))
		for i, s := range ss {
			out[i] = utf8Seq{true, s}
		}
		return out
	}
	x := func(ss ...string) []utf8Seq {
		out := make([]utf8Seq, len(ss))
		for i, s := range ss {
			out[i] = utf8Seq{false, s}
		}
		return out
	}
	var prefixes []utf8Seq
	for i := 1; i <= len(vss); i++ {
		prefixes = append(prefixes, utf8Seq{utf8.ValidString(vss[:i]), vss[:i]})
	}
	var contBytes []byte
	for b := 0x80; b < 0xbf; b++ {
		contBytes = append(contBytes, byte(b))
	}
	cont := string(contBytes)
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var b []byte
		for c := r[0]; c < r[1]; c++ {
			b = append(b, byte(c), 0x20)
		}
		lonely = append(lonely, string(b))
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	var concat string
	for _, s := range missing {
		concat += s
	}
	nonChars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []string{"\xf0", "\xf1", "\xf2", "\xf3", "\xf4"} {
		for _, z2 := range []string{"\x8f", "\x9f", "\xaf", "\xbf"} {
			if z1 == "\xf4" && z2 != "\x8f" {
				continue
			}
			for _, z3 := range []string{"\xbe", "\xbf"} {
				zz := z1 + z2 + "\xbf" + z3
				if zz != "\xf0\x8f\xbf\xbe" && zz != "\xf0\x8f\xbf\xbf" {
					nonChars = append(nonChars, zz)
				}
			}
		}
	}
	return []utf8Group{
		{"Some valid UTF-8 sequences", v("hello\x24world", "hello\xC2\xA2world", "hello\xE2\x82\xACworld", "hello\xF0\xA4\xAD\xA2world", vss)},
		{"All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes},
		{"First possible sequence of a certain length", v("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{"First possible sequence length 5/6 (invalid codepoints)", x("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{"Last possible sequence of a certain length", v("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{"Last possible sequence length 4/5/6 (invalid codepoints)", x("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{"Other boundary conditions", append(v("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), x("\xf4\x90\x80\x80")...)},
		{"Unexpected continuation bytes", x("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", cont)},
		{"Lonely start characters", x(lonely...)},
		{"Sequences with last continuation byte missing", x(missing...)},
		{"Concatenation of incomplete sequences", x(concat)},
		{"Impossible bytes", x("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{"Examples of an overlong ASCII character", x("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{"Maximum overlong sequences", x("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{"Overlong representation of the NUL character", x("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{"Single UTF-16 surrogates", x("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")},
		{"Paired UTF-16 surrogates", x("\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf")},
		{"Non-character code points (valid UTF-8)", v(nonChars...)},
		{"Unicode specials (i.e. replacement char)", v("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
}

func utf8Cases() []caseDef {
	const (
		hello = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!" // "Hello-µ@ßöäüàá-UTF-8!!"
		kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
		echo  = "The message is echo'ed back to us."
	)
	closeEcho := func(id, desc string, want string, send func(p *peer)) caseDef {
		return caseDef{id: id, desc: desc, expect: echo, open: func(r *run) {
			r.expect(OK, msg(want, false))
			r.expectedClose = fuzzerClosesNormally
			send(r.p)
			r.p.closeAfter(1)
		}}
	}
	invalid := kosme + "\xed\xa0\x80" + "edited"
	failsUTF8 := ExpectedClose{CloseCode: []int{closeInvalidData}, ClosedByWrongEndpointIsFatal: true}
	cs := []caseDef{
		closeEcho("6.1.1", "Send text message of length 0.", "", func(p *peer) { p.sendFrame(text("")) }),
		closeEcho("6.1.2", "Send fragmented text message, 3 fragments each of length 0.", "", func(p *peer) {
			p.sendFrame(fragment(opText, false, ""))
			p.sendFrame(fragment(opContinuation, false, ""))
			p.sendFrame(fragment(opContinuation, true, ""))
		}),
		closeEcho("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.", "middle frame payload", func(p *peer) {
			p.sendFrame(fragment(opText, false, ""))
			p.sendFrame(fragment(opContinuation, false, "middle frame payload"))
			p.sendFrame(fragment(opContinuation, true, ""))
		}),
		closeEcho("6.2.1", "Send a valid UTF-8 text message in one fragment.", hello, func(p *peer) { p.sendMessage([]byte(hello), false, 0) }),
		closeEcho("6.2.2", "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.", hello, func(p *peer) {
			p.sendFrame(fragment(opText, false, hello[:15]))
			p.sendFrame(fragment(opContinuation, true, hello[15:]))
		}),
		closeEcho("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.", hello, func(p *peer) {
			p.sendMessage([]byte(hello), false, 1)
		}),
		closeEcho("6.2.4", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.", kosme, func(p *peer) {
			p.sendMessage([]byte(kosme), false, 1)
		}),
	}
	for i, frag := range []int{0, 1} {
		desc := "Send invalid UTF-8 text message unfragmented."
		if frag == 1 {
			desc = "Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends."
		}
		cs = append(cs, caseDef{id: fmt.Sprintf("6.3.%d", i+1), desc: desc,
			expect: "The connection is failed immediately, since the payload is not valid UTF-8.",
			open: func(r *run) {
				r.expect(OK)
				r.expectedClose = failsUTF8
				r.p.sendMessage([]byte(invalid), false, frag)
				r.p.killAfter(1)
			}})
	}
	// 6.4.x: fail fast on invalid UTF-8, the message in 3 parts a second
	// apart; 6.4.3 and 6.4.4 send the parts as one frame's payload.
	const part2 = "\xf4\x90\x80\x80"
	full := kosme + part2 + "edited"
	parts := [][3]string{
		{kosme, part2, "edited"},
		{full[:12], full[12:13], full[13:]},
	}
	for i := range 4 {
		pt := parts[i%2]
		oneFrame := i >= 2
		desc := "Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest."
		if oneFrame {
			desc = "Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the same message frame."
		}
		if i%2 == 1 {
			desc += " Note that PART1 and PART3 are valid UTF-8 in themselves, PART2 is the first octet that makes the sequence invalid."
		}
		cs = append(cs, caseDef{id: fmt.Sprintf("6.4.%d", i+1), desc: desc,
			expect: "The connection is failed immediately, since the payload is not valid UTF-8.",
			open: func(r *run) {
				r.expect(OK, timeout("A"))
				r.expect(NonStrict, timeout("A"), timeout("B"))
				r.expectedClose = failsUTF8
				p := r.p
				send := func(k int) {
					if oneFrame {
						if k == 0 {
							p.flush()
							p.write(appendHeader(nil, finBit|opText, len(full)))
						}
						p.write([]byte(pt[k]))
						return
					}
					op := byte(opContinuation)
					if k == 0 {
						op = opText
					}
					p.sendFrame(fragment(op, k == 2, pt[k]))
				}
				send(0)
				p.later(1, func() {
					if p.state != stateOpen {
						return
					}
					r.received = append(r.received, timeout("A"))
					send(1)
					p.later(1, func() {
						if p.state != stateOpen {
							return
						}
						r.received = append(r.received, timeout("B"))
						send(2)
						p.killAfter(1)
					})
				})
			}})
	}
	for gi, g := range utf8Groups() {
		for si, s := range g.seqs {
			c := caseDef{id: fmt.Sprintf("6.%d.%d", gi+5, si+1)}
			if s.valid {
				c.desc, c.expect = "Send a text message with payload which is valid UTF-8 in one fragment.", echo
			} else {
				c.desc, c.expect = "Send a text message with payload which is not valid UTF-8 in one fragment.", "The connection is failed immediately, since the payload is not valid UTF-8."
			}
			c.desc += " (" + g.name + ")"
			c.open = func(r *run) {
				if s.valid {
					r.expect(OK, msg(s.s, false))
					r.expectedClose = fuzzerClosesNormally
				} else {
					r.expect(OK)
					r.expectedClose = failsUTF8
				}
				r.p.sendMessage([]byte(s.s), false, 0)
				r.p.killAfter(0.5)
			}
			cs = append(cs, c)
		}
	}
	return cs
}
