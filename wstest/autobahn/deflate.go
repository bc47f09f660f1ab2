package autobahn

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// offer is one permessage-deflate offer of the client (RFC 7692 section
// 7.1), as Autobahn's PerMessageDeflateOffer.parse reads it.
type offer struct {
	acceptMaxWindowBits       bool // client_max_window_bits: the server may limit the client's window
	requestNoContextTakeover  bool // server_no_context_takeover
	requestMaxWindowBits      int  // server_max_window_bits=N; 0: not asked
	clientNoContextTakeoverOK bool // always true in Autobahn: the server may ask for it
}

// accept is the server's answer to an offer: what it asks of the client
// and what it grants.
type accept struct {
	offer                    offer
	requestNoContextTakeover bool // ask the client: client_no_context_takeover
	requestMaxWindowBits     int  // ask the client: client_max_window_bits=N (0: no)
}

// acceptFunc picks an offer to accept (nil: decline compression).
type acceptFunc func([]offer) *accept

// parseOffers reads the permessage-deflate offers of a request. An offer
// with a parameter Autobahn would refuse is left out.
func parseOffers(h http.Header) []offer {
	var offers []offer
	for _, v := range h.Values("Sec-Websocket-Extensions") {
	next:
		for _, ext := range strings.Split(v, ",") {
			parts := strings.Split(ext, ";")
			if strings.TrimSpace(parts[0]) != "permessage-deflate" {
				continue
			}
			o := offer{clientNoContextTakeoverOK: true}
			for _, p := range parts[1:] {
				name, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
				name, val = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(val), `"`)
				switch name {
				case "client_max_window_bits":
					if hasVal {
						if n, err := strconv.Atoi(val); err != nil || n < 8 || n > 15 {
							continue next
						}
					}
					o.acceptMaxWindowBits = true
				case "client_no_context_takeover":
					if hasVal {
						continue next
					}
				case "server_max_window_bits":
					n, err := strconv.Atoi(val)
					if err != nil || n < 8 || n > 15 {
						continue next
					}
					o.requestMaxWindowBits = n
				case "server_no_context_takeover":
					if hasVal {
						continue next
					}
					o.requestNoContextTakeover = true
				default:
					continue next
				}
			}
			offers = append(offers, o)
		}
	}
	return offers
}

// response is the Sec-WebSocket-Extensions value that accepts a.
func (a *accept) response() string {
	s := "permessage-deflate"
	if a.offer.requestNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if a.offer.requestMaxWindowBits != 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(a.offer.requestMaxWindowBits)
	}
	if a.requestNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if a.requestMaxWindowBits != 0 {
		s += "; client_max_window_bits=" + strconv.Itoa(a.requestMaxWindowBits)
	}
	return s
}

// The server's accept functions of Autobahn's cases 12 and 13 (accept1 to
// accept7 in case12_x_x.py): what each asks of the client.
func acceptPlain(offers []offer) *accept {
	if len(offers) == 0 {
		return nil
	}
	return &accept{offer: offers[0]}
}

func acceptAsking(noContextTakeover bool, windowBits int) acceptFunc {
	return func(offers []offer) *accept {
		for _, o := range offers {
			if noContextTakeover && !o.clientNoContextTakeoverOK || windowBits != 0 && !o.acceptMaxWindowBits {
				continue
			}
			return &accept{offer: o, requestNoContextTakeover: noContextTakeover, requestMaxWindowBits: windowBits}
		}
		return nil
	}
}

func acceptFirstOf(fs ...acceptFunc) acceptFunc {
	return func(offers []offer) *accept {
		for _, f := range fs {
			if a := f(offers); a != nil {
				return a
			}
		}
		return nil
	}
}

// deflateState compresses the server's messages and inflates the client's
// for one connection.
type deflateState struct {
	// Sending: with context takeover one writer keeps its window across
	// messages; server_max_window_bits below 15 (which compress/flate
	// cannot honour) makes every message Huffman-only, which refers to no
	// earlier byte at all.
	w        *flate.Writer
	wbuf     bytes.Buffer
	takeover bool
	// Receiving: the last 32 KiB of the client's messages, the window a
	// client with context takeover may refer to (harmless for one that
	// resets).
	window []byte
}

func newDeflateState(a *accept) *deflateState {
	level := flate.BestSpeed
	if bits := a.offer.requestMaxWindowBits; bits != 0 && bits < 15 {
		level = flate.HuffmanOnly
	}
	d := &deflateState{takeover: !a.offer.requestNoContextTakeover}
	d.w, _ = flate.NewWriter(&d.wbuf, level) // the level is valid
	return d
}

// compress compresses one message (RFC 7692 section 7.2.1: the final
// 0x00 0x00 0xff 0xff of the sync flush removed).
func (d *deflateState) compress(msg []byte) []byte {
	d.wbuf.Reset()
	if !d.takeover {
		d.w.Reset(&d.wbuf)
	}
	d.w.Write(msg)
	d.w.Flush()
	out := bytes.Clone(d.wbuf.Bytes())
	return bytes.TrimSuffix(out, []byte{0, 0, 0xff, 0xff})
}

var errTooLarge = errors.New("autobahn: inflated message too large")

// decompress inflates one message of the client, at most limit bytes.
func (d *deflateState) decompress(msg []byte, limit int) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(msg), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))
	r := flate.NewReaderDict(src, d.window)
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if len(out) > limit {
		return nil, errTooLarge
	}
	d.window = append(d.window, out...)
	if len(d.window) > 32<<10 {
		d.window = bytes.Clone(d.window[len(d.window)-32<<10:])
	}
	return out, nil
}
