package autobahn

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// testData is one payload source of cases 12 and 13. Autobahn ships five
// files (a JSON file, a bitmap, Goethe's Faust, an HTML page, a PDF); this
// server generates data of the same kinds and sizes instead of carrying
// 2 MB of files, deterministically, and says so in each description.
type testData struct {
	desc   string
	binary bool
	size   int
	gen    func(r *rand.Rand, n int) []byte
}

var testDataSets = []testData{
	{"JSON records (generated; Autobahn: data1.json)", false, 194056, genJSON},
	{"Bitmap 512x512 bw (generated; Autobahn: lena512.bmp)", true, 263222, genBitmap},
	{"Human readable German-like text (generated; Autobahn: Goethe's Faust I)", true, 222218, genProse},
	{"HTML page (generated; Autobahn: data1.html)", false, 263647, genHTML},
	{"PDF-like mix of text and compressed streams (generated; Autobahn: a larger PDF)", true, 1042328, genPDF},
}

var (
	dataOnce sync.Once
	dataSets [][]byte
)

// data returns the generated test data sets, made once.
func data() [][]byte {
	dataOnce.Do(func() {
		for i, d := range testDataSets {
			r := rand.New(rand.NewPCG(uint64(i)+1, 0x9e3779b97f4a7c15))
			dataSets = append(dataSets, d.gen(r, d.size))
		}
	})
	return dataSets
}

var words = strings.Fields(`und der die das ich nicht zu ist ein mit sich es dem den so wie
auf was mir wird ach wohl nun doch noch kann nur da ihr hat mein sie bin
Faust Mephistopheles Gretchen Wagner Himmel Erde Geist Welt Herz Nacht Teufel
habe leider Philosophie Juristerei Medizin durchaus studiert heißen Bemühn`)

func genProse(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		switch r.IntN(12) {
		case 0:
			b.WriteString(".\n")
		case 1:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func genJSON(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id": %d, "name": "%s %s", "score": %d.%02d, "active": %v, "tags": ["%s", "%s"]},`+"\n",
			i, words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(1000), r.IntN(100), r.IntN(2) == 0,
			words[r.IntN(len(words))], words[r.IntN(len(words))])
	}
	return asciiOnly(b.Bytes()[:n])
}

func genHTML(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><title>data</title></head><body>\n")
	for b.Len() < n {
		fmt.Fprintf(&b, `<div class="row r%d"><a href="/item/%d">%s</a> <span>%s %s</span></div>`+"\n",
			r.IntN(10), r.IntN(100000), words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
	}
	return asciiOnly(b.Bytes()[:n])
}

func genBitmap(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	copy(b, "BM")
	for i := 1078; i < n; i++ { // header and palette, then 8-bit pixels
		x, y := (i-1078)%512, (i-1078)/512
		b[i] = byte((x*y/256+x+y)/4) + byte(r.IntN(8))
	}
	return b
}

func genPDF(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	for obj := 1; b.Len() < n; obj++ {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, 4096)
		for range 4096 {
			b.WriteByte(byte(r.Uint32()))
		}
		b.WriteString("\nendstream\nendobj\n")
		b.Write(genProse(r, 2048))
	}
	return b.Bytes()[:n]
}

// asciiOnly replaces the non-ASCII bytes of generated text, so that a
// slice of it at any byte is valid UTF-8 (Autobahn slices by characters).
func asciiOnly(b []byte) []byte {
	for i, c := range b {
		if c >= 0x80 {
			b[i] = 'o'
		}
	}
	return b
}

// deflateSizes is Autobahn's MSG_SIZES: payload size, round trips, seconds
// allowed, auto-fragment size.
var deflateSizes = []struct {
	n, count int
	wait     float64
	frag     int
}{
	{16, 1000, 60, 0}, {64, 1000, 60, 0}, {256, 1000, 120, 0}, {1024, 1000, 240, 0},
	{4096, 1000, 480, 0}, {8192, 1000, 480, 0}, {16384, 1000, 480, 0}, {32768, 1000, 480, 0},
	{65536, 1000, 480, 0}, {131072, 1000, 480, 0},
	{8192, 1000, 480, 256}, {16384, 1000, 480, 256}, {32768, 1000, 480, 256}, {65536, 1000, 480, 256}, {131072, 1000, 480, 256},
	{131072, 1000, 480, 1024}, {131072, 1000, 480, 4096}, {131072, 1000, 480, 32768},
}

