package testkit

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// recorder is a testing.TB whose errors and cleanups the test keeps, to run
// a helper's checks and see what they report.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()           {}
func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }
func (r *recorder) Cleanup(f func())  { r.cleanups = append(r.cleanups, f) }

// end runs the cleanups, last registered first, as the testing package does.
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// CheckFDs reports a descriptor opened during the test and still open at its
// end, and nothing once it is closed.
func TestCheckFDs(t *testing.T) {
	leaky := &recorder{TB: t}
	CheckFDs(leaky, 0)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	leaky.end()
	if len(leaky.errs) != 1 || !strings.Contains(leaky.errs[0], "left open: "+os.DevNull) {
		t.Errorf("with %s open: %q, want one error naming it", os.DevNull, leaky.errs)
	}

	tidy := &recorder{TB: t}
	CheckFDs(tidy, 0)
	g, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	f.Close()
	tidy.end()
	if len(tidy.errs) != 0 {
		t.Errorf("with everything closed: %q, want no error", tidy.errs)
	}
}

// Close closes the connections Accept took, which ends their serve calls,
// and returns once those have returned.
func TestConnsClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var cs Conns
	started, served := make(chan struct{}), make(chan error, 1)
	cs.Accept(ln, func(c net.Conn) {
		close(started)
		_, err := c.Read(make([]byte, 1)) // until Close closes c
		served <- err
	})
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	select {
	case <-started: // Accept took it: Close must close it
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was never served")
	}
	ln.Close()
	cs.Close()
	select {
	case err := <-served:
		if err == nil {
			t.Error("serve read a byte nobody sent")
		}
	default:
		t.Error("Close returned before serve did")
	}
}
