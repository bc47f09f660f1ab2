package autobahn

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Config configures a Server.
type Config struct {
	// Profile sets the sizes and counts of categories 9, 12 and 13.
	// Default Full.
	Profile Profile
	// Unit is what one of Autobahn's seconds lasts: every timer of a case
	// (killAfter, closeAfter, the closing handshake's timeout, the pauses of
	// 5.19 and 6.4) is a multiple of it. A client that behaves never waits
	// for one, except in 5.19, 5.20 and 6.4. Default 1 s.
	Unit time.Duration
	// ReportDir is where /updateReports writes the reports (see
	// WriteReports). Default "": /updateReports keeps them in memory only.
	ReportDir string
}

// Server is an Autobahn|Testsuite-compatible fuzzing server for WebSocket
// clients: it speaks the fuzzing server's protocol, so an Autobahn client
// harness runs against it unchanged.
type Server struct {
	cfg   Config
	cases []caseDef

	mu        sync.Mutex
	results   map[string]map[string]*Result // agent, case id
	listeners map[string][]chan *Result     // agent + " " + case id
	order     []string                      // agents in first-seen order
	running   map[string]int                // agent: cases whose result is not recorded yet
	ran       chan struct{}                 // closed, and replaced, whenever a case's run ends
}

// NewServer returns a Server with the cases of categories 1 to 7, 9, 10,
// 12 and 13.
func NewServer(cfg Config) *Server {
	if cfg.Unit <= 0 {
		cfg.Unit = time.Second
	}
	s := &Server{cfg: cfg, results: make(map[string]map[string]*Result), listeners: make(map[string][]chan *Result),
		running: make(map[string]int), ran: make(chan struct{})}
	s.cases = append(s.cases, framingCases()...)
	s.cases = append(s.cases, pingCases()...)
	s.cases = append(s.cases, reservedBitsCases()...)
	s.cases = append(s.cases, opcodeCases()...)
	s.cases = append(s.cases, fragmentationCases()...)
	s.cases = append(s.cases, utf8Cases()...)
	s.cases = append(s.cases, closeCases()...)
	s.cases = append(s.cases, limitsCases(cfg.Profile)...)
	s.cases = append(s.cases, autoFragmentationCase())
	s.cases = append(s.cases, deflateCases(cfg.Profile)...)
	return s
}

// CaseInfo describes one case.
type CaseInfo struct {
	// ID is the case's Autobahn id, e.g. "6.4.1"; N its 1-based number.
	ID string `json:"id"`
	N  int    `json:"n"`
	// Description says what the server sends; Expectation what it expects.
	Description string `json:"description"`
	Expectation string `json:"expectation"`
}

// Cases lists the cases in the order /runCase numbers them.
func (s *Server) Cases() []CaseInfo {
	out := make([]CaseInfo, len(s.cases))
	for i, c := range s.cases {
		out[i] = CaseInfo{ID: c.id, N: i + 1, Description: c.desc, Expectation: c.expect}
	}
	return out
}

// Paths are the paths Server serves, Autobahn's fuzzing server protocol.
var Paths = []string{"/getCaseCount", "/getCaseInfo", "/runCase", "/getCaseStatus", "/updateReports"}

// ServeHTTP serves the fuzzing server's paths: /getCaseCount,
// /getCaseInfo?case=N, /runCase?case=N&agent=A,
// /getCaseStatus?case=N&agent=A and /updateReports?agent=A. Each is a
// WebSocket; a bad request gets 400 and an unknown path 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	agent := q.Get("agent")
	var def *caseDef
	n := 0
	if v := q.Get("case"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > len(s.cases) {
			http.Error(w, "autobahn: case must be 1 to "+strconv.Itoa(len(s.cases)), http.StatusBadRequest)
			return
		}
		def = &s.cases[n-1]
	}
	path := req.URL.Path
	switch {
	case path != "/getCaseCount" && path != "/getCaseInfo" && path != "/runCase" && path != "/getCaseStatus" && path != "/updateReports":
		http.NotFound(w, req)
		return
	case (path == "/getCaseInfo" || path == "/runCase" || path == "/getCaseStatus") && def == nil:
		http.Error(w, "autobahn: "+path+" needs ?case=N", http.StatusBadRequest)
		return
	case (path == "/runCase" || path == "/getCaseStatus" || path == "/updateReports") && agent == "":
		http.Error(w, "autobahn: "+path+" needs ?agent=NAME", http.StatusBadRequest)
		return
	}
	var acc *accept
	if path == "/runCase" && def.accept != nil {
		acc = def.accept(parseOffers(req.Header))
	}
	if path == "/runCase" {
		// Counted before the 101 goes out: a client that saw its case end
		// and asks for the reports finds it, even if its result is still
		// being judged (updateReports waits for it).
		s.startRun(agent)
		defer s.endRun(agent)
	}
	nc, br, err := upgrade(w, req, acc)
	if err != nil {
		return
	}
	defer nc.Close()
	switch path {
	case "/runCase":
		s.runCase(nc, br, n, def, agent, acc)
	case "/getCaseCount":
		s.reply(nc, br, strconv.Itoa(len(s.cases)))
	case "/getCaseInfo":
		b, _ := json.Marshal(map[string]string{"id": def.id, "description": def.desc})
		s.reply(nc, br, string(b))
	case "/getCaseStatus":
		s.caseStatus(req.Context(), nc, br, agent, def.id)
	case "/updateReports":
		s.awaitRuns(agent, reportWait*s.cfg.Unit)
		if s.cfg.ReportDir != "" {
			s.WriteReports(s.cfg.ReportDir)
		}
		s.reply(nc, br, "")
	}
}

