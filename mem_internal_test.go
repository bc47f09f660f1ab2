package wsfsm

import (
	"testing"
	"unsafe"
)

// TestConnSize pins the runtime's size class of a ConnOf: every Conn, idle
// or not, is one such allocation, and 896 B is the class below 1,024.
func TestConnSize(t *testing.T) {
	if got := unsafe.Sizeof(Conn{}); got > 896 {
		t.Errorf("unsafe.Sizeof(Conn{}) = %d, want <= 896 (the 896 B size class)", got)
	}
}
