package testkit

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"testing/synctest"
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

// Fatalf records the failure; unlike testing's, it lets the test go on.
func (r *recorder) Fatalf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// end runs the cleanups, last registered first, as the testing package does.
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// fdErrors runs CheckFDs around during, as a test would, and returns what
// it reported.
func fdErrors(t *testing.T, during func()) []string {
	r := &recorder{TB: t}
	CheckFDs(r, 0)
	during()
	r.end()
	return r.errs
}

// open opens the null device, failing the test if it cannot.
func open(t *testing.T) *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// CheckFDs reports a descriptor opened during the test and still open at its
// end, and nothing once it is closed, whenever it was opened.
func TestCheckFDs(t *testing.T) {
	var f *os.File
	leaked := fdErrors(t, func() { f = open(t) })
	if len(leaked) != 1 || !strings.Contains(leaked[0], "left open: "+os.DevNull) {
		t.Errorf("with %s open: %q, want one error naming it", os.DevNull, leaked)
	}
	tidy := fdErrors(t, func() {
		open(t).Close()
		f.Close()
	})
	if len(tidy) != 0 {
		t.Errorf("with everything closed: %q, want no error", tidy)
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

// NothingOn passes while the channel is empty once the bubble is idle, and
// fails with the value once a goroutine has sent one.
func TestNothingOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{TB: t}
		ch := make(chan int)
		NothingOn(r, ch, "got %d")
		go func() { ch <- 7 }()
		NothingOn(r, ch, "got %d")
		if fmt.Sprint(r.errs) != "[got 7]" {
			t.Errorf("reported %q, want only the second call's \"got 7\"", r.errs)
		}
	})
}
