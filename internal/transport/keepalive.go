package transport

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// keepalive pings on a single reusable timer (no goroutine of its own).
// The timer alternates between two phases: waiting for the next ping, and
// waiting pongTimeout for a sign of life after a ping.
type keepalive struct {
	l        *Link
	interval time.Duration
	timeout  time.Duration
	onRTT    func(time.Duration)

	mu       sync.Mutex
	timer    *time.Timer
	due      time.Time // when the current phase ends
	sentAt   time.Time
	lifeMark uint64 // l.life when the ping went out
	// seq numbers the ping in flight (its 8 B payload): 32 bits, with the
	// two flags beside it, put a keepalive in the 112 B size class (one per
	// idle Conn); a pong 2^32 pings late is the only one it could mistake.
	seq      uint32
	stopped  bool
	awaiting bool // a ping is out, no pong yet
}

// StartKeepalive pings every interval with a control frame (which never
// splits a data frame). Any frame from the peer (data, pong, ping, close)
// counts as life; if nothing arrives within pongTimeout after a ping, the
// link is aborted with cause ErrDeadPeer, so the reader's done gets an
// error matching ErrDeadPeer. onRTT (may be nil) receives each ping to pong
// round trip, on the reader goroutine. interval <= 0 disables keepalive;
// pongTimeout <= 0 means interval. Frames are only seen by a reader, so
// call StartReader too. The next ping goes out interval after the previous
// one, or as soon as its pong timeout ends if that is later. Close and
// Abort stop it; a second call does nothing.
func (l *Link) StartKeepalive(interval, pongTimeout time.Duration, onRTT func(time.Duration)) {
	if interval <= 0 {
		return
	}
	if pongTimeout <= 0 {
		pongTimeout = interval
	}
	k := &keepalive{l: l, interval: interval, timeout: pongTimeout, onRTT: onRTT}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closingShut.Load() || l.ka.Load() != nil {
		return
	}
	k.mu.Lock()
	k.due = time.Now().Add(interval)
	k.timer = time.AfterFunc(interval, k.fire)
	k.mu.Unlock()
	l.ka.Store(k)
}

func (l *Link) stopKeepalive() {
	if k := l.ka.Load(); k != nil {
		k.mu.Lock()
		k.stopped = true
		k.timer.Stop()
		k.mu.Unlock()
	}
}

// fire runs on the timer's goroutine at the end of a phase.
func (k *keepalive) fire() {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	now := time.Now()
	if now.Before(k.due) { // the phase moved (a pong came) while we fired
		k.timer.Reset(k.due.Sub(now))
		k.mu.Unlock()
		return
	}
	if k.awaiting {
		if k.l.life.Load() == k.lifeMark && !k.l.delivering.Load() {
			k.stopped = true
			k.mu.Unlock()
			k.l.AbortCause(ErrDeadPeer)
			return
		}
		// Something arrived, just not the pong: the peer is alive.
		k.awaiting = false
		k.scheduleNextLocked(now)
		k.mu.Unlock()
		return
	}
	k.awaiting = true
	k.sentAt = now
	k.lifeMark = k.l.life.Load()
	k.seq++
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], uint64(k.seq))
	k.due = now.Add(k.timeout)
	k.timer.Reset(k.timeout)
	k.mu.Unlock()
	// A failed ping needs no action: a broken link fails the reader, and a
	// ping stuck behind a blocked write ends as a dead peer.
	k.l.ws.WriteControl(websocket.PingMessage, payload[:], now.Add(k.timeout))
}

// scheduleNextLocked arms the timer for the next ping.
func (k *keepalive) scheduleNextLocked(now time.Time) {
	k.due = k.sentAt.Add(k.interval)
	if k.due.Before(now) {
		k.due = now
	}
	k.timer.Reset(k.due.Sub(now))
}

// onPong runs on the reader goroutine for every pong.
func (l *Link) onPong(data string) error {
	l.life.Add(1)
	k := l.ka.Load()
	if k == nil || len(data) != 8 {
		return nil
	}
	now := time.Now()
	k.mu.Lock()
	if k.stopped || !k.awaiting || binary.BigEndian.Uint64([]byte(data)) != uint64(k.seq) {
		k.mu.Unlock()
		return nil
	}
	rtt := now.Sub(k.sentAt)
	k.awaiting = false
	k.scheduleNextLocked(now)
	k.mu.Unlock()
	if k.onRTT != nil {
		k.onRTT(rtt)
	}
	return nil
}
