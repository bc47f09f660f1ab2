package wstest

import (
	"encoding/binary"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// Frame header bits and opcodes of RFC 6455, section 5.2.
const (
	finBit  = 0x80
	rsv1Bit = 0x40

	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opReserved3    = 0x3 // a reserved non-control opcode: a client must fail
)

// rawWriteTimeout bounds each raw frame write: gorilla leaves its own
// deadlines on the connection, so every raw write sets a fresh one.
const rawWriteTimeout = 10 * time.Second

// writeFrame writes one unmasked server frame straight to the connection,
// past gorilla, which cannot send fragments on demand or invalid frames. It
// must run on the goroutine that reads with gorilla, so that nothing else
// writes at the same time (gorilla answers pings and close frames from
// inside its read calls).
func writeFrame(c *conn, first byte, payload []byte) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(rawWriteTimeout)); err != nil {
		return err
	}
	_, err := c.nc.Write(AppendServerFrame(make([]byte, 0, 10+len(payload)), first, payload))
	return err
}

// AppendServerFrame appends to dst one unmasked frame, as a server sends
// it: first is the byte of the FIN and RSV bits and the opcode (0x82 is a
// whole binary message), then the payload length in the shortest of its
// three encodings (RFC 6455, section 5.2), then payload. It checks
// nothing: a misbehaving server is what it is for.
func AppendServerFrame(dst []byte, first byte, payload []byte) []byte {
	dst = append(dst, first)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// fragments echoes every message split into n frames of nearly equal size
// (the last ones may be empty when the message is shorter than n).
func fragments(c *conn, n int) {
	for {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if writeFragmented(c, typ, msg, n) != nil {
			return
		}
	}
}

// writeFragmented writes msg as n frames: the first with the message's
// opcode, the others continuation frames, FIN on the last.
func writeFragmented(c *conn, typ int, msg []byte, n int) error {
	op := byte(opBinary)
	if typ == websocket.TextMessage {
		op = opText
	}
	size := (len(msg) + n - 1) / n
	for i := range n {
		part := msg[min(i*size, len(msg)):min((i+1)*size, len(msg))]
		first := op
		if i > 0 {
			first = opContinuation
		}
		if i == n-1 {
			first |= finBit
		}
		if err := writeFrame(c, first, part); err != nil {
			return err
		}
	}
	return nil
}

// Invalid frames of /bad-frame/KIND: the first header byte and the payload.
var badFrames = map[string]struct {
	first   byte
	payload []byte
}{
	// Valid up to the colon, then 0xC3 0x28: a lead byte without its
	// continuation byte. RFC 6455 section 8.1: the client fails with 1007.
	"utf8": {finBit | opText, []byte("wstest: invalid UTF-8: \xc3\x28")},
	// RSV1 without a negotiated extension: section 5.2, fail (1002).
	"rsv": {finBit | rsv1Bit | opText, []byte("wstest: RSV1 set")},
	// Opcode 3 is reserved: section 5.2, fail (1002).
	"opcode": {finBit | opReserved3, []byte("wstest: opcode 3")},
}

// badFrame echoes ?after= messages, writes the invalid frame KIND, then
// echoes until the client goes: a strict client fails the connection with a
// close frame, which gorilla answers.
func (r *Router) badFrame(w http.ResponseWriter, req *http.Request, kind string) {
	f, ok := badFrames[kind]
	if !ok {
		http.Error(w, "wstest: bad frame kind (utf8, rsv or opcode)", http.StatusBadRequest)
		return
	}
	after, _ := strconv.Atoi(req.URL.Query().Get("after"))
	r.serve(w, req, func(c *conn, _ *http.Request) {
		if after > 0 && !echoN(c, after) {
			return
		}
		if writeFrame(c, f.first, f.payload) != nil {
			return
		}
		echoN(c, -1)
	})
}

// sizeChunk is how much of a /size/N message is written at a time.
const sizeChunk = 64 << 10

// size sends ?count= messages of exactly n bytes, streamed in chunks so that
// a large n costs no memory, then echoes.
func (r *Router) size(w http.ResponseWriter, req *http.Request, arg string) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > MaxSize {
		http.Error(w, "wstest: bad size (0 to 1 GiB)", http.StatusBadRequest)
		return
	}
	q := req.URL.Query()
	typ, alphabet := websocket.BinaryMessage, 256
	switch q.Get("type") {
	case "", "binary":
	case "text":
		typ, alphabet = websocket.TextMessage, 26
	default:
		http.Error(w, `wstest: type is "binary" or "text"`, http.StatusBadRequest)
		return
	}
	count := 1
	if s := q.Get("count"); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 0 {
			http.Error(w, "wstest: bad count", http.StatusBadRequest)
			return
		}
	}
	r.serve(w, req, func(c *conn, _ *http.Request) {
		for range count {
			if writeSized(c, typ, alphabet, n) != nil {
				return
			}
		}
		echoN(c, -1)
	})
}

// writeSized writes one message of n bytes: byte i is i%256 for binary,
// 'a'+i%26 for text.
func writeSized(c *conn, typ, alphabet, n int) error {
	mw, err := c.ws.NextWriter(typ)
	if err != nil {
		return err
	}
	chunk := make([]byte, min(n, sizeChunk))
	for off := 0; off < n; off += len(chunk) {
		chunk = chunk[:min(len(chunk), n-off)]
		for i := range chunk {
			b := (off + i) % alphabet
			if typ == websocket.TextMessage {
				b += 'a'
			}
			chunk[i] = byte(b)
		}
		if _, err := mw.Write(chunk); err != nil {
			mw.Close()
			return err
		}
	}
	return mw.Close()
}
