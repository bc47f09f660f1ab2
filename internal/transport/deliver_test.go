package transport

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// A message the reader has read is not lost when the link is aborted while the
// consumer is slow: it is still handed over, and only then does done report
// the abort.
func TestAbortKeepsMessageInHand(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		go s.WriteMessage(websocket.TextMessage, []byte("in hand"))
		out := make(chan Message) // unbuffered: the reader blocks delivering
		errc := make(chan error, 1)
		l.StartReader(out, nil, Turn{}, func(err error, _ uint64) { errc <- err })
		synctest.Wait() // the reader holds the message, blocked on out
		l.Abort()
		testkit.NothingOn(t, errc, "reader ended (%v) before handing over the message it held")
		if m := <-out; string(m.Data) != "in hand" {
			t.Errorf("got %q", m.Data)
		}
		if err := <-errc; !errors.Is(err, ErrAborted) {
			t.Errorf("done(%v), want ErrAborted", err)
		}
	})
}

// Closing stop lets the reader discard what the consumer will never take.
func TestStopDiscards(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		go s.WriteMessage(websocket.TextMessage, []byte("unwanted"))
		out := make(chan Message)
		stop := make(chan struct{})
		errc := make(chan error, 1)
		l.StartReader(out, stop, Turn{}, func(err error, _ uint64) { errc <- err })
		synctest.Wait()
		close(stop)
		l.Abort()
		if err := <-errc; !errors.Is(err, ErrAborted) {
			t.Errorf("done(%v), want ErrAborted", err)
		}
		select {
		case m := <-out:
			t.Errorf("delivered %q after stop", m.Data)
		default:
		}
	})
}

// A reader blocked on a slow consumer is not a dead peer: keepalive waits for
// the consumer instead of aborting a healthy link.
func TestSlowConsumerIsNotDeadPeer(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		go s.WriteMessage(websocket.TextMessage, []byte("slow"))
		out := make(chan Message)
		errc := make(chan error, 1)
		l.StartReader(out, nil, Turn{}, func(err error, _ uint64) { errc <- err })
		l.StartKeepalive(10*time.Millisecond, 20*time.Millisecond, nil)
		time.Sleep(time.Second) // fake time: the consumer takes a second
		testkit.NothingOn(t, errc, "link ended while the consumer was slow: %v")
		<-out
		l.Abort()
		if err := <-errc; !errors.Is(err, ErrAborted) || errors.Is(err, ErrDeadPeer) {
			t.Errorf("done(%v), want a plain abort", err)
		}
	})
}

// After stop, a message still goes to a consumer with room in its buffer (a
// closing application gets what fits); only those that would wait are
// discarded, and counted.
func TestStopKeepsWhatFits(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		out := make(chan Message, 2)
		stop := make(chan struct{})
		close(stop)
		errc := make(chan error, 1)
		var discarded uint64
		l.StartReader(out, stop, Turn{}, func(err error, n uint64) { discarded = n; errc <- err })
		for _, m := range []string{"one", "two", "three", "four"} {
			if err := s.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		l.Abort()
		<-errc
		var got []string
		for len(out) > 0 {
			got = append(got, string((<-out).Data))
		}
		if len(got) != 2 || got[0] != "one" || got[1] != "two" {
			t.Errorf("delivered %q, want the two that fit: one, two", got)
		}
		if discarded != 2 {
			t.Errorf("done was told of %d discarded, want 2", discarded)
		}
	})
}
