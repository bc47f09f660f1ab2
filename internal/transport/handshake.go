package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// offer is what a dial asked for in its upgrade request: the subprotocols,
// and permessage-deflate as gorilla offers it ("permessage-deflate;
// server_no_context_takeover; client_no_context_takeover").
type offer struct {
	subprotocols []string
	deflate      bool
}

// checkUpgrade checks the subprotocol and the extensions of a 101 response
// against what was offered, which gorilla does not do: RFC 6455 section
// 4.1 has the client fail the connection on a subprotocol or an extension
// it did not offer, RFC 7692 section 7 on a permessage-deflate parameter it
// did not offer or that is not defined. It returns why the response is
// invalid ("" if it is not), and the Sec-WebSocket-Extensions value gorilla
// must see: "" (none), or the accepted permessage-deflate with
// client_no_context_takeover added when the server left it out. The client
// compresses without context takeover whatever the server says (it may,
// RFC 7692 7.1.1.2), but gorilla refuses a response without the parameter.
func checkUpgrade(h http.Header, o offer) (reason, ext string) {
	if p := strings.Join(h.Values(protocolHeader), ","); p != "" {
		if !slices.Contains(o.subprotocols, strings.TrimSpace(p)) {
			return fmt.Sprintf("subprotocol %q was not offered (offered: %q)", p, o.subprotocols), ""
		}
	}
	for _, v := range h.Values(extensionsHeader) {
		for _, e := range strings.Split(v, ",") {
			if strings.TrimSpace(e) == "" {
				continue
			}
			params := strings.Split(e, ";")
			name := strings.TrimSpace(params[0])
			switch {
			case !strings.EqualFold(name, "permessage-deflate"):
				return fmt.Sprintf("extension %q was not offered", name), ""
			case !o.deflate:
				return "extension permessage-deflate was not offered", ""
			case ext != "":
				return "permessage-deflate accepted twice", ""
			}
			if reason := checkDeflateParams(params[1:]); reason != "" {
				return reason, ""
			}
			ext = strings.TrimSpace(e)
			if !slices.ContainsFunc(params[1:], func(p string) bool {
				return strings.EqualFold(strings.TrimSpace(p), "client_no_context_takeover")
			}) {
				ext += "; client_no_context_takeover"
			}
		}
	}
	return "", ext
}

// checkDeflateParams checks the parameters of the permessage-deflate the
// server accepted (RFC 7692 section 7.1) against gorilla's offer.
func checkDeflateParams(params []string) string {
	seen := map[string]bool{}
	for _, p := range params {
		name, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if seen[name] {
			return "permessage-deflate parameter " + name + " given twice"
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasVal {
				return "permessage-deflate parameter " + name + " has a value"
			}
		case "server_max_window_bits":
			// The server's window: any size inflates.
			if n, err := strconv.Atoi(val); err != nil || n < 8 || n > 15 {
				return fmt.Sprintf("permessage-deflate parameter server_max_window_bits=%q is not 8 to 15", val)
			}
		case "client_max_window_bits":
			// The client did not offer it: the server cannot ask for a
			// smaller window than the 32 KiB gorilla compresses with.
			return "permessage-deflate parameter client_max_window_bits was not offered"
		default:
			return fmt.Sprintf("permessage-deflate parameter %q is not defined (RFC 7692)", name)
		}
	}
	if !seen["server_no_context_takeover"] {
		// gorilla inflates each message on its own.
		return "permessage-deflate without server_no_context_takeover, which was asked for: gorilla cannot inflate with context takeover"
	}
	return ""
}

// badUpgrade is a 101 response that checkUpgrade refused.
type badUpgrade struct {
	reason string
	header http.Header
}

func (e *badUpgrade) Error() string { return e.reason }

// headCheck checks the handshake response before gorilla parses it: it
// holds the response's head until it is whole (the frame guard below it
// bounds its size), checks it (checkUpgrade) and hands gorilla the head
// with its Sec-WebSocket-Extensions as checkUpgrade says, then the bytes
// that followed. It reads the wire through r. The wireConn gorilla reads
// runs it until it has handed all that over (see wireConn.readHead), then
// drops it: an idle reader waits one frame less deep.
//
// It also holds gorilla's request until the response is read (see
// wireConn.WriteByte): the request's bytes go out in one write before the
// first read, and the array that held them then holds the response's head.
type headCheck struct {
	r     io.Reader
	offer offer
	done  bool
	req   []byte // the request, written before the first read (see wireConn.Write)
	buf   []byte // bytes to hand gorilla before reading more
	err   error  // the error to return once buf is empty
}

// reqBufSize is the first size of headCheck.req: a handshake request (and
// then the response's head, read into the same array) usually fits.
const reqBufSize = 512

// keep holds p, a part of the request.
func keep[T []byte | string](h *headCheck, p T) {
	if h.req == nil {
		h.req = make([]byte, 0, max(reqBufSize, len(p)))
	}
	h.req = append(h.req, p...)
}

