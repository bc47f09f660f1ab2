package transport

// SetFilter makes the reader show every data message it read to f, on the
// reader's goroutine, before delivering it: f returns whether the message
// goes on to StartReader's out. It sees each message once, in order, even
// those discarded after stop or while Close reads; it must not block. Call
// it before StartReader, at most once.
func (l *Link) SetFilter(f func(Message) bool) { l.filter = f }
