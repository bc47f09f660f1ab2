package transport

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/gorilla/websocket"
)

// The filter sees every message in order, on the reader, before delivery;
// what it takes never reaches out, even while the consumer takes nothing.
func TestFilterSeesEveryMessageFirst(t *testing.T) {
	inPipe(t, func(t *testing.T, l *Link, s *websocket.Conn) {
		go func() {
			for _, m := range []string{"ack 1", "data", "ack 2", "ack 3"} {
				s.WriteMessage(websocket.TextMessage, []byte(m))
			}
		}()
		var seen []string
		l.SetFilter(func(m Message) bool {
			seen = append(seen, string(m.Data))
			return string(m.Data) == "data"
		})
		out := make(chan Message) // unbuffered: nobody takes "data" until the end
		errc := make(chan error, 1)
		l.StartReader(out, nil, Turn{}, func(err error, _ uint64) { errc <- err })
		synctest.Wait()
		if len(seen) != 2 {
			t.Fatalf("filter saw %q before the consumer took anything, want ack 1 and data", seen)
		}
		if m := <-out; string(m.Data) != "data" {
			t.Errorf("delivered %q", m.Data)
		}
		synctest.Wait()
		if want := []string{"ack 1", "data", "ack 2", "ack 3"}; len(seen) != 4 || seen[2] != want[2] || seen[3] != want[3] {
			t.Errorf("filter saw %q, want %q", seen, want)
		}
		l.Abort()
		if err := <-errc; !errors.Is(err, ErrAborted) {
			t.Errorf("done(%v), want ErrAborted", err)
		}
		select {
		case m := <-out:
			t.Errorf("delivered %q, which the filter took", m.Data)
		default:
		}
	})
}
