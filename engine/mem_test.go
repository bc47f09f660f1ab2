package engine

import (
	"testing"
	"unsafe"
)

// TestMachineSize pins the size class of a Machine, one per Conn: 176 B
// since the queue's work runs as the Machine's own methods (208 B, and two
// closures of 16 and 24 B, before).
func TestMachineSize(t *testing.T) {
	if got := unsafe.Sizeof(Machine{}); got > 176 {
		t.Errorf("unsafe.Sizeof(Machine{}) = %d, want <= 176", got)
	}
}
