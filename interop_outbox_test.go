package wsfsm_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/internal/interop"
)

// The outbox against peers not written in Go (Python websockets, Node ws),
// whose echo is the acknowledgement: the peer's /drop-after/3 echoes three
// messages per connection and cuts TCP, so ten messages written at once
// reach it over four connections or more, the unacknowledged ones written
// again first on each. Every message is acknowledged; the echoes counted
// per id are the copies the peer received and answered.
func TestInteropOutbox(t *testing.T) {
	interop.EachPeer(t, func(t *testing.T, peer interop.Peer) {
		var mu sync.Mutex
		echoed := map[string]int{}
		opts := fastOptions(newRecorder())
		opts.Outbox = &wsfsm.OutboxOptions{
			Track: jsonOutbox("").Track,
			Acks: func(_ wsfsm.MessageType, data []byte) wsfsm.Ack {
				var m jsonMsg
				if json.Unmarshal(data, &m) != nil || m.ID == "" {
					return wsfsm.Ack{}
				}
				mu.Lock()
				echoed[m.ID]++
				mu.Unlock()
				return wsfsm.Ack{IDs: []string{m.ID}}
			},
		}
		c := dial(t, peer.BaseURL+"/drop-after/3", opts)
		const n = 10
		var rs []*wsfsm.Receipt
		for i := range n {
			rs = append(rs, deliver(t, c, fmt.Sprint("p", i)))
		}
		waitAcked(t, rs...)
		mu.Lock()
		dups := 0
		for i := range n {
			switch k := echoed[fmt.Sprint("p", i)]; {
			case k == 0:
				t.Errorf("p%d acknowledged but never echoed", i)
			case k > 1:
				dups += k - 1
			}
		}
		mu.Unlock()
		st := c.OutboxStats()
		if st.Acknowledged != n || st.Waiting != 0 || c.Stats().Opens < 4 {
			t.Errorf("outbox %+v over %d connections; want %d acknowledged over 4 or more", st, c.Stats().Opens, n)
		}
		t.Logf("%s: %d messages over %d connections, %d written again, %d echoed twice or more", peer.Name, n, c.Stats().Opens, st.Resent, dups)
		if err := c.Close(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	})
}
