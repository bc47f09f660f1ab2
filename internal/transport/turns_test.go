package transport

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// Readers do not pile up behind a consumer that does not read: with out
// full and 50 links in a row, each aborted after StartReader (a reconnect
// storm), at most two readers are alive at any time (started, and not yet
// reported their end), and the one message read is delivered, first, once
// the consumer reads. synctest.Test checks that no reader outlives the test.
func TestReadersTakeTurnsSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := make(chan Message, 4)
		for range cap(out) {
			out <- Message{Data: []byte("earlier")}
		}
		ends := make(chan error, 50)
		var links []*Link
		var after Turn
		for i := range 50 {
			l, s := pipeLink(t, 0)
			go s.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "from link %d", i))
			l.StartReader(out, nil, after, func(err error, _ uint64) { ends <- err })
			synctest.Wait() // the reader holds its message, or waits for its turn
			l.Abort()
			synctest.Wait()
			if alive := i + 1 - len(ends); alive > 2 {
				t.Fatalf("after %d links: %d readers alive, want at most 2", i+1, alive)
			}
			after = l.Turn()
			links = append(links, l)
		}
		if n := len(ends); n != 49 {
			t.Errorf("%d readers ended before the consumer read, want the 49 that held nothing", n)
		}
		var got []string
		for range cap(out) + 1 {
			got = append(got, string((<-out).Data))
		}
		if want := "[earlier earlier earlier earlier from link 0]"; fmt.Sprint(got) != want {
			t.Errorf("delivered %v, want %v", got, want)
		}
		for range 50 { // the 49, then reader 0, once it delivered
			if err := <-ends; !errors.Is(err, ErrAborted) {
				t.Errorf("a reader ended with %v, want ErrAborted", err)
			}
		}
		for i, l := range links {
			<-l.Done()
			if n := l.discarded.Load(); n != 0 {
				t.Errorf("link %d discarded %d messages", i, n)
			}
		}
		// The last reader returns after closing Done: synctest.Test fails
		// if any goroutine of the bubble is left blocked.
	})
}

// over reports whether t's turn is over, as a reader given its Turn sees
// it: done closed, and, if its reader was cut, the turn it waited for over.
func over(t *turn) bool {
	for {
		select {
		case <-t.done:
			if t.prev == nil {
				return true
			}
			t = t.prev
		default:
			return false
		}
	}
}

// holdingReader returns a link first in line whose reader read msg and holds
// it for out, a consumer that has not read yet, and out. Call it inside a
// bubble.
func holdingReader(t *testing.T, msg string) (*Link, chan Message) {
	t.Helper()
	out := make(chan Message)
	l, s := pipeLink(t, 0)
	go s.WriteMessage(websocket.TextMessage, []byte(msg))
	l.StartReader(out, nil, Turn{}, nil)
	synctest.Wait()
	return l, out
}

// The next link's messages come after the previous link's, even while the
// previous reader still holds one.
func TestReadersDeliverInOrderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, out := holdingReader(t, "a1")
		first.Abort() // a reconnect: its reader holds a1

		second, s2 := pipeLink(t, 0)
		go func() {
			s2.WriteMessage(websocket.TextMessage, []byte("b1"))
			s2.WriteMessage(websocket.TextMessage, []byte("b2"))
		}()
		second.StartReader(out, nil, first.Turn(), nil)
		synctest.Wait()
		var got []string
		for range 3 {
			got = append(got, string((<-out).Data))
		}
		if fmt.Sprint(got) != "[a1 b1 b2]" {
			t.Errorf("delivered %v, want [a1 b1 b2]", got)
		}
	})
}

// A reader waiting for its turn is not reading: keepalive does not take the
// silence for a dead peer. Once its turn comes, a silent peer is found.
func TestWaitingReaderIsNotDeadPeerSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prev, _ := pipeLink(t, 0) // its reader's turn lasts until it is aborted
		prev.StartReader(make(chan Message, 1), nil, Turn{}, nil)
		l, _ := pipeLink(t, 0) // the peer never answers pings
		errc := make(chan error, 1)
		l.StartReader(make(chan Message, 1), nil, prev.Turn(), func(err error, _ uint64) { errc <- err })
		l.StartKeepalive(10*time.Millisecond, 20*time.Millisecond, nil)
		time.Sleep(time.Second)
		testkit.NothingOn(t, errc, "link ended while its reader waited for its turn: %v")
		prev.Abort() // its reader ends: l's turn
		start := time.Now()
		if err := <-errc; !errors.Is(err, ErrDeadPeer) {
			t.Fatalf("reader ended with %v, want ErrDeadPeer", err)
		}
		if d := time.Since(start); d > 40*time.Millisecond {
			t.Errorf("dead peer found %v after the turn came, want within a ping and a pong timeout", d)
		}
	})
}

