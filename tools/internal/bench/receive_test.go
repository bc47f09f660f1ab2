package bench

import (
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm/internal/testkit"
)

// The source's frames are valid server frames of the size asked for, each
// length encoding (7 bits, 16 bits, 64 bits) included, and the batch holds
// whole frames only.
func TestSourceFrames(t *testing.T) {
	base := testkit.Serve(t, &sourceHandler{}) + SourcePath
	for _, size := range []int{0, 64, 125, 126, 16 << 10, 70_000} {
		ws, _, err := websocket.DefaultDialer.Dial(base+"?size="+strconv.Itoa(size), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 * max(1, (64<<10)/(size+14)) { // past the first batch
			typ, b, err := ws.ReadMessage()
			if err != nil || typ != websocket.BinaryMessage || len(b) != size {
				t.Fatalf("size %d, message %d: type %d, %d bytes, %v", size, i, typ, len(b), err)
			}
		}
		ws.Close()
	}
	if n := len(sourceBatch(64, 64<<10)); n%66 != 0 || n > 64<<10 || n < 64<<10-66 {
		t.Errorf("a batch of 64 B frames is %d bytes, want whole 66-byte frames up to 64 KiB", n)
	}
}

// measureReceive reads with both clients and counts what each read.
func TestMeasureReceive(t *testing.T) {
	url := testkit.Serve(t, &sourceHandler{}) + SourcePath
	r, err := measureReceive(t.Context(), url, 64, 20*time.Millisecond, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if !(r.gorilla > 0) || !(r.conn > 0) || !(r.handoff > 0) {
		t.Errorf("rates %+v, want all three above 0", r)
	}
	if r, err = measureReceive(t.Context(), url, 64, 20*time.Millisecond, 1, false); err != nil || r.handoff != 0 {
		t.Errorf("without the handoff side: %+v, %v, want no handoff rate", r, err)
	}
}