// deflateParams are Autobahn's DEFLATE_PARAMS for category 13: how the
// server answers (accept1 to accept7) and what that needs of the offer.
var deflateParams = []struct {
	desc   string
	accept acceptFunc
}{
	{"server accepts the offer as it is", acceptPlain},
	{"server asks client_no_context_takeover", acceptAsking(true, 0)},
	{"server asks client_max_window_bits=9 (needs it offered)", acceptAsking(false, 9)},
	{"server asks client_max_window_bits=15 (needs it offered)", acceptAsking(false, 15)},
	{"server asks client_no_context_takeover and client_max_window_bits=9 (needs it offered)", acceptAsking(true, 9)},
	{"server asks client_no_context_takeover and client_max_window_bits=15 (needs it offered)", acceptAsking(true, 15)},
	{"server asks client_no_context_takeover and client_max_window_bits=9 if offered, else client_no_context_takeover", acceptFirstOf(acceptAsking(true, 9), acceptAsking(true, 0), acceptPlain)},
}

func deflateCases(pr Profile) []caseDef {
	var cs []caseDef
	for j, td := range testDataSets {
		for i, s := range deflateSizes {
			cs = append(cs, deflateCase(fmt.Sprintf("12.%d.%d", j+1, i+1), j, s.n, pr.rounds(s.count, 20), s.wait, s.frag,
				acceptPlain, "Use default permessage-deflate offer. Data: "+td.desc+"."))
		}
	}
	for j, dp := range deflateParams {
		for i, s := range deflateSizes {
			cs = append(cs, deflateCase(fmt.Sprintf("13.%d.%d", j+1, i+1), 0, s.n, pr.rounds(s.count, 20), s.wait, s.frag,
				dp.accept, "Use permessage-deflate: "+dp.desc+". Data: "+testDataSets[0].desc+"."))
		}
	}
	return cs
}

// deflateCase sends count compressed messages of n bytes of data set ds,
// each once the previous one came back (case12_x_x.py).
func deflateCase(id string, ds, n, count int, wait float64, frag int, acc acceptFunc, how string) caseDef {
	td := testDataSets[ds]
	sendOne := func(r *run) {
		src := data()[ds]
		var m []byte
		if n > 0 {
			from, to := r.ptr, (r.ptr+n)%len(src)
			if to > from {
				m = src[from:to]
			} else {
				m = append(append([]byte{}, src[from:]...), src[:to]...)
			}
			r.ptr = to
		}
		r.next = m
		r.p.sendMessage(m, td.binary, 0)
		r.count++
	}
	return caseDef{id: id, accept: acc,
		desc:   fmt.Sprintf("Send %d compressed messages each of payload size %d, auto-fragment to %d octets. %s", count, n, frag, how),
		expect: fmt.Sprintf("Receive echo'ed messages (with payload as sent). Timeout case after %v secs.", wait),
		open: func(r *run) {
			r.expectedClose = fuzzerClosesNormally
			r.p.autoFragment = frag
			if r.p.pmd == nil {
				r.behavior = Unimplemented
				r.result = "permessage-deflate was not negotiated with the parameters this case needs."
				r.p.sendClose(closeNormal, "")
				return
			}
			startRounds(r, wait, sendOne)
		},
		message: func(r *run, got []byte, isBinary bool) {
			switch {
			case isBinary != td.binary:
				r.behavior, r.result = Failed, fmt.Sprintf("Echo'ed message type differs from what I sent (got binary %v, expected binary %v).", isBinary, td.binary)
			case len(got) != len(r.next):
				r.behavior, r.result = Failed, fmt.Sprintf("Echo'ed message length differs from what I sent (got length %d, expected length %d).", len(got), len(r.next))
			case sha1.Sum(got) != sha1.Sum(r.next):
				r.behavior, r.result = Failed, "Echo'ed message contents differs from what I sent."
			case r.count < count:
				sendOne(r)
				return
			default:
				r.behavior, r.result = OK, "Ok, received all echo'ed messages in time."
			}
			r.p.sendClose(closeNormal, "")
		}}
}