// Close while the reader waits for its turn: the reader reads up to the
// peer's close frame, discarding what came before it, so the close
// handshake completes while the reader it waits for still holds a message.
// It will deliver nothing: its ReaderDone closes with that reader's, so the
// next reader waits for the message held, and for nothing more.
func TestCloseWhileReaderWaitsSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prev, out := holdingReader(t, "held")

		l, s := pipeLink(t, 0)
		go func() {
			s.WriteMessage(websocket.TextMessage, []byte("never delivered"))
			for {
				if _, _, err := s.ReadMessage(); err != nil {
					return // gorilla answered our close frame
				}
			}
		}()
		errc := make(chan error, 1)
		l.StartReader(out, nil, prev.Turn(), func(err error, _ uint64) { errc <- err })
		synctest.Wait()
		res, err := l.Close(context.Background(), websocket.CloseGoingAway, "bye")
		if err != nil || !res.Completed || res.PeerCode != websocket.CloseGoingAway {
			t.Fatalf("Close = %+v, %v; want completed with 1001", res, err)
		}
		var ce *CloseError
		if err := <-errc; !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("reader ended with %v, want *CloseError 1001", err)
		}
		<-l.Done()
		if over(l.turn) {
			t.Error("ReaderDone closed while the reader it waited for holds a message: the next reader would deliver first")
		}
		if m := <-out; string(m.Data) != "held" {
			t.Errorf("delivered %q, want held", m.Data)
		}
		prev.Abort()
		<-prev.turn.done
		synctest.Wait()
		if !over(l.turn) {
			t.Error("ReaderDone still open: the next reader would wait for one that delivers nothing")
		}
		select {
		case m := <-out:
			t.Errorf("delivered %q after Close began", m.Data)
		default:
		}
		if n := l.discarded.Load(); n != 1 {
			t.Errorf("discarded %d, want 1", n)
		}
	})
}

// Places passed in line pass on: with a, b and c in line behind a reader
// holding a message, c aborted while it waits (it passes its place to b),
// then b (to a, with c's), both ReaderDones close once a's reader is
// done, and a reader after c delivers after a's message.
func TestPassedTurnsPassOnSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, out := holdingReader(t, "a1")
		b, _ := pipeLink(t, 0)
		b.StartReader(out, nil, a.Turn(), nil)
		c, _ := pipeLink(t, 0)
		c.StartReader(out, nil, b.Turn(), nil)
		synctest.Wait()
		c.Abort()
		synctest.Wait()
		b.Abort()
		synctest.Wait()
		d, sd := pipeLink(t, 0)
		go sd.WriteMessage(websocket.TextMessage, []byte("d1"))
		d.StartReader(out, nil, c.Turn(), nil)
		synctest.Wait()
		for _, l := range []*Link{b, c} {
			if over(l.turn) {
				t.Fatal("a ReaderDone closed while a's reader holds a message")
			}
		}
		var got []string
		for range 2 {
			got = append(got, string((<-out).Data))
			a.Abort() // a's reader ends after handing a1 over
		}
		if fmt.Sprint(got) != "[a1 d1]" {
			t.Errorf("delivered %v, want [a1 d1]", got)
		}
		for i, l := range []*Link{a, b, c} {
			if !over(l.turn) {
				t.Errorf("ReaderDone of link %d still open after its reader and those before ended", i)
			}
		}
	})
}

