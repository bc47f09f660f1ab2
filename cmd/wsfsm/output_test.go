package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
)

// lineSummary reduces --json output to "message:DATA", "FROM>TO" and type
// items, after checking every line with parseJSONLines.
func lineSummary(t *testing.T, out string) string {
	t.Helper()
	parseJSONLines(t, out)
	var items []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l jsonLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch l.Type {
		case "message":
			items = append(items, "message:"+l.Data)
		case "transition":
			items = append(items, l.From+">"+l.To)
		default:
			items = append(items, l.Type)
		}
	}
	return strings.Join(items, " ")
}

func transition(from, to fsm.State, at time.Time) wsfsm.Transition {
	return wsfsm.Transition{From: from, To: to, At: at}
}

// A message received in a state whose transition is still on its way waits
// for it, so the lines come in the order things happened; if it never comes,
// the message is written anyway after catchUpWait.
func TestPrinterWritesTransitionsBeforeTheMessagesThatFollowThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		p := newPrinter(&clientConfig{json: true}, &out, io.Discard)
		done := make(chan struct{})
		go func() {
			p.message(wsfsm.Text, []byte("first"), 1) // read on the first connection: its Open is not written yet
			close(done)
		}()
		synctest.Wait()
		if out.Len() != 0 {
			t.Fatalf("the message did not wait for the transition into Open: %s", out.String())
		}
		p.transition(transition(fsm.Connecting, fsm.Open, time.Now()))
		<-done
		if got := lineSummary(t, out.String()); got != "Connecting>Open message:first" {
			t.Errorf("order %q", got)
		}

		// Already past (Open -> Closing written): no wait.
		p.transition(transition(fsm.Open, fsm.Closing, time.Now()))
		start := time.Now()
		p.message(wsfsm.Text, []byte("while closing"), 1)
		if waited := time.Since(start); waited != 0 {
			t.Errorf("waited %v for a transition already written", waited)
		}

		// A transition that never comes is waited for catchUpWait, no longer.
		start = time.Now()
		p.message(wsfsm.Text, []byte("orphan"), 2)
		if waited := time.Since(start); waited != catchUpWait {
			t.Errorf("waited %v, want catchUpWait (%v)", waited, catchUpWait)
		}
	})
}

// The transition into the final state is held until nothing more will be
// received: messages read before the close are written before it. Times
// never go back, even for a transition that happened before a message
// written earlier.
func TestPrinterHoldsTheEndUntilReceivingEnded(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&clientConfig{json: true}, &out, io.Discard)
	t0 := time.Now()
	p.transition(transition(fsm.Connecting, fsm.Open, t0))
	p.transition(transition(fsm.Open, fsm.Closing, t0.Add(time.Millisecond)))
	p.transition(transition(fsm.Closing, fsm.Closed, t0.Add(2*time.Millisecond)))
	p.message(wsfsm.Text, []byte("drained"), 1)
	if got := lineSummary(t, out.String()); got != "Connecting>Open Open>Closing message:drained" {
		t.Fatalf("before receiving ended: %q", got)
	}
	p.receiveEnded()
	p.finish(&wsfsm.CloseError{Code: 1008, Reason: "no"}, exitFail)
	p.transition(transition(fsm.Closed, fsm.Closed, time.Now())) // after the end: dropped
	if got := lineSummary(t, out.String()); got != "Connecting>Open Open>Closing message:drained Closing>Closed error" {
		t.Errorf("order %q", got)
	}
	parseJSONLines(t, out.String()) // checks that at never goes back
}

// The certificate of serve --tls is its own CA and names the hosts a client
// dials.
func TestSelfSignedCertificate(t *testing.T) {
	now := time.Now()
	for host, name := range map[string]string{"": "127.0.0.1", "192.0.2.7": "192.0.2.7", "ws.example.test": "ws.example.test", "::": "::1"} {
		_, pemBytes, err := selfSigned(host, now)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			t.Fatalf("%q: not PEM", host)
		}
		der, _ := pem.Decode(pemBytes)
		cert, err := x509.ParseCertificate(der.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		for _, dial := range []string{name, "localhost", "127.0.0.1"} {
			opts := x509.VerifyOptions{Roots: pool, DNSName: dial, CurrentTime: now.Add(24 * time.Hour), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			if ip := net.ParseIP(dial); ip != nil {
				opts.DNSName = ip.String()
			}
			if _, err := cert.Verify(opts); err != nil {
				t.Errorf("%q: a client dialing %s: %v", host, dial, err)
			}
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1", CurrentTime: now.Add(certValidity + time.Hour)}); err == nil {
			t.Errorf("%q: still valid after %v", host, certValidity)
		}
	}
}
