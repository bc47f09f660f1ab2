package transport

import (
	"math"
	"testing"
	"unsafe"
)

// TestMessageSize pins the size that puts a receive buffer of 16 Messages
// in the runtime's 512 B size class (40 B Messages took 704 B per idle
// connection).
func TestMessageSize(t *testing.T) {
	if got := unsafe.Sizeof(Message{}); got != 32 {
		t.Errorf("unsafe.Sizeof(Message{}) = %d, want 32", got)
	}
}

// TestDialOf restores a link's dial from the 32 bits a Message keeps, on
// both sides of a wrap of those bits.
func TestDialOf(t *testing.T) {
	for _, tc := range []struct{ dial, latest uint64 }{
		{1, 1},
		{1, 2},
		{7, 1 << 20},
		{math.MaxUint32, math.MaxUint32},
		{math.MaxUint32, math.MaxUint32 + 3},
		{1 << 32, 1<<32 + 1},
		{1<<33 + 5, 1<<33 + 5},
		{1<<33 + 5, 1<<33 + 1<<32 + 4}, // 2^32-1 dials apart: the farthest it restores
		{1<<40 - 1, 1<<40 + 1<<31},
	} {
		if got := DialOf(uint32(tc.dial), tc.latest); got != tc.dial {
			t.Errorf("DialOf(%d, %d) = %d, want %d", uint32(tc.dial), tc.latest, got, tc.dial)
		}
	}
}
