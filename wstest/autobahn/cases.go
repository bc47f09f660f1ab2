package autobahn

import (
	"fmt"
	"strings"
)

// The close behaviours the cases expect.
var (
	fuzzerClosesNormally = ExpectedClose{ClosedByMe: true, CloseCode: []int{closeNormal}, RequireClean: true}
	clientFails1002      = ExpectedClose{ClosedByMe: false, CloseCode: []int{closeProtocol}}
)

// echoCase sends frames and expects the given events, then a close by the
// fuzzer (Autobahn's cases 1 to 6 that expect an echo or a pong). Like the
// originals it fails the connection after wait seconds, or starts the
// closing handshake after wait seconds with closeAfter.
func echoCase(id, desc, expect string, wait float64, closeAfter bool, want []Observation, frames ...frame) caseDef {
	return caseDef{id: id, desc: desc, expect: expect, open: func(r *run) {
		r.expect(OK, want...)
		r.expectedClose = fuzzerClosesNormally
		for _, f := range frames {
			r.p.sendFrame(f)
		}
		if closeAfter {
			r.p.closeAfter(wait)
		} else {
			r.p.killAfter(wait)
		}
	}}
}

// failCase sends frames the client must fail the connection on with
// 1002; nonStrict lists what may be seen first (then NON-STRICT is an
// empty list and OK is nonStrict).
func failCase(id, desc string, ok []Observation, frames ...frame) caseDef {
	return caseDef{id: id, desc: desc, expect: "The connection is failed immediately (1002/protocol error).", open: func(r *run) {
		r.expect(OK, ok...)
		if len(ok) > 0 {
			r.expect(NonStrict)
		}
		r.expectedClose = clientFails1002
		for _, f := range frames {
			r.p.sendFrame(f)
		}
		r.p.killAfter(1)
	}}
}

func text(s string) frame        { return frame{op: opText, payload: []byte(s)} }
func binaryFrame(b []byte) frame { return frame{op: opBinary, payload: b} }
func chopped(f frame, n int) frame {
	f.chop = n
	return f
}
func synced(f frame) frame {
	f.sync = true
	return f
}
func fragment(op byte, fin bool, s string) frame {
	return frame{op: op, notFin: !fin, payload: []byte(s)}
}

func framingCases() []caseDef {
	var cs []caseDef
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	for i, kind := range []string{"text", "binary"} {
		for j, n := range sizes {
			var f frame
			var want Observation
			if i == 0 {
				f, want = text(strings.Repeat("*", n)), msg(strings.Repeat("*", n), false)
			} else {
				f, want = binaryFrame(repeatTo([]byte{0xfe}, n)), msg(string(repeatTo([]byte{0xfe}, n)), true)
			}
			wait := 1.0
			if n > 128 {
				wait = 10
			}
			cs = append(cs, echoCase(fmt.Sprintf("1.%d.%d", i+1, j+1),
				fmt.Sprintf("Send %s message with payload of length %d.", kind, n),
				"Receive echo'ed message (with payload as sent). Clean close with normal code.",
				wait, false, []Observation{want}, f))
		}
		var f frame
		var want Observation
		if i == 0 {
			f, want = text(strings.Repeat("*", 65536)), msg(strings.Repeat("*", 65536), false)
		} else {
			f, want = binaryFrame(repeatTo([]byte{0xfe}, 65536)), msg(string(repeatTo([]byte{0xfe}, 65536)), true)
		}
		cs = append(cs, echoCase(fmt.Sprintf("1.%d.8", i+1),
			fmt.Sprintf("Send %s message with payload of length 65536. Sent out data in chops of 997 octets.", kind),
			"Receive echo'ed message (with payload as sent). Clean close with normal code.",
			10, false, []Observation{want}, chopped(f, 997)))
	}
	return cs
}

