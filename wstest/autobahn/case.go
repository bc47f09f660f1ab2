package autobahn

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verdicts, as Autobahn|Testsuite reports them.
const (
	OK             = "OK"
	NonStrict      = "NON-STRICT"
	Informational  = "INFORMATIONAL"
	Unimplemented  = "UNIMPLEMENTED"
	Failed         = "FAILED"
	WrongCode      = "WRONG CODE"       // close behaviour only
	Unclean        = "UNCLEAN"          // close behaviour only
	FailedByClient = "FAILED BY CLIENT" // close behaviour only (Autobahn's fuzzing client)
)

// Observation is one thing the fuzzer saw from the client, as Autobahn
// records it: Kind "message" (Data, Binary), "ping", "pong" (Data) or
// "timeout" (Data is the timer's tag).
type Observation struct {
	Kind   string `json:"kind"`
	Data   string `json:"data"`
	Binary bool   `json:"binary,omitempty"`
}

// ExpectedClose is the close behaviour a case expects (Autobahn's
// expectedClose).
type ExpectedClose struct {
	// ClosedByMe: the fuzzer is expected to start the closing handshake.
	ClosedByMe bool `json:"closedByMe"`
	// CloseCode lists the codes the client may send (an empty close frame
	// is fine too).
	CloseCode []int `json:"closeCode"`
	// RequireClean: the closing handshake must complete.
	RequireClean bool `json:"requireClean"`
	// ClosedByWrongEndpointIsFatal makes a close by the wrong side fail the
	// behaviour too (the UTF-8 cases: the client did not detect the error).
	ClosedByWrongEndpointIsFatal bool `json:"closedByWrongEndpointIsFatal,omitempty"`
}

// caseDef is one test case: what the fuzzer does and how it judges.
type caseDef struct {
	id     string
	desc   string
	expect string
	// accept negotiates permessage-deflate (nil: declined).
	accept acceptFunc
	// open runs when the connection opens.
	open func(r *run)
	// message handles a message (nil: record it, and close once it
	// matches, Autobahn's default).
	message func(r *run, data []byte, binary bool)
	// after adjusts the verdict once the connection is gone.
	after func(r *run)
	// suppressClose: the default handler never starts the closing handshake.
	suppressClose bool
}

// run is one execution of a case.
type run struct {
	def *caseDef
	p   *peer

	expected      map[string][]Observation
	expectedOrder []string
	expectedClose ExpectedClose
	received      []Observation

	behavior, behaviorClose string
	result, resultClose     string

	count int    // a counter for the cases that send in rounds
	next  []byte // the payload the case expects echoed next
	ptr   int    // where in the test data the next message starts
}

func newRun(def *caseDef, p *peer) *run {
	return &run{
		def: def, p: p,
		expected:      make(map[string][]Observation),
		behavior:      Failed,
		behaviorClose: Failed,
		result:        "Actual events differ from any expected.",
		resultClose:   "TCP connection was dropped without close handshake",
	}
}

// expect sets the events expected for verdict (OK, NON-STRICT).
func (r *run) expect(verdict string, obs ...Observation) {
	if _, ok := r.expected[verdict]; !ok {
		r.expectedOrder = append(r.expectedOrder, verdict)
	}
	r.expected[verdict] = append([]Observation{}, obs...)
}

func msg(s string, binary bool) Observation {
	return Observation{Kind: "message", Data: s, Binary: binary}
}
func pong(s string) Observation    { return Observation{Kind: "pong", Data: s} }
func timeout(s string) Observation { return Observation{Kind: "timeout", Data: s} }

// handle takes one event of the connection.
func (r *run) handle(ev event) {
	p := r.p
	switch ev.kind {
	case evMessage:
		if r.def.message != nil {
			r.def.message(r, ev.data, ev.binary)
			return
		}
		r.received = append(r.received, msg(string(ev.data), ev.binary))
		r.finishWhenDone()
	case evPing:
		p.sendFrame(frame{op: opPong, payload: ev.data})
		r.received = append(r.received, Observation{Kind: "ping", Data: string(ev.data)})
		r.finishWhenDone()
	case evPong:
		r.received = append(r.received, pong(string(ev.data)))
		r.finishWhenDone()
	case evClose:
		p.onClose(ev)
	case evViolation:
		p.failConnection(ev.code, "")
		p.drop()
	}
}

// finishWhenDone starts the closing handshake once what was received
// matches every expected outcome (Autobahn's finishWhenDone).
func (r *run) finishWhenDone() {
	for _, k := range r.expectedOrder {
		if !slices.Equal(r.received, r.expected[k]) {
			return
		}
	}
	if r.expectedClose.ClosedByMe && !r.def.suppressClose {
		r.p.sendClose(r.expectedClose.CloseCode[0], "")
	}
}

