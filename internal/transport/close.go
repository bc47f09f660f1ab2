package transport

import (
	"context"
	"errors"
	"syscall"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/closecode"
)

// CloseResult tells how a graceful close ended.
type CloseResult struct {
	Completed  bool   // the peer's close frame arrived: the handshake completed
	PeerCode   int    // the peer's close code; 1006 if TCP closed with no close frame; 0 if unknown
	PeerReason string // the peer's reason text
}

// maxReasonBytes is the room for a reason in a close frame (125 - 2).
const maxReasonBytes = 123

// Close performs the graceful close handshake. It refuses new writes, lets a
// WriteMessage in progress finish, sends a close frame with code and reason
// (reason cut to 123 bytes), waits for the peer's close frame or its TCP
// close, then shuts TCP. The wait uses the running reader if StartReader
// was called, else Close reads (and discards) by itself, after a
// ReadMessage in progress has returned.
//
// Close has no timer of its own: it is bounded by ctx, and by an abort of
// the link, which makes it return at once (the caller's close timer aborts
// the link, e.g. with AbortCause(ErrCloseTimeout)). When ctx ends first,
// the link is aborted with ctx's cause. In both cases the error matches
// ErrAborted and the cause. If the peer closed first (the reader saw and
// answered its close frame), Close only shuts TCP and reports Completed. A
// peer that closed TCP without a close frame gives Completed false,
// PeerCode 1006 and a nil error; so does one that reset TCP (RST) during the
// close, as servers often answer a goodbye. Close on an aborted link returns an error
// wrapping ErrAborted. Codes that may not be sent (closecode.Info.Wire
// false) go out as an empty close frame (1005).
func (l *Link) Close(ctx context.Context, code int, reason string) (CloseResult, error) {
	l.mu.Lock()
	if l.abortErr != nil {
		err := l.abortErr
		l.mu.Unlock()
		return l.result(), opErr("close", err)
	}
	l.beginClosingLocked()
	second := l.closeCalled
	l.closeCalled = true
	selfRead := l.readerState == readerNone
	if selfRead {
		l.readerState = readerSelf
	}
	aborted, readEnded := l.abortedChLocked(), l.readEndedChLocked()
	l.mu.Unlock()
	l.stopKeepalive()
	stop := context.AfterFunc(ctx, func() { l.AbortCause(context.Cause(ctx)) })
	defer stop()

	if second {
		select {
		case <-readEnded:
		case <-aborted:
		}
		return l.result(), l.closeErr()
	}

	wmu := l.writeLock()
	select {
	case wmu <- struct{}{}:
	case <-aborted:
		return l.result(), l.closeErr()
	}
	l.mu.Lock()
	answered := l.peerClosed || l.tcpClosed
	l.mu.Unlock()
	if !answered {
		// An error here means TCP is broken (the wait below ends at once);
		// ErrCloseSent means the reader answered a close frame meanwhile.
		deadline, _ := ctx.Deadline()
		l.ws.WriteControl(websocket.CloseMessage, closePayload(code, reason), deadline)
	}
	<-wmu

	if selfRead {
		select {
		case l.rmu <- struct{}{}: // a ReadMessage in progress has returned
		case <-aborted:
			return l.result(), l.closeErr()
		}
		l.mu.Lock()
		ended := l.readErr != nil
		l.mu.Unlock()
		if !ended {
			var err error
			for err == nil {
				_, _, err = l.ws.NextReader()
			}
			l.endRead(err)
		}
		<-l.rmu
	} else {
		select {
		case <-readEnded:
		case <-aborted:
			return l.result(), l.closeErr()
		}
	}
	l.closeTCP()
	return l.result(), l.closeErr()
}

// result reads what is known about the peer's side of the close.
func (l *Link) result() CloseResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.peerClosed {
		return CloseResult{Completed: true, PeerCode: l.peerCode, PeerReason: l.peerReason}
	}
	var ce *CloseError
	if errors.As(l.readErr, &ce) {
		return CloseResult{PeerCode: ce.Code}
	}
	if l.readErr != nil && l.closeCalled && isReset(l.readErr) {
		return CloseResult{PeerCode: websocket.CloseAbnormalClosure}
	}
	return CloseResult{}
}

// isReset reports whether err is the peer resetting TCP. During Close it
// ends the close as a FIN with no close frame does: many servers answer a
// goodbye, or the close frame itself, that way.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// closeErr is Close's error once reading ended or the link was aborted.
func (l *Link) closeErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.peerClosed:
		return nil
	case l.abortErr != nil:
		return opErr("close", l.abortErr)
	}
	var ce *CloseError
	if l.readErr == nil || errors.As(l.readErr, &ce) || isReset(l.readErr) {
		return nil
	}
	return opErr("close", l.readErr)
}

// closePayload builds a close frame payload, cutting reason on a rune
// boundary and sending codes that must not appear on the wire as 1005.
func closePayload(code int, reason string) []byte {
	if !closecode.Of(code).Wire {
		return websocket.FormatCloseMessage(websocket.CloseNoStatusReceived, "")
	}
	if len(reason) > maxReasonBytes {
		cut := maxReasonBytes
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	return websocket.FormatCloseMessage(code, reason)
}
