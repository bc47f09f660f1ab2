package suspend

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/engine"
	"github.com/wsfsm/wsfsm/vocab"
	"github.com/wsfsm/wsfsm/wstest"
)

// A spec may leave a dial state for one that does not shut the dial down
// (here: Suspended without shutdown_tcp) and come back: the next dial cancels
// the one still in flight, so Abort does not wait forever for a handshake
// that never ends. (This file is in the package to reach the generated
// tables; the suite's own tests are in package suspend_test.)
func TestNextDialCancelsTheOneLeftRunning(t *testing.T) {
	sp := &machine.Spec
	enter := slices.Clone(sp.Enter)
	enter[Suspended] = nil
	m := vocab.Machine{Binding: machine.Binding, Spec: engine.Spec{
		Name: sp.Name, States: sp.States, Events: sp.Events, Actions: sp.Actions, Guards: sp.Guards, Timers: sp.Timers,
		Initial: sp.Initial, Final: sp.Final, Edges: sp.Edges, Enter: enter, Exit: sp.Exit, Then: sp.Then, Timer: sp.Timer,
	}}
	srv := wstest.NewSequence("/echo", "hold", "/echo")
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := &Options{PingInterval: -1, BackoffInitial: time.Millisecond, BackoffMax: 5 * time.Millisecond, MinUptime: -1}
	wc, err := wsfsm.DialOf(ctx, srv.URL(), opts, &m, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{wc}
	go func() { _ = c.Reconnect(context.Background()) }() // its second dial is held
	<-srv.Held()
	if err := c.Suspend(ctx); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if err := c.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	aborted := make(chan struct{})
	go func() { _ = c.Abort(); close(aborted) }()
	select {
	case <-aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort still waits after 5 s: the dial left running was never cancelled")
	}
}