var errNotUpgrade = errors.New("autobahn: not a WebSocket upgrade")

// upgrade checks the opening handshake (RFC 6455 section 4.2.1), takes
// the connection over and answers 101, with the permessage-deflate
// response when acc is set.
func upgrade(w http.ResponseWriter, req *http.Request, acc *accept) (net.Conn, *bufio.Reader, error) {
	key := req.Header.Get("Sec-Websocket-Key")
	if req.Method != http.MethodGet || !websocket.IsWebSocketUpgrade(req) ||
		req.Header.Get("Sec-Websocket-Version") != "13" || key == "" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "autobahn: not a WebSocket upgrade", http.StatusBadRequest)
		return nil, nil, errNotUpgrade
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "autobahn: cannot take the connection over", http.StatusInternalServerError)
		return nil, nil, http.ErrNotSupported
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Server: wsfsm-wstest-autobahn\r\nSec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
	if acc != nil {
		resp += "Sec-WebSocket-Extensions: " + acc.response() + "\r\n"
	}
	nc.SetWriteDeadline(time.Now().Add(writeStallTimeout))
	if _, err := nc.Write([]byte(resp + "\r\n")); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, brw.Reader, nil
}

// runCase runs case n for agent and records its result.
func (s *Server) runCase(nc net.Conn, br *bufio.Reader, n int, def *caseDef, agent string, acc *accept) {
	var pmd *deflateState
	ext := ""
	if acc != nil {
		pmd, ext = newDeflateState(acc), acc.response()
	}
	p := newPeer(nc, br, s.cfg.Unit, pmd)
	r := newRun(def, p)
	started := time.Now()
	p.loop(func() { def.open(r) }, r.handle)
	r.judge()
	s.record(r.resultFor(n, agent, started, ext))
}

// reply sends one text message (if any), closes with 1000 and waits for
// the client's answer.
func (s *Server) reply(nc net.Conn, br *bufio.Reader, text string) {
	p := newPeer(nc, br, s.cfg.Unit, nil)
	p.loop(func() {
		if text != "" {
			p.sendMessage([]byte(text), false, 0)
		}
		p.sendClose(closeNormal, "")
	}, p.control)
}

// control handles what a client sends on the harness paths: it answers
// pings and close frames and fails the connection on a protocol error.
func (p *peer) control(ev event) {
	switch ev.kind {
	case evPing:
		p.sendFrame(frame{op: opPong, payload: ev.data})
	case evClose:
		p.onClose(ev)
	case evViolation:
		p.failConnection(ev.code, "")
		p.drop()
	}
}

// caseStatus answers /getCaseStatus once the case's result is known.
func (s *Server) caseStatus(ctx context.Context, nc net.Conn, br *bufio.Reader, agent, id string) {
	ch := make(chan *Result, 1)
	s.mu.Lock()
	if res := s.results[agent][id]; res != nil {
		ch <- res
	} else {
		k := agent + " " + id
		s.listeners[k] = append(s.listeners[k], ch)
	}
	s.mu.Unlock()
	var res *Result
	p := newPeer(nc, br, s.cfg.Unit, nil)
	p.loop(func() {
		go func() {
			select {
			case res = <-ch:
			case <-ctx.Done():
			case <-p.done:
			}
			select {
			case p.timers <- func() {
				if res != nil {
					b, _ := json.Marshal(map[string]string{"behavior": res.Behavior})
					p.sendMessage(b, false, 0)
				}
				p.sendClose(closeNormal, "")
			}:
			case <-p.done:
			}
		}()
	}, p.control)
}

// reportWait bounds, in units, how long /updateReports waits for the
// agent's cases still being judged: the client may see a case end before
// the server has recorded its result.
const reportWait = 60

func (s *Server) startRun(agent string) {
	s.mu.Lock()
	s.running[agent]++
	s.mu.Unlock()
}

func (s *Server) endRun(agent string) {
	s.mu.Lock()
	s.running[agent]--
	close(s.ran)
	s.ran = make(chan struct{})
	s.mu.Unlock()
}

// awaitRuns waits until no case of agent is being run, at most d.
func (s *Server) awaitRuns(agent string, d time.Duration) {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		n, ran := s.running[agent], s.ran
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ran:
		case <-timeout.C:
			return
		}
	}
}

func (s *Server) record(res *Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.results[res.Agent] == nil {
		s.results[res.Agent] = make(map[string]*Result)
		s.order = append(s.order, res.Agent)
	}
	s.results[res.Agent][res.ID] = res
	k := res.Agent + " " + res.ID
	for _, ch := range s.listeners[k] {
		ch <- res
	}
	delete(s.listeners, k)
}

// Results returns the results of agent, in case order (cases it did not
// run are left out).
func (s *Server) Results(agent string) []*Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Result
	for _, c := range s.cases {
		if r := s.results[agent][c.id]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

// Agents returns the agents that ran a case, in the order they first did.
func (s *Server) Agents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}
