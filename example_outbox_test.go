package wsfsm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/wstest"
)

// An outbox over a small JSON protocol: each message the application must
// not lose carries an "id"; the server answers {"ack":[ids...]}. The server
// here (wstest's /ack) acknowledges two messages at a time and cuts TCP
// after the 4th message of each connection, before acknowledging it: 3 and
// 4 were written (Send returned nil) but never acknowledged, so the next
// connection carries them again, first and in order, and the server sees
// them twice (it must deduplicate by id).
func ExampleConnOf_Deliver() {
	srv := wstest.NewServer(wstest.Logf(func(format string, args ...any) {
		fmt.Printf("server: "+format+"\n", args...)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	type message struct {
		ID   string   `json:"id,omitempty"`
		Text string   `json:"text,omitempty"`
		Ack  []string `json:"ack,omitempty"`
	}
	opts := &wsfsm.Options{Outbox: &wsfsm.OutboxOptions{
		// Messages with an id wait for their acknowledgement.
		Track: func(_ wsfsm.MessageType, data []byte) (string, bool) {
			var m message
			if json.Unmarshal(data, &m) != nil || m.ID == "" {
				return "", false
			}
			return m.ID, true
		},
		// {"ack":[...]} acknowledges those ids; nothing else does.
		Acks: func(_ wsfsm.MessageType, data []byte) wsfsm.Ack {
			var m message
			if json.Unmarshal(data, &m) != nil {
				return wsfsm.Ack{}
			}
			return wsfsm.Ack{IDs: m.Ack}
		},
	}}
	c, err := wsfsm.Dial(ctx, srv.URL("/ack?every=2&drop=4"), opts)
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	defer c.Close(ctx)

	var receipts []*wsfsm.Receipt
	for i := 1; i <= 4; i++ {
		data, _ := json.Marshal(message{ID: fmt.Sprint(i), Text: "hello"})
		r, err := c.Deliver(ctx, wsfsm.Text, data) // returns once written
		if err != nil {
			fmt.Println("deliver:", err)
			return
		}
		receipts = append(receipts, r)
		if i == 2 { // let the first two be acknowledged before going on
			receipts[0].Wait(ctx)
			receipts[1].Wait(ctx)
		}
	}
	for _, r := range receipts {
		if err := r.Wait(ctx); err != nil { // the peer acknowledged it
			fmt.Println(r.ID(), err)
		}
	}
	st := c.OutboxStats()
	fmt.Printf("client: %d acknowledged, %d written again, %d waiting\n", st.Acknowledged, st.Resent, st.Waiting)
	// Output:
	// server: ack: conn 0: message 1 id 1
	// server: ack: conn 0: message 2 id 2
	// server: ack: conn 0: sent {"ack":["1","2"]}
	// server: ack: conn 0: message 3 id 3
	// server: ack: conn 0: message 4 id 4, then drop (no ack)
	// server: ack: conn 1: message 1 id 3 (duplicate)
	// server: ack: conn 1: message 2 id 4 (duplicate)
	// server: ack: conn 1: sent {"ack":["3","4"]}
	// client: 4 acknowledged, 2 written again, 0 waiting
}