func (h *headCheck) Read(p []byte) (int, error) {
	if !h.done {
		h.fill()
	}
	if len(h.buf) > 0 {
		n := copy(p, h.buf)
		h.buf = h.buf[n:]
		if len(h.buf) == 0 {
			h.buf = nil // the head's bytes go
		}
		return n, nil
	}
	if h.err != nil {
		return 0, h.err
	}
	return h.r.Read(p)
}

// over reports whether the check has nothing more to hand over: from then
// on its Read only passes reads on.
func (h *headCheck) over() bool { return h.done && len(h.buf) == 0 && h.err == nil }

// fill reads the head whole and prepares what gorilla reads.
func (h *headCheck) fill() {
	h.done = true
	// The head is read straight into h.buf (the request's array, written
	// already), grown as it fills: a head is a few hundred bytes, and every
	// byte allocated here is garbage once gorilla has read it, left among
	// the connection's long-lived objects.
	end := headEnd(h.buf)
	for end < 0 {
		if len(h.buf) == cap(h.buf) {
			h.buf = slices.Grow(h.buf, max(512, len(h.buf)))
		}
		n, err := h.r.Read(h.buf[len(h.buf):cap(h.buf)])
		h.buf = h.buf[:len(h.buf)+n]
		end = headEnd(h.buf)
		if err != nil && end < 0 {
			h.err = err // gorilla gets what came, then the error
			return
		}
	}
	head, rest := h.buf[:end], h.buf[end:]
	if !namesChecked(head) {
		return // nothing to check or rewrite: gorilla reads the head as it came
	}
	tp := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(head), len(head))) // no line is longer
	status, err := tp.ReadLine()
	if err != nil || !strings.HasPrefix(status, "HTTP/1.") || !strings.HasPrefix(status[min(len(status), 9):], "101") {
		return // not an upgrade: gorilla reports it
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		return // gorilla reports it
	}
	hdr := http.Header(mh)
	reason, ext := checkUpgrade(hdr, h.offer)
	if reason != "" {
		h.buf, h.err = nil, &badUpgrade{reason: reason, header: hdr}
		return
	}
	var b []byte
	for _, line := range bytes.SplitAfter(head, []byte("\n")) {
		if isHeader(line, extensionsHeader) {
			continue
		}
		if len(line) > 0 && len(bytes.TrimSpace(line)) == 0 && ext != "" {
			b = append(b, extensionsHeader+": "+ext+"\r\n"...) // before the empty line
			ext = ""
		}
		b = append(b, line...)
	}
	h.buf = append(b, rest...)
}

// namesChecked reports whether a line of head names a header that
// checkUpgrade checks (Sec-WebSocket-Protocol, Sec-WebSocket-Extensions);
// a head without either passes unparsed and unchanged, as it would parsed.
func namesChecked(head []byte) bool {
	for line := range bytes.Lines(head) {
		if isHeader(line, protocolHeader) || isHeader(line, extensionsHeader) {
			return true
		}
	}
	return false
}

// The response headers checkUpgrade reads.
const (
	protocolHeader   = "Sec-WebSocket-Protocol"
	extensionsHeader = "Sec-WebSocket-Extensions"
)

// isHeader reports whether line is a header line named name, in any case.
func isHeader(line []byte, name string) bool {
	n, _, ok := bytes.Cut(line, []byte(":"))
	return ok && strings.EqualFold(strings.TrimSpace(string(n)), name)
}

// headEnd returns where the head in b ends (after its empty line), or -1.
func headEnd(b []byte) int {
	i, j := bytes.Index(b, []byte("\n\r\n")), bytes.Index(b, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		return i + 3
	case j >= 0:
		return j + 2
	}
	return -1
}

// handshakeError describes a response gorilla did not take as an upgrade:
// a refusal, or a 101 that is not a valid one (gorilla does not say why).
func handshakeError(resp *http.Response) *HandshakeError {
	e := &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		e.Reason = badUpgradeReason(resp.Header)
	}
	if resp.Body != nil {
		// gorilla already cut the body to 1 KiB; keep the bound here anyway.
		e.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// badUpgradeReason says why gorilla refused a 101 response, checking what it
// checks in the same order; the last check, the accept key, needs the
// request's key, which gorilla keeps: a response that passes the others
// failed that one.
func badUpgradeReason(h http.Header) string {
	switch {
	case !hasToken(h, "Upgrade", "websocket"):
		return `no "Upgrade: websocket" header`
	case !hasToken(h, "Connection", "upgrade"):
		return `no "Connection: Upgrade" header`
	case h.Get("Sec-Websocket-Accept") == "":
		return "no Sec-WebSocket-Accept header"
	}
	return "Sec-WebSocket-Accept does not match the request's Sec-WebSocket-Key"
}

// hasToken reports whether a comma-separated header holds token (any case).
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// hasExtension reports whether Sec-WebSocket-Extensions names ext (with
// any parameters).
func hasExtension(h http.Header, ext string) bool {
	for _, v := range h.Values(extensionsHeader) {
		for _, e := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(e, ";")
			if strings.EqualFold(strings.TrimSpace(name), ext) {
				return true
			}
		}
	}
	return false
}