func pingCases() []caseDef {
	ping := func(payload []byte) frame { return frame{op: opPing, payload: payload} }
	pongF := func(s string) frame { return frame{op: opPong, payload: []byte(s)} }
	fe125 := repeatTo([]byte{0xfe}, 125)
	cs := []caseDef{
		echoCase("2.1", "Send ping without payload.", "Pong (with empty payload) is sent in reply to Ping. Clean close with normal code.",
			1, true, []Observation{pong("")}, ping(nil)),
		echoCase("2.2", "Send ping with small text payload.", "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
			1, true, []Observation{pong("Hello, world!")}, ping([]byte("Hello, world!"))),
		echoCase("2.3", "Send ping with small binary (non UTF-8) payload.", "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
			1, true, []Observation{pong("\x00\xff\xfe\xfd\xfc\xfb\x00\xff")}, ping([]byte("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))),
		echoCase("2.4", "Send ping with binary payload of 125 octets.", "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
			1, true, []Observation{pong(string(fe125))}, ping(fe125)),
		failCase("2.5", "Send ping with binary payload of 126 octets.", nil, ping(repeatTo([]byte{0xfe}, 126))),
		echoCase("2.6", "Send ping with binary payload of 125 octets, send in octet-wise chops.", "Pong with payload echo'ed is sent in reply to Ping. Implementations must be TCP clean. Clean close with normal code.",
			2, true, []Observation{pong(string(fe125))}, chopped(ping(fe125), 1)),
	}
	for _, c := range []struct {
		id, desc string
		payload  string
	}{
		{"2.7", "Send unsolicited pong without payload. Verify nothing is received. Clean close with normal code.", ""},
		{"2.8", "Send unsolicited pong with payload. Verify nothing is received. Clean close with normal code.", "unsolicited pong payload"},
	} {
		cs = append(cs, caseDef{id: c.id, desc: c.desc, expect: "Nothing.", open: func(r *run) {
			r.expect(OK)
			r.expectedClose = fuzzerClosesNormally
			r.p.sendFrame(pongF(c.payload))
			r.p.sendClose(closeNormal, "")
			r.p.closeAfter(1)
		}})
	}
	cs = append(cs, echoCase("2.9", "Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.",
		"Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. Clean close with normal code.",
		1, true, []Observation{pong("ping payload")}, pongF("unsolicited pong payload"), ping([]byte("ping payload"))))
	for i, chop := range []int{0, 1} {
		var frames []frame
		var want []Observation
		for k := range 10 {
			s := fmt.Sprintf("payload-%d", k)
			frames = append(frames, chopped(ping([]byte(s)), chop))
			want = append(want, pong(s))
		}
		desc := "Send 10 Pings with payload."
		if chop == 1 {
			desc = "Send 10 Pings with payload. Send out octets in octet-wise chops."
		}
		cs = append(cs, echoCase(fmt.Sprintf("2.%d", 10+i), desc,
			"Pongs for our Pings with all the payloads. Note: This is not required by the Spec .. but we check for this behaviour anyway. Clean close with normal code.",
			3, true, want, frames...))
	}
	return cs
}

func reservedBitsCases() []caseDef {
	hello := "Hello, world!"
	withRSV := func(f frame, rsv byte) frame {
		f.rsv = rsv
		return f
	}
	ping := frame{op: opPing}
	echoed := []Observation{msg(hello, false)}
	return []caseDef{
		failCase("3.1", "Send small text message with RSV = 1.", nil, withRSV(text(hello), 1)),
		failCase("3.2", "Send small text message, then send again with RSV = 2, then send Ping.", echoed,
			text(hello), withRSV(text(hello), 2), ping),
		failCase("3.3", "Send small text message, then send again with RSV = 3, then send Ping. Octets are sent in frame-wise chops.", echoed,
			synced(text(hello)), synced(withRSV(text(hello), 3)), synced(ping)),
		failCase("3.4", "Send small text message, then send again with RSV = 4, then send Ping. Octets are sent in octet-wise chops.", echoed,
			chopped(text(hello), 1), chopped(withRSV(text(hello), 4), 1), chopped(ping, 1)),
		failCase("3.5", "Send small binary message with RSV = 5.", nil, withRSV(binaryFrame([]byte("\x00\xff\xfe\xfd\xfc\xfb\x00\xff")), 5)),
		failCase("3.6", "Send Ping with RSV = 6.", nil, withRSV(frame{op: opPing, payload: []byte(hello)}, 6)),
		failCase("3.7", "Send Close with RSV = 7.", nil, withRSV(frame{op: opClose}, 7)),
	}
}

func opcodeCases() []caseDef {
	hello := "Hello, world!"
	echoed := []Observation{msg(hello, false)}
	ping := frame{op: opPing}
	var cs []caseDef
	for i, base := range []byte{3, 11} {
		sub := i + 1
		kind := "non-control"
		if base == 11 {
			kind = "control"
		}
		cs = append(cs,
			failCase(fmt.Sprintf("4.%d.1", sub), fmt.Sprintf("Send frame with reserved %s Opcode = %d.", kind, base), nil,
				frame{op: base}),
			failCase(fmt.Sprintf("4.%d.2", sub), fmt.Sprintf("Send frame with reserved %s Opcode = %d and non-empty payload.", kind, base+1), nil,
				frame{op: base + 1, payload: []byte("reserved opcode payload")}),
			failCase(fmt.Sprintf("4.%d.3", sub), fmt.Sprintf("Send small text message, then send frame with reserved %s Opcode = %d, then send Ping.", kind, base+2), echoed,
				text(hello), frame{op: base + 2}, ping),
			failCase(fmt.Sprintf("4.%d.4", sub), fmt.Sprintf("Send small text message, then send frame with reserved %s Opcode = %d and non-empty payload, then send Ping.", kind, base+3), echoed,
				text(hello), frame{op: base + 3, payload: []byte(hello)}, ping),
			failCase(fmt.Sprintf("4.%d.5", sub), fmt.Sprintf("Send small text message, then send frame with reserved %s Opcode = %d and non-empty payload, then send Ping. Octets are sent in octet-wise chops.", kind, base+4), echoed,
				chopped(text(hello), 1), chopped(frame{op: base + 4, payload: []byte(hello)}, 1), chopped(ping, 1)),
		)
	}
	return cs
}

func fragmentationCases() []caseDef {
	f1, f2 := "fragment1", "fragment2"
	ping := func(s string) frame { return frame{op: opPing, payload: []byte(s)} }
	both := []Observation{msg(f1+f2, false)}
	pingBoth := []Observation{pong("ping payload"), msg(f1+f2, false)}
	cs := []caseDef{
		failCase("5.1", "Send Ping fragmented into 2 fragments.", nil,
			fragment(opPing, false, f1), fragment(opContinuation, true, f2)),
		failCase("5.2", "Send Pong fragmented into 2 fragments.", nil,
			fragment(opPong, false, f1), fragment(opContinuation, true, f2)),
		echoCase("5.3", "Send text Message fragmented into 2 fragments.", "Message is processed and echo'ed back to us.", 1, true, both,
			fragment(opText, false, f1), fragment(opContinuation, true, f2)),
		echoCase("5.4", "Send text Message fragmented into 2 fragments, octets are sent in frame-wise chops.", "Message is processed and echo'ed back to us.", 1, true, both,
			synced(fragment(opText, false, f1)), synced(fragment(opContinuation, true, f2))),
		echoCase("5.5", "Send text Message fragmented into 2 fragments, octets are sent in octet-wise chops.", "Message is processed and echo'ed back to us.", 1, true, both,
			chopped(fragment(opText, false, f1), 1), chopped(fragment(opContinuation, true, f2), 1)),
		echoCase("5.6", "Send text Message fragmented into 2 fragments, one ping with payload in-between.", "A pong is received, then the message is echo'ed back to us.", 1, true, pingBoth,
			fragment(opText, false, f1), ping("ping payload"), fragment(opContinuation, true, f2)),
		echoCase("5.7", "Send text Message fragmented into 2 fragments, one ping with payload in-between. Octets are sent in frame-wise chops.", "A pong is received, then the message is echo'ed back to us.", 1, true, pingBoth,
			synced(fragment(opText, false, f1)), synced(ping("ping payload")), synced(fragment(opContinuation, true, f2))),
		echoCase("5.8", "Send text Message fragmented into 2 fragments, one ping with payload in-between. Octets are sent in octet-wise chops.", "A pong is received, then the message is echo'ed back to us.", 1, true, pingBoth,
			chopped(fragment(opText, false, f1), 1), chopped(ping("ping payload"), 1), chopped(fragment(opContinuation, true, f2), 1)),
	}
	nonCont, hello := "non-continuation payload", "Hello, world!"
	for i, fin := range []bool{true, false} {
		finDesc := "FIN = true"
		if !fin {
			finDesc = "FIN = false"
		}
		n := 9 + 3*i
		cs = append(cs,
			failCase(fmt.Sprintf("5.%d", n), fmt.Sprintf("Send unfragmented Text Message after Continuation Frame with %s, where there is nothing to continue, sent in one chop.", finDesc), nil,
				fragment(opContinuation, fin, nonCont), text(hello)),
			failCase(fmt.Sprintf("5.%d", n+1), fmt.Sprintf("Send unfragmented Text Message after Continuation Frame with %s, where there is nothing to continue, sent in per-frame chops.", finDesc), nil,
				synced(fragment(opContinuation, fin, nonCont)), synced(text(hello))),
			failCase(fmt.Sprintf("5.%d", n+2), fmt.Sprintf("Send unfragmented Text Message after Continuation Frame with %s, where there is nothing to continue, sent in octet-wise chops.", finDesc), nil,
				chopped(fragment(opContinuation, fin, nonCont), 1), chopped(text(hello), 1)),
		)
	}
	cs = append(cs,
		failCase("5.15", "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.",
			[]Observation{msg(f1+f2, false)},
			fragment(opText, false, f1), fragment(opContinuation, true, f2), fragment(opContinuation, false, "fragment3"), fragment(opText, true, "fragment4")))
	var f16, f17 []frame
	for range 2 {
		f16 = append(f16, fragment(opContinuation, false, f1), fragment(opText, false, f2), fragment(opContinuation, true, "fragment3"))
		f17 = append(f17, fragment(opContinuation, true, f1), fragment(opText, false, f2), fragment(opContinuation, true, "fragment3"))
	}
	cs = append(cs,
		failCase("5.16", "Repeated 2x: Continuation Frame with FIN = false (where there is nothing to continue), then text Message fragmented into 2 fragments.", nil, f16...),
		failCase("5.17", "Repeated 2x: Continuation Frame with FIN = true (where there is nothing to continue), then text Message fragmented into 2 fragments.", nil, f17...),
		failCase("5.18", "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.", nil,
			fragment(opText, false, f1), fragment(opText, true, f2)),
		fiveNineteen("5.19", false), fiveNineteen("5.20", true),
	)
	return cs
}

// fiveNineteen is cases 5.19 and 5.20: a text message in 5 fragments with
// 2 pings between them, over 1 second.
func fiveNineteen(id string, sync bool) caseDef {
	frags := []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"}
	pings := []string{"pongme 1!", "pongme 2!"}
	desc := "A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal."
	if sync {
		desc += " Octets are sent in frame-wise chops."
	}
	f := func(op byte, fin bool, s string) frame {
		fr := fragment(op, fin, s)
		fr.sync = sync
		return fr
	}
	return caseDef{id: id, desc: desc,
		expect: "The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong's back the Ping's payload exactly, and echo's the payload of the fragmented message back to us.",
		open: func(r *run) {
			r.expect(OK, pong(pings[0]), pong(pings[1]), msg(strings.Join(frags, ""), false))
			r.expectedClose = fuzzerClosesNormally
			p := r.p
			p.sendFrame(f(opText, false, frags[0]))
			p.sendFrame(f(opContinuation, false, frags[1]))
			p.sendFrame(f(opPing, true, pings[0]))
			p.later(1, func() {
				p.sendFrame(f(opContinuation, false, frags[2]))
				p.sendFrame(f(opContinuation, false, frags[3]))
				p.sendFrame(f(opPing, true, pings[1]))
				p.sendFrame(f(opContinuation, true, frags[4]))
				p.closeAfter(1)
			})
		}}
}

func closeCases() []caseDef {
	after := wrongCodeFails
	closing := func(id, desc string, ec ExpectedClose, start func(p *peer)) caseDef {
		return caseDef{id: id, desc: desc, expect: "Clean close with normal code.", suppressClose: true, after: after,
			open: func(r *run) {
				r.expect(OK)
				r.expectedClose = ec
				start(r.p)
				r.p.killAfter(1)
			}}
	}
	hello := "Hello World!"
	clean := func(c ...int) ExpectedClose { return ExpectedClose{ClosedByMe: true, CloseCode: c, RequireClean: true} }
	loose := func(c ...int) ExpectedClose { return ExpectedClose{ClosedByMe: true, CloseCode: c} }
	invalidReason := []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")
	cs := []caseDef{
		echoCase("7.1.1", "Send a message followed by a close frame", "Echoed message followed by clean close with normal code.",
			1, false, []Observation{msg(hello, false)}, text(hello)),
		closing("7.1.2", "Send two close frames", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, "")
			p.sendFrame(frame{op: opClose})
		}),
		closing("7.1.3", "Send a ping after close message", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, "")
			p.sendFrame(frame{op: opPing})
		}),
		closing("7.1.4", "Send text message after sending a close frame.", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, "")
			p.sendFrame(text(hello))
		}),
		closing("7.1.5", "Send message fragment1 followed by close then fragment", clean(closeNormal), func(p *peer) {
			p.sendFrame(fragment(opText, false, "fragment1"))
			p.sendClose(closeNormal, "")
			p.sendFrame(fragment(opContinuation, true, "fragment2"))
		}),
		{id: "7.1.6", desc: "Send 256K message followed by close then a ping", expect: "Case outcome depends on implementation defined close behavior. Message and close frame are sent back to back. If the close frame is processed before the text message write is complete (as can happen in asynchronous processing models) the close frame is processed first and the text message may not be received or may only be partially recieved.",
			suppressClose: true,
			open: func(r *run) {
				r.expect(OK, msg(hello, false))
				r.expect(NonStrict)
				r.expectedClose = clean(closeNormal)
				r.p.sendFrame(frame{op: opText, payload: []byte("BAsd7&jh23"), length: 256 << 10})
				r.p.sendFrame(text(hello))
				r.p.sendClose(closeNormal, "")
				r.p.sendFrame(frame{op: opPing})
				r.p.killAfter(1)
			},
			after: func(r *run) {
				switch r.behavior {
				case OK:
					r.result = "Text message was processed before close."
				case NonStrict:
					r.result = "Close was processed before text message could be returned."
				}
				r.behavior, r.behaviorClose = Informational, Informational
			}},
		closing("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason)", clean(closeNormal), func(p *peer) {
			p.sendCloseFrame(noCode, nil, false)
		}),
		closing("7.3.2", "Send a close frame with payload length 1", loose(closeProtocol), func(p *peer) {
			p.sendCloseFrame(noCode, []byte("a"), false)
		}),
		closing("7.3.3", "Send a close frame with payload length 2 (regular close with a code)", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, "")
		}),
		closing("7.3.4", "Send a close frame with close code and close reason", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, "Hello World!")
		}),
		closing("7.3.5", "Send a close frame with close code and close reason of maximum length (123)", clean(closeNormal), func(p *peer) {
			p.sendClose(closeNormal, strings.Repeat("*", 123))
		}),
		closing("7.3.6", "Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets", loose(closeProtocol), func(p *peer) {
			p.sendCloseFrame(closeNormal, []byte(strings.Repeat("*", 124)), false)
		}),
		closing("7.5.1", "Send a close frame with invalid UTF8 payload", loose(closeProtocol, closeInvalidData), func(p *peer) {
			p.sendCloseFrame(closeNormal, invalidReason, false)
		}),
	}
	cs[0].after = after // 7.1.1 fails on a wrong code too
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, caseDef{id: fmt.Sprintf("7.7.%d", i+1), desc: fmt.Sprintf("Send close with valid close code %d", code),
			expect: "Clean close with normal or echoed code", after: after,
			open: func(r *run) {
				r.expect(OK)
				r.expectedClose = clean(closeNormal, code)
				r.p.sendCloseFrame(code, nil, false)
				r.p.killAfter(1)
			}})
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, caseDef{id: fmt.Sprintf("7.9.%d", i+1), desc: fmt.Sprintf("Send close with invalid close code %d", code),
			expect: "Clean close with protocol error code or drop TCP", after: after,
			open: func(r *run) {
				r.expect(OK)
				r.expectedClose = loose(closeProtocol)
				r.p.sendCloseFrame(code, nil, false)
				r.p.killAfter(1)
			}})
	}
	for i, code := range []int{5000, 65535} {
		cs = append(cs, caseDef{id: fmt.Sprintf("7.13.%d", i+1), desc: fmt.Sprintf("Send close with close code %d", code),
			expect: "Clean close with normal or echoed code", suppressClose: true, after: informational,
			open: func(r *run) {
				r.expect(OK)
				r.expectedClose = loose(closeNormal, code, closeProtocol)
				r.p.sendCloseFrame(code, nil, false)
				r.p.killAfter(1)
			}})
	}
	return cs
}

// autoFragmentationCase is case 10.1.1: a 64 KiB text message sent in
// frames of 1300 bytes; the client echoes it.
func autoFragmentationCase() caseDef {
	payload := strings.Repeat("*", 65536)
	return caseDef{id: "10.1.1", desc: "Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.",
		expect: "Receive echo'ed text message (with payload as sent and transmitted frame counts as expected). Clean close with normal code.",
		open: func(r *run) {
			r.expect(OK, msg(payload, false))
			r.expectedClose = fuzzerClosesNormally
			r.p.sendMessage([]byte(payload), false, 1300)
			r.p.killAfter(10)
		},
		after: func(r *run) {
			// Autobahn checks the fuzzer's own frame counts: 50
			// continuation frames and 1 text frame.
			if r.p.txFrames[opContinuation] != 65536/1300 || r.p.txFrames[opText] != 1 {
				r.behavior = Failed
				r.result = "Frames transmitted do not match what we expected."
			}
		}}
}
