package closecode

import (
	"testing"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The table agrees with RFC 6455 7.4 on the codes that never go on the
// wire, and with gorilla on the codes it knows by name.
func TestTable(t *testing.T) {
	for code := -1; code <= 5001; code++ {
		i := Of(code)
		never := code < 1000 || code == 1004 || code == 1005 || code == 1006 || code == 1015 || code > 4999
		if i.Wire == never {
			t.Errorf("%d (%s): Wire %v", code, i.Name, i.Wire)
		}
		if i.ClientMay && !i.Wire {
			t.Errorf("%d: a client may send a code that never goes on the wire", code)
		}
		if i.Name == "" {
			t.Errorf("%d: no name", code)
		}
	}
	for code, want := range map[int]Retry{
		websocket.CloseNormalClosure: Stop, websocket.CloseGoingAway: Again,
		websocket.CloseAbnormalClosure: Again, websocket.CloseTryAgainLater: Later,
		websocket.CloseServiceRestart: Again, BadGateway: Again, websocket.CloseMessageTooBig: Stop,
		3000: Stop, 4000: App, 4999: App,
	} {
		if got := Of(code).Retry; got != want {
			t.Errorf("%d: Retry %d, want %d", code, got, want)
		}
	}
}
