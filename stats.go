package wsfsm

import (
	"github.com/wsfsm/wsfsm/fsm"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the reference machine's Conn counters. It is an
// instance of StatsOf, where its fields are documented.
type Stats = StatsOf[fsm.State]

// StatsOf is a snapshot of a Conn's counters since Dial, for a machine whose
// states are S.
type StatsOf[S Enum] struct {
	// State is the current state.
	State S
	// Dials counts dial attempts, the first one included.
	Dials uint64
	// Opens counts connections whose reader started (Open).
	Opens uint64
	// Reconnects counts entries into a state that runs schedule_backoff
	// (Reconnecting).
	Reconnects uint64
	// Aborts counts connections or dials shut down without a completed close
	// handshake.
	Aborts uint64
	// MessagesSent and BytesSent count messages Send reported written.
	MessagesSent, BytesSent uint64
	// MessagesReceived and BytesReceived count messages Receive handed out.
	MessagesReceived, BytesReceived uint64
	// MessagesDiscarded counts messages read after Close or Abort that found
	// no room in the receive buffer (Options.ReceiveBuffer) and were dropped
	// rather than make the close wait for Receive.
	MessagesDiscarded uint64
	// SendsWaiting is how many Sends wait for a connection, or for their
	// turn behind the Sends called before them.
	SendsWaiting int
	// RTT is the last keepalive round trip, zero before the first pong.
	RTT time.Duration
	// CloseCode and CloseReason are from the last close frame the peer sent
	// (1006 when a connection ended without one); zero before any.
	CloseCode   int
	CloseReason string
}

// counters are the live values behind Stats, updated without locks.
type counters struct {
	dials, opens, reconnects, aborts atomic.Uint64
	msgsSent, bytesSent              atomic.Uint64
	msgsReceived, bytesReceived      atomic.Uint64
	msgsDiscarded                    atomic.Uint64
	rtt                              atomic.Int64
	closeCode                        atomic.Int64
	closeReason                      atomic.Pointer[string]
	lastDialErr                      atomic.Pointer[error]
}

// Stats returns a snapshot of the counters.
func (c *ConnOf[S, E]) Stats() StatsOf[S] {
	s := StatsOf[S]{
		State:             c.State(),
		Dials:             c.stats.dials.Load(),
		Opens:             c.stats.opens.Load(),
		Reconnects:        c.stats.reconnects.Load(),
		Aborts:            c.stats.aborts.Load(),
		MessagesSent:      c.stats.msgsSent.Load(),
		BytesSent:         c.stats.bytesSent.Load(),
		MessagesReceived:  c.stats.msgsReceived.Load(),
		BytesReceived:     c.stats.bytesReceived.Load(),
		MessagesDiscarded: c.stats.msgsDiscarded.Load(),
		RTT:               time.Duration(c.stats.rtt.Load()),
		CloseCode:         int(c.stats.closeCode.Load()),
	}
	c.mu.Lock()
	s.SendsWaiting = len(c.sendQ)
	c.mu.Unlock()
	if r := c.stats.closeReason.Load(); r != nil {
		s.CloseReason = *r
	}
	return s
}