// A line of links keeps no finished link alive, however long: 1,000 links
// in a row, each reader aborted while it waits behind the first (which
// holds a message), then the first delivers and ends; with only the last
// link's Turn kept, as a Conn keeps it for its next reader, every link is
// collected, and every place in line but the last and the one it waited
// for when it was cut (the first: each cut reader waited for it, having
// walked past those cut before).
func TestLineKeepsNoFinishedLinkSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 1000
		out := make(chan Message) // a consumer that has not read yet
		var after Turn
		links := make([]weak.Pointer[Link], n)
		places := make([]weak.Pointer[turn], n)
		for i := range n {
			l, s := dialPipe(t, 0)
			if i == 0 {
				go s.WriteMessage(websocket.TextMessage, []byte("first"))
			}
			l.StartReader(out, nil, after, nil)
			synctest.Wait() // the first reader holds its message, the others wait
			l.Abort()
			synctest.Wait()
			s.Close()
			after = l.Turn()
			links[i], places[i] = weak.Make(l), weak.Make(l.turn)
		}
		if m := <-out; string(m.Data) != "first" {
			t.Fatalf("delivered %q, want first", m.Data)
		}
		synctest.Wait() // every reader has returned
		if !over(after.t) {
			t.Fatal("the last link's ReaderDone is open after every reader ended")
		}
		var liveLinks, livePlaces int
		for range 10 {
			runtime.GC()
			liveLinks, livePlaces = 0, 0
			for i := range n {
				if links[i].Value() != nil {
					liveLinks++
				}
				if places[i].Value() != nil {
					livePlaces++
				}
			}
			if liveLinks == 0 && livePlaces == 2 {
				break
			}
		}
		if liveLinks != 0 || livePlaces != 2 || places[n-1].Value() != after.t || places[0].Value() != after.t.prev {
			t.Errorf("%d links and %d places in line still reachable, want none but the last place and the first", liveLinks, livePlaces)
		}
	})
}

// With no reader ever started, ReaderDone closes when the link is finished,
// so a next reader never waits for one that does not exist.
func TestReaderDoneWithoutReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := pipeLink(t, 0)
		if over(l.turn) {
			t.Fatal("ReaderDone closed on a live link with no reader yet")
		}
		l.Abort()
		<-l.turn.done
		<-l.Done()
	})
}

// An application handshake runs before the reader: WriteMessage, then
// ReadMessage, then StartReader delivers what follows.
func TestReadMessageBeforeReaderSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		go func() {
			if _, m, err := s.ReadMessage(); err != nil || string(m) != `{"type":"connection_init"}` {
				s.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4400, "init first"), time.Now().Add(time.Second))
				return
			}
			s.WriteMessage(websocket.TextMessage, []byte(`{"type":"connection_ack"}`))
			s.WriteMessage(websocket.TextMessage, []byte("data"))
		}()
		ctx := t.Context()
		if err := l.WriteMessage(ctx, websocket.TextMessage, []byte(`{"type":"connection_init"}`)); err != nil {
			t.Fatal(err)
		}
		typ, data, err := l.ReadMessage(ctx)
		if err != nil || typ != websocket.TextMessage || string(data) != `{"type":"connection_ack"}` {
			t.Fatalf("ReadMessage = %d %q %v, want the ack", typ, data, err)
		}
		msgs, _ := reader(l)
		if m := <-msgs; string(m.Data) != "data" {
			t.Errorf("reader got %q, want data", m.Data)
		}
		if _, _, err := l.ReadMessage(ctx); !errors.Is(err, errReaderRunning) {
			t.Errorf("ReadMessage with a reader running = %v, want errReaderRunning", err)
		}
	})
}

// ReadMessages run one at a time: a second one waits for the first, then
// reads the next message.
func TestReadMessageOneAtATimeSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		first := make(chan string, 1)
		go func() {
			_, m, _ := l.ReadMessage(context.Background())
			first <- string(m)
		}()
		synctest.Wait()
		second := make(chan string, 1)
		go func() {
			_, m, _ := l.ReadMessage(t.Context())
			second <- string(m)
		}()
		synctest.Wait()
		go func() {
			s.WriteMessage(websocket.TextMessage, []byte("1"))
			s.WriteMessage(websocket.TextMessage, []byte("2"))
		}()
		if a, b := <-first, <-second; a != "1" || b != "2" {
			t.Errorf("the two ReadMessages got %q and %q, want 1 and 2", a, b)
		}
	})
}

// ctx ending returns its cause at once and leaves the link alive: the read
// goes on, and what it reads goes to the next reader (issue 17 item 11: an
// abandoned handshake read aborted the link with context.Canceled, which
// then classified as a permanent stop).
func TestReadMessageCtxLeavesTheReadSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, _, err := l.ReadMessage(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrAborted) {
			t.Fatalf("ReadMessage = %v, want the deadline and no abort", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("ReadMessage returned after %v, want 1s", d)
		}
		go func() {
			s.WriteMessage(websocket.TextMessage, []byte("read by the one who left"))
			s.WriteMessage(websocket.TextMessage, []byte("read by the reader"))
		}()
		synctest.Wait() // the abandoned read has its message: the reader waits for nothing
		msgs, _ := reader(l)
		for _, want := range []string{"read by the one who left", "read by the reader"} {
			if m := <-msgs; string(m.Data) != want {
				t.Errorf("reader got %q, want %q", m.Data, want)
			}
		}
	})
}

