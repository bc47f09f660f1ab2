package closecode

import (
	"strings"
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

// The ranges a client may send, as messages name them, are RFC 6455's
// (section 7.4.1): not 1004-1006, 1011-1015 or 1016-2999.
func TestClientMayRanges(t *testing.T) {
	if got, want := ClientMayRanges(), "1000-1003, 1007-1010 or 3000-4999"; got != want {
		t.Errorf("ClientMayRanges() = %q, want %q", got, want)
	}
}

func TestCheckReason(t *testing.T) {
	for reason, ok := range map[string]bool{"": true, strings.Repeat("r", MaxReason): true, strings.Repeat("r", MaxReason+1): false, "\xff": false, "élan": true} {
		if err := CheckReason(reason); (err == nil) != ok {
			t.Errorf("CheckReason(%.10q) = %v, want ok %v", reason, err, ok)
		}
	}
}

func TestMeaning(t *testing.T) {
	for code, want := range map[int]string{1000: "normal closure", 1006: "abnormal closure: connection closed without a close frame", 4001: "application 4001: private: its meaning is the application's", 999: "invalid 999: not a defined close code"} {
		if got := Of(code).Meaning(); got != want {
			t.Errorf("Of(%d).Meaning() = %q, want %q", code, got, want)
		}
	}
}
