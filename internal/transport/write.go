package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// WriteMessage writes one data message (websocket.TextMessage or
// BinaryMessage). Concurrent callers are serialized. It returns nil only
// once the whole frame was handed to the kernel. It works before
// StartReader too.
//
// ctx bounds the wait for the write lock and is checked before writing;
// once bytes start going out only DialConfig.WriteTimeout bounds the write,
// and by progress: the write fails once the peer accepted no byte for
// WriteTimeout (see wireConn.Write), however long the whole message takes.
// So a cancelled ctx never leaves half a frame.
//
// A failed write does not decide how the link ends while the peer may have
// said it first: a write that timed out (the peer stopped reading) aborts
// the link; after the peer's close frame (the close handshake is under way)
// nothing is done, the reader reports it; any other failure shuts only the
// write side of the raw connection (an abort if it has none), so the reader
// still reads the peer's close frame or EOF and reports the terminal
// error. WriteMessage returns the error in every case. After Close or Abort
// began it returns an error wrapping net.ErrClosed (closing) or ErrAborted
// (aborted).
func (l *Link) WriteMessage(ctx context.Context, typ MessageType, data []byte) error {
	if err := ctx.Err(); err != nil {
		return opErr("write", err)
	}
	wmu := l.writeLock()
	select {
	case wmu <- struct{}{}: // the usual case: nobody else is writing
	default:
		closing := l.closingCh()
		select {
		case wmu <- struct{}{}:
		case <-ctx.Done():
			return opErr("write", ctx.Err())
		case <-closing:
			return l.closedError()
		}
	}
	defer func() { <-wmu }()
	if l.closingShut.Load() {
		return l.closedError()
	}
	if err := ctx.Err(); err != nil {
		return opErr("write", err)
	}
	l.refreshWriteDeadline()
	if l.compressed {
		l.ws.EnableWriteCompression(len(data) >= l.compressMin)
	}
	err := l.ws.WriteMessage(int(typ), data)
	if err == nil {
		return nil
	}
	if ab := l.aborted(); ab != nil {
		return opErr("write", ab)
	}
	if errors.Is(err, websocket.ErrCloseSent) {
		// The close handshake is under way (the peer closed): the reader
		// reports how it ends.
		return fmt.Errorf("transport: write: close frame already sent: %w", net.ErrClosed)
	}
	err = opErr("write", err)
	if isTimeout(err) {
		l.AbortCause(err) // the peer stopped reading
	} else {
		l.shutWrite(err)
	}
	return err
}

// refreshWriteDeadline gives the write about to start WriteTimeout, give or
// take an eighth: the deadline moves only once an eighth of it has passed.
// gorilla sets the connection's deadline before every frame, and setting a
// new one costs a runtime timer update; an unchanged one costs nothing (see
// wireConn). It also starts a new progress window (see wireConn.Write).
// Called with the write lock held.
func (l *Link) refreshWriteDeadline() {
	if l.writeTimeout <= 0 {
		return
	}
	l.wr.msgs.Add(1)
	now := time.Now()
	if l.writeDeadline.Sub(now) >= l.writeTimeout-l.writeTimeout/8 {
		return
	}
	l.writeDeadline = now.Add(l.writeTimeout)
	l.ws.SetWriteDeadline(l.writeDeadline)
}

func (l *Link) closedError() error {
	if ab := l.aborted(); ab != nil {
		return opErr("write", ab)
	}
	return fmt.Errorf("transport: write: link is closing: %w", net.ErrClosed)
}
