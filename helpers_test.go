package wsfsm_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/fsm"
	"github.com/wsfsm/wsfsm/wsfsmtest"
	"github.com/wsfsm/wsfsm/wstest"
)

// TestMain checks, after the whole suite, that every (event, from-state) pair of
// the generated transition table was taken by some test, and that no goroutine
// was left behind.
func TestMain(m *testing.M) {
	var table []wsfsmtest.Edge
	for _, e := range fsm.Table() {
		table = append(table, wsfsmtest.Edge{Event: e.Event, From: e.From})
	}
	os.Exit(wsfsmtest.Main(m, coverage, table))
}

// coverage records the (event, from) pairs the suite took.
var coverage = &wsfsmtest.Set{}

// recorder collects a Conn's transitions for assertions.
type recorder = wsfsmtest.Recorder[fsm.State, fsm.Event]

func newRecorder() *recorder { return wsfsmtest.NewRecorder[fsm.State, fsm.Event](coverage) }

// fastOptions are options for tests: short timers so that a scenario takes
// milliseconds, and a recorder.
func fastOptions(rec *recorder) *wsfsm.Options { return rec.FastOptions() }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newServer(t testing.TB, opts ...wstest.Option) *wstest.Server {
	s := wstest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func dial(t testing.TB, url string, opts *wsfsm.Options) *wsfsm.Conn {
	t.Helper()
	c, err := wsfsm.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.Abort() })
	return c
}

// expectPath compares the states the observer saw with want, once it saw
// want's last state (the observer runs on its own goroutine: Close and Abort
// do not wait for it).
func expectPath(t testing.TB, rec *recorder, want string) {
	t.Helper()
	last := want[strings.LastIndex(want, ">")+1:]
	wsfsmtest.Eventually(t, "the observer sees "+last, func() bool { return strings.HasSuffix(rec.Path(), last) })
	if got := rec.Path(); got != want {
		t.Errorf("states:\n got %s\nwant %s", got, want)
	}
}

// echoAcrossDrop echoes one message on c, whose server then drops TCP
// (/drop-after/1): the Conn aborts with a 1006 CloseError, opens again, and
// echoes another on the new connection.
func echoAcrossDrop(t testing.TB, c *wsfsm.Conn, rec *recorder) {
	t.Helper()
	echo(t, c, "one")
	tr := rec.WaitFor(t, fsm.Aborted)
	var ce *wsfsm.CloseError
	if !errors.As(tr.Cause, &ce) || ce.Code != 1006 {
		t.Errorf("abort cause %v, want a 1006 CloseError", tr.Cause)
	}
	rec.WaitFor(t, fsm.Open)
	echo(t, c, "two")
}

// echo sends msg and expects it back.
func echo(t testing.TB, c *wsfsm.Conn, msg string) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Send(ctx, wsfsm.Text, []byte(msg)); err != nil {
		t.Fatalf("Send(%q): %v", msg, err)
	}
	typ, got, err := c.Receive(ctx)
	if err != nil || typ != wsfsm.Text || string(got) != msg {
		t.Fatalf("Receive = %v %q %v, want text %q", typ, got, err, msg)
	}
}

// newSeqServer is a wstest.Sequence over paths, closed with the test.
func newSeqServer(t testing.TB, paths ...string) *wstest.Sequence {
	s := wstest.NewSequence(paths...)
	t.Cleanup(s.Close)
	return s
}
