package wsfsm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/wsfsm/wsfsm"
	"github.com/wsfsm/wsfsm/wsfsmtest"
)

// lossParam is an integer parameter of TestOutboxLossThroughDrops: the
// environment variable name, or def.
func lossParam(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q", name, v)
		}
		return n
	}
	return def
}

// The README's loss figure, measured with and without the outbox: 8
// goroutines Send as fast as they can while the server cuts TCP (no close
// frame) again and again (WSFSM_LOSS_DROPS times, default 20; the README's
// figures: 200), each time once it read a batch of messages
// (WSFSM_LOSS_BATCH, default 100), the client's SO_SNDBUF set to
// WSFSM_LOSS_SNDBUF bytes if given. Without the outbox, some Sends that
// returned nil never reach the server (the kernel had them); with it, none
// is lost, and the duplicates the server saw are counted.
//
//	WSFSM_LOSS_DROPS=200 go test -run OutboxLoss -v .
func TestOutboxLossThroughDrops(t *testing.T) {
	drops := lossParam(t, "WSFSM_LOSS_DROPS", 20)
	batch := lossParam(t, "WSFSM_LOSS_BATCH", 100)
	sndbuf := lossParam(t, "WSFSM_LOSS_SNDBUF", 0) // bytes of SO_SNDBUF; 0: the system's
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[on], func(t *testing.T) {
			sent, lost, dups, received := lossRun(t, on, drops, batch, sndbuf)
			t.Logf("outbox %v: %d drops every %d messages read, %d nil Sends, %d lost (%.1f%%), %d messages received, %d duplicates",
				map[bool]string{false: "off", true: "on"}[on], drops, batch, sent, lost, 100*float64(lost)/float64(max(sent, 1)), received, dups)
			if on && lost != 0 {
				t.Errorf("%d of %d nil Sends lost with the outbox on", lost, sent)
			}
			if !on && dups != 0 {
				t.Errorf("%d duplicates without the outbox", dups)
			}
		})
	}
}

const lossSenders = 8

func lossRun(t *testing.T, outbox bool, drops, batch, sndbuf int) (sent, lost, dups, received int) {
	srv := newServer(t)
	opts := fastOptions(newRecorder())
	path := "/ack?mode=never"
	if outbox {
		opts.Outbox = jsonOutbox("")
		path = "/ack"
	}
	if sndbuf > 0 {
		opts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				err = nc.(*net.TCPConn).SetWriteBuffer(sndbuf)
			}
			return nc, err
		}
	}
	c := dial(t, srv.URL(path), opts)
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var mu sync.Mutex
	ok := map[string]bool{}
	var wg sync.WaitGroup
	for g := range lossSenders {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%d-%d", g, i)
				err := c.Send(ctx, wsfsm.Text, msgID(id))
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Errorf("Send: %v", err)
					}
					return
				}
				mu.Lock()
				ok[id] = true
				mu.Unlock()
			}
		})
	}
	// Each drop cuts the connection the client has open (the server counted
	// it before its 101), and the next waits for the one after it.
	for opens := uint64(1); opens <= uint64(drops); opens++ {
		from := srv.Received()
		wsfsmtest.Eventually(t, "the server reads a batch", func() bool { return srv.Received() >= from+batch })
		srv.DropAll()
		wsfsmtest.Eventually(t, "the connection after the drop", func() bool { return c.Stats().Opens > opens })
	}
	close(stop)
	cancel() // Sends waiting for a connection or for room give up; they were not written
	wg.Wait()
	if outbox {
		wsfsmtest.Eventually(t, "every message acknowledged", func() bool { return c.OutboxStats().Waiting == 0 })
	}
	if got := c.Stats().Opens; got != uint64(drops)+1 {
		t.Errorf("%d connections for %d drops", got, drops)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	srv.Close() // waits for the server to read what the kernel delivered
	seen := srv.AckIDs()
	for id := range ok {
		if seen[id] == 0 {
			lost++
		}
	}
	return len(ok), lost, srv.AckCounts().Duplicates, srv.AckCounts().Messages
}
