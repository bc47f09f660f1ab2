package autobahn

import (
	"bytes"
	"fmt"
)

// Profile chooses the sizes and counts of the cases of categories 9, 12
// and 13, the ones whose cost grows with them.
type Profile int

const (
	// Full is Autobahn|Testsuite's sizes and counts: messages up to 16 MiB
	// in 9.x, 1000 round trips per case in 9.7, 9.8, 12 and 13.
	Full Profile = iota
	// Quick divides the 9.x message sizes by 16 (up to 1 MiB), makes 100
	// round trips in 9.7 and 9.8 and 20 in 12 and 13: the same cases, each
	// described with its real size, for a CI run of seconds.
	Quick
)

// String names the profile.
func (p Profile) String() string {
	if p == Quick {
		return "quick"
	}
	return "full"
}

// scale is a size in this profile.
func (p Profile) scale(n int) int {
	if p == Quick {
		return max(n/16, 1)
	}
	return n
}

// rounds is a count of round trips in this profile.
func (p Profile) rounds(full, quick int) int {
	if p == Quick {
		return quick
	}
	return full
}

// size formats a byte count as Autobahn's descriptions do (64k, 4M).
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return fmt.Sprint(n)
}

// note names a size that differs from Autobahn's.
func (p Profile) note(full int) string {
	if p == Quick {
		return fmt.Sprintf(" (quick profile; Autobahn: %s)", size(full))
	}
	return ""
}

// bigEcho is the 9.1 to 9.6 cases: one large message, echoed whole. gen
// makes the message when the case runs (a Server holds no payload).
func bigEcho(id, desc string, binaryMsg bool, gen func() []byte, wait float64, send func(p *peer, data []byte)) caseDef {
	kind := "text"
	if binaryMsg {
		kind = "binary"
	}
	return caseDef{id: id, desc: desc, expect: "Receive echo'ed " + kind + " message (with payload as sent).",
		open: func(r *run) {
			r.behavior = Failed
			r.expectedClose = fuzzerClosesNormally
			r.result = fmt.Sprintf("Did not receive message within %v seconds.", wait)
			r.next = gen()
			send(r.p, r.next)
			r.p.closeAfter(wait)
		},
		message: func(r *run, data []byte, isBinary bool) {
			switch {
			case isBinary != binaryMsg:
				r.result = "Expected " + kind + " message with payload, but got the other type."
			case len(data) != len(r.next):
				r.result = fmt.Sprintf("Expected %s message with payload of length %d, but got %d.", kind, len(r.next), len(data))
			case !bytes.Equal(data, r.next):
				r.result = "Echo'ed message contents differs from what was sent."
			default:
				r.behavior = OK
				r.result = fmt.Sprintf("Received %s message of length %d.", kind, len(data))
			}
			r.p.sendClose(closeNormal, "")
		}}
}

func limitsCases(pr Profile) []caseDef {
	var cs []caseDef
	textPat, binPat := []byte("BAsd7&jh23"), []byte("\x00\xfe\x23\xfa\xf0")
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	waits := []float64{10, 10, 20, 40, 80, 100}
	for i, kind := range []string{"text", "binary"} {
		pat, op := textPat, byte(opText)
		if i == 1 {
			pat, op = binPat, opBinary
		}
		for j, full := range sizes {
			n := pr.scale(full)
			cs = append(cs, bigEcho(fmt.Sprintf("9.%d.%d", i+1, j+1),
				fmt.Sprintf("Send %s message message with payload of length %s%s.", kind, size(n), pr.note(full)),
				i == 1, func() []byte { return repeatTo(pat, n) }, waits[j],
				func(p *peer, data []byte) { p.sendFrame(frame{op: op, payload: data}) }))
		}
	}
	frags := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, kind := range []string{"text", "binary"} {
		fill := byte('*')
		if i == 1 {
			fill = 0xfe
		}
		n := pr.scale(4 << 20)
		for j, fullFrag := range frags {
			frag := pr.scale(fullFrag)
			cs = append(cs, bigEcho(fmt.Sprintf("9.%d.%d", i+3, j+1),
				fmt.Sprintf("Send fragmented %s message message with message payload of length %s%s. Sent out in fragments of %s%s.", kind, size(n), pr.note(4<<20), size(frag), pr.note(fullFrag)),
				i == 1, func() []byte { return bytes.Repeat([]byte{fill}, n) }, 100,
				func(p *peer, data []byte) { p.sendMessage(data, i == 1, frag) }))
		}
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for i, kind := range []string{"text", "binary"} {
		pat, op := textPat, byte(opText)
		if i == 1 {
			pat, op = binPat, opBinary
		}
		n := pr.scale(1 << 20)
		for j, chop := range chops {
			cs = append(cs, bigEcho(fmt.Sprintf("9.%d.%d", i+5, j+1),
				fmt.Sprintf("Send %s message message with payload of length %s%s. Sent out data in chops of %d octets.", kind, size(n), pr.note(1<<20), chop),
				i == 1, func() []byte { return repeatTo(pat, n) }, 1000,
				func(p *peer, data []byte) { p.sendFrame(frame{op: op, payload: data, chop: chop}) }))
		}
	}
	count := pr.rounds(1000, 100)
	for i, kind := range []string{"text", "binary"} {
		for j, t := range []struct {
			n    int
			wait float64
		}{{0, 60}, {16, 60}, {64, 60}, {256, 120}, {1024, 240}, {4096, 480}} {
			cs = append(cs, roundTrips(fmt.Sprintf("9.%d.%d", i+7, j+1), kind, i == 1, t.n, count, t.wait))
		}
	}
	return cs
}

// roundTrips is the 9.7 and 9.8 cases: count messages of n bytes, each
// sent once the previous one came back.
func roundTrips(id, kind string, binaryMsg bool, n, count int, wait float64) caseDef {
	op, fill := byte(opText), []byte("*")
	if binaryMsg {
		op, fill = opBinary, []byte{0xfe}
	}
	sendOne := func(r *run) {
		payload := fill
		if n == 0 {
			payload = nil
		}
		r.p.sendFrame(frame{op: op, payload: payload, length: n})
		r.count++
	}
	return caseDef{id: id,
		desc:   fmt.Sprintf("Send %d %s messages of payload size %d to measure implementation/network RTT (round trip time) / latency.", count, kind, n),
		expect: "Receive echo'ed messages (with payload as sent). Timeout case after " + fmt.Sprint(wait) + " secs.",
		open:   func(r *run) { startRounds(r, wait, sendOne) },
		message: func(r *run, data []byte, isBinary bool) {
			switch {
			case isBinary != binaryMsg || len(data) != n:
				r.behavior = Failed
				r.result = fmt.Sprintf("Echo'ed message type or length differs from what I sent (got binary = %v, payload length = %d).", isBinary, len(data))
				r.p.sendClose(closeNormal, "")
			case r.count < count:
				sendOne(r)
			default:
				r.behavior = OK
				r.result = "Ok, received all echo'ed messages in time."
				r.p.sendClose(closeNormal, "")
			}
		}}
}

// startRounds begins a round-trip case: FAILED until the last echo came
// back, a close after wait seconds, the first message.
func startRounds(r *run, wait float64, sendOne func(*run)) {
	r.behavior = Failed
	r.expectedClose = fuzzerClosesNormally
	r.result = fmt.Sprintf("Case did not finish within %v seconds.", wait)
	r.p.closeAfter(wait)
	sendOne(r)
}