// Unread hands messages on to the next reader, in order, before what it
// reads.
func TestUnreadGoesFirstSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		l.dial = 7
		l.Unread(Message{Type: websocket.BinaryMessage, Data: []byte("a")})
		l.Unread(Message{Type: websocket.BinaryMessage, Data: []byte("b")})
		if _, m, err := l.ReadMessage(t.Context()); err != nil || string(m) != "a" {
			t.Fatalf("ReadMessage = %q %v, want a", m, err)
		}
		go s.WriteMessage(websocket.BinaryMessage, []byte("c"))
		msgs, _ := reader(l)
		for _, want := range []string{"b", "c"} {
			if m := <-msgs; string(m.Data) != want || m.Dial != 7 {
				t.Errorf("reader got %q from dial %d, want %q from 7", m.Data, m.Dial, want)
			}
		}
	})
}

// A close frame met by ReadMessage is answered and ends the link for good:
// the same error from a later ReadMessage, from a later reader's done (at
// once), and Close reports the completed handshake.
func TestReadMessageMeetsCloseSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		answered := make(chan int, 1)
		go func() {
			s.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4403, "forbidden"), time.Now().Add(time.Second))
			_, _, err := s.ReadMessage()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				answered <- ce.Code
			}
			close(answered)
		}()
		_, _, err := l.ReadMessage(t.Context())
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != 4403 || ce.Reason != "forbidden" {
			t.Fatalf("ReadMessage = %v, want *CloseError 4403 forbidden", err)
		}
		if code := <-answered; code != 4403 {
			t.Errorf("peer got close %d back, want 4403", code)
		}
		<-l.Done()
		if _, _, again := l.ReadMessage(t.Context()); !errors.As(again, &ce) || ce.Code != 4403 {
			t.Errorf("second ReadMessage = %v, want the same close", again)
		}
		_, errc := reader(l)
		if err := <-errc; !errors.As(err, &ce) || ce.Code != 4403 {
			t.Errorf("a reader started after it ended with %v, want the same close", err)
		}
		res, err := l.Close(t.Context(), websocket.CloseNormalClosure, "")
		if err != nil || !res.Completed || res.PeerCode != 4403 {
			t.Errorf("Close = %+v, %v; want the completed handshake with 4403", res, err)
		}
	})
}

// ReadMessage checks text like the reader does.
func TestReadMessageInvalidUTF8Synctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		answered := make(chan int, 1)
		go func() {
			s.WriteMessage(websocket.TextMessage, []byte{'a', 0xff})
			_, _, err := s.ReadMessage()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				answered <- ce.Code
			}
			close(answered)
		}()
		if _, _, err := l.ReadMessage(t.Context()); !errors.Is(err, ErrInvalidUTF8) {
			t.Fatalf("ReadMessage = %v, want ErrInvalidUTF8", err)
		}
		if code := <-answered; code != websocket.CloseInvalidFramePayloadData {
			t.Errorf("peer got close %d, want 1007", code)
		}
	})
}

// Close during a ReadMessage waits for it, then completes the handshake.
func TestCloseDuringReadMessageSynctest(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		serveReads(s) // gorilla answers our close frame
		readErr := make(chan error, 1)
		go func() {
			_, _, err := l.ReadMessage(context.Background())
			readErr <- err
		}()
		synctest.Wait()
		res, err := l.Close(t.Context(), websocket.CloseNormalClosure, "")
		if err != nil || !res.Completed {
			t.Fatalf("Close = %+v, %v; want completed", res, err)
		}
		var ce *CloseError
		if err := <-readErr; !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
			t.Errorf("ReadMessage = %v, want the peer's 1000", err)
		}
	})
}

// A reader started on a link that ended before it, behind a reader that
// holds a message, ends at once and delivers nothing; its link's turn, over
// already, stays over, and the reader it waited for then ends normally
// (it closed the turn's done a second time when that reader ended).
func TestReaderStartedAfterTheEndSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, out := holdingReader(t, "a1")
		l, _ := pipeLink(t, 0)
		l.Abort()
		<-l.Done() // no reader: its turn is over
		errc := make(chan error, 1)
		l.StartReader(out, nil, a.Turn(), func(err error, _ uint64) { errc <- err })
		if err := <-errc; !errors.Is(err, ErrAborted) {
			t.Errorf("reader ended with %v, want ErrAborted", err)
		}
		if !over(l.turn) {
			t.Error("the turn of a link that ended before its reader started is no longer over")
		}
		a.Abort()
		if m := <-out; string(m.Data) != "a1" {
			t.Errorf("delivered %q, want a1", m.Data)
		}
		<-a.Done()
	})
}
