package wsfsm

import (
	"slices"
	"testing"

	"github.com/wsfsm/wsfsm/internal/transport"
)

// What an acknowledgement covers, on entries placed by hand: a cumulative
// one covers the messages first written before it on its connection, not
// those waiting from another connection nor those written later; no
// acknowledgement counts for a message reserved and not yet written (its id
// may be an old one reused); an unknown id changes nothing.
func TestOutboxAckCoverage(t *testing.T) {
	ob, err := newOutbox(&OutboxOptions{
		Track: func(MessageType, []byte) (string, bool) { return "", false },
		Acks: func(_ MessageType, data []byte) Ack {
			if s := string(data); len(s) > 5 && s[:5] == "upto " {
				return Ack{UpTo: s[5:]}
			}
			return Ack{IDs: []string{string(data)}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	l1, l2 := new(transport.Link), new(transport.Link) // compared, never used
	place := func(id string, link *transport.Link, wseq uint64, stored bool) *entry {
		e := &entry{msg: OutboxMessage{ID: id}, link: link, wseq: wseq, stored: stored, receipt: newReceipt(id)}
		ob.byID[id] = e
		ob.count++
		if stored {
			ob.list = append(ob.list, e)
		}
		return e
	}
	a := place("a", l1, 1, true)   // waiting from an earlier connection
	b := place("b", l2, 2, true)   // written on l2 before c
	c := place("c", l2, 3, true)   // the one acknowledged cumulatively
	d := place("d", l2, 4, true)   // written after c
	e := place("e", nil, 0, false) // reserved, not written yet
	f := place("f", l2, 5, false)  // writing: its first write is still returning
	if ob.received(1, []byte("e")) || ob.received(1, []byte("nobody")) {
		t.Error("an acknowledgement went on to Receive")
	}
	ob.received(1, []byte("upto c"))
	ob.received(1, []byte("f"))
	got := map[string]bool{}
	for _, x := range []*entry{a, b, c, d, e, f} {
		got[x.msg.ID] = x.acked
	}
	want := map[string]bool{"a": false, "b": true, "c": true, "d": false, "e": false, "f": true}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s acknowledged: %v, want %v", id, got[id], w)
		}
	}
	var left []string
	for _, x := range ob.list {
		left = append(left, x.msg.ID)
	}
	if !slices.Equal(left, []string{"a", "d"}) || ob.acked != 2 {
		t.Errorf("waiting %v, %d acknowledged; want a, d waiting and b, c acknowledged (f once its write returns)", left, ob.acked)
	}
	if err := ob.commit(f); err != nil || f.receipt.Err() != nil || ob.acked != 3 {
		t.Errorf("commit of f acknowledged while writing: %v, receipt %v, %d acknowledged", err, f.receipt.Err(), ob.acked)
	}
}
