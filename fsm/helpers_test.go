package fsm_test

import (
	"fmt"
	"time"

	"github.com/wsfsm/wsfsm/fsm"
)

// recorder implements Actions, Guards and Durations, and logs every call.
type recorder struct {
	mayRetry bool
	log      []string
	// onAction, if set, runs inside every action (to try re-entrant calls).
	onAction func(name string, t fsm.Transition)
	onGuard  func(t fsm.Transition)
}

func (r *recorder) act(name string, t fsm.Transition) {
	r.log = append(r.log, fmt.Sprintf("%s(%v:%v->%v)", name, t.Event, t.From, t.To))
	if r.onAction != nil {
		r.onAction(name, t)
	}
}

func (r *recorder) Dial(t fsm.Transition)            { r.act("dial", t) }
func (r *recorder) StartIO(t fsm.Transition)         { r.act("start_io", t) }
func (r *recorder) SendClose(t fsm.Transition)       { r.act("send_close", t) }
func (r *recorder) ShutdownTCP(t fsm.Transition)     { r.act("shutdown_tcp", t) }
func (r *recorder) ScheduleBackoff(t fsm.Transition) { r.act("schedule_backoff", t) }
func (r *recorder) Release(t fsm.Transition)         { r.act("release", t) }

func (r *recorder) MayRetry(t fsm.Transition) bool {
	r.log = append(r.log, fmt.Sprintf("may_retry(%v:%v->%v)=%v", t.Event, t.From, t.To, r.mayRetry))
	if r.onGuard != nil {
		r.onGuard(t)
	}
	return r.mayRetry
}

func (r *recorder) HandshakeTimeout() time.Duration { return 10 * time.Second }
func (r *recorder) CloseTimeout() time.Duration     { return 5 * time.Second }
func (r *recorder) Backoff() time.Duration          { return 250 * time.Millisecond }

var (
	_ fsm.Actions   = (*recorder)(nil)
	_ fsm.Guards    = (*recorder)(nil)
	_ fsm.Durations = (*recorder)(nil)
)