// judge is Autobahn's Case.onConnectionLost.
func (r *run) judge() {
	for _, k := range r.expectedOrder {
		if slices.Equal(r.received, r.expected[k]) {
			r.behavior = k
			r.result = "Actual events match at least one expected."
			break
		}
	}
	p, ec := r.p, r.expectedClose
	switch {
	case ec.ClosedByMe != p.closedByMe:
		r.behaviorClose = Failed
		r.resultClose = "The connection was failed by the wrong endpoint"
	case ec.RequireClean && !p.wasClean:
		r.behaviorClose = Unclean
		r.resultClose = "The spec requires the connection to be failed cleanly here"
	case p.remoteCloseCode != noCode && !slices.Contains(ec.CloseCode, p.remoteCloseCode):
		r.behaviorClose = WrongCode
		codes := make([]string, len(ec.CloseCode))
		for i, c := range ec.CloseCode {
			codes[i] = strconv.Itoa(c)
		}
		r.resultClose = "The close code should have been " + strings.Join(codes, ",") + " or empty"
	default:
		r.behaviorClose = OK
		r.resultClose = "Connection was properly closed"
	}
	if ec.ClosedByWrongEndpointIsFatal && ec.ClosedByMe != p.closedByMe {
		r.behavior = Failed
	}
	if r.def.after != nil {
		r.def.after(r)
	}
}

// wrongCodeFails is the 7.x cases' rule: a wrong close code fails the
// behaviour too.
func wrongCodeFails(r *run) {
	if r.behaviorClose == WrongCode {
		r.behavior = Failed
		r.result = r.resultClose
	}
}

// informational makes the verdict INFORMATIONAL, whatever happened.
func informational(r *run) {
	r.behavior, r.behaviorClose = Informational, Informational
	r.result = "Actual events are undefined by the spec."
}

// Result is the outcome of one case for one agent: what Autobahn writes in
// a case's JSON report.
type Result struct {
	// ID is the case's id ("6.4.1"), Case its number, Description and
	// Expectation what it sends and expects.
	ID          string `json:"id"`
	Case        int    `json:"case"`
	Description string `json:"description"`
	Expectation string `json:"expectation"`
	// Agent is the name the client ran under; Started when the case began
	// and Duration how long it took, in milliseconds.
	Agent    string    `json:"agent"`
	Started  time.Time `json:"started"`
	Duration int64     `json:"duration"`
	// Behavior and BehaviorClose are the verdicts (OK, NON-STRICT, ...),
	// Result and ResultClose say why.
	Behavior      string `json:"behavior"`
	BehaviorClose string `json:"behaviorClose"`
	Result        string `json:"result"`
	ResultClose   string `json:"resultClose"`
	// Expected lists the events expected per verdict, ExpectedClose the
	// close behaviour, Received the events seen (data cut at 256 bytes).
	Expected      map[string][]Observation `json:"expected"`
	ExpectedClose ExpectedClose            `json:"expectedClose"`
	Received      []Observation            `json:"received"`
	// ClosedByMe: the fuzzer started the closing handshake; FailedByMe: it
	// failed the connection; WasClean: the closing handshake completed.
	ClosedByMe bool `json:"closedByMe"`
	FailedByMe bool `json:"failedByMe"`
	WasClean   bool `json:"wasClean"`
	// LocalCloseCode is the code the fuzzer sent, RemoteCloseCode and
	// RemoteCloseReason what the client sent (nil: no code, or an invalid
	// one).
	LocalCloseCode    *int   `json:"localCloseCode"`
	RemoteCloseCode   *int   `json:"remoteCloseCode"`
	RemoteCloseReason string `json:"remoteCloseReason,omitempty"`
	// Compression is the Sec-WebSocket-Extensions the fuzzer answered
	// ("" when permessage-deflate was not negotiated).
	Compression string `json:"compression,omitempty"`
}

// maxReported bounds how much of a message a report keeps.
const maxReported = 256

func (r *run) resultFor(n int, agent string, started time.Time, ext string) *Result {
	clip := func(obs []Observation) []Observation {
		out := make([]Observation, len(obs))
		for i, o := range obs {
			if len(o.Data) > maxReported {
				o.Data = o.Data[:maxReported] + " ... (" + strconv.Itoa(len(o.Data)) + " bytes)"
			}
			out[i] = o
		}
		return out
	}
	expected := make(map[string][]Observation, len(r.expected))
	for k, v := range r.expected {
		expected[k] = clip(v)
	}
	code := func(c int) *int {
		if c == noCode {
			return nil
		}
		return &c
	}
	return &Result{
		ID: r.def.id, Case: n, Description: r.def.desc, Expectation: r.def.expect,
		Agent: agent, Started: started.UTC(), Duration: time.Since(started).Milliseconds(),
		Behavior: r.behavior, BehaviorClose: r.behaviorClose,
		Result: r.result, ResultClose: r.resultClose,
		Expected: expected, ExpectedClose: r.expectedClose, Received: clip(r.received),
		ClosedByMe: r.p.closedByMe, FailedByMe: r.p.failedByMe, WasClean: r.p.wasClean,
		LocalCloseCode: code(r.p.localCloseCode), RemoteCloseCode: code(r.p.remoteCloseCode),
		RemoteCloseReason: r.p.remoteCloseReason, Compression: ext,
	}
}
