package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// raiseNoFile raises the soft limit on open files to the hard limit: the
// suite holds 10,000 connections per process.
func raiseNoFile() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("bench: getrlimit(NOFILE): %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("bench: setrlimit(NOFILE, %d): %w", lim.Max, err)
		}
	}
	return nil
}

// noFileLimit returns the soft limit on open files.
func noFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}

// pinner pins this process and server processes to CPUs with taskset(1).
// Latency pairs run with the client on clientCPU and the server on
// serverCPU; with fewer than two CPUs, or without taskset, nothing is
// pinned and note says why.
type pinner struct {
	taskset              string // path, "" when unavailable
	clientCPU, serverCPU int
	note                 string
}

func newPinner() *pinner {
	p := &pinner{clientCPU: 0, serverCPU: 1}
	path, err := exec.LookPath("taskset")
	switch {
	case err != nil:
		p.note = "taskset not found: latency pairs run unpinned"
	case runtime.NumCPU() < 2:
		p.note = "fewer than 2 CPUs: latency pairs run unpinned"
	default:
		p.taskset = path
		p.note = fmt.Sprintf("client pinned to CPU %d (taskset -a -p), server process to CPU %d (taskset -c)", p.clientCPU, p.serverCPU)
	}
	return p
}

func (p *pinner) available() bool { return p != nil && p.taskset != "" }

// pinSelf pins every thread of this process to the client CPU, with
// GOMAXPROCS 1 to match. unpin undoes it.
func (p *pinner) pinSelf() error {
	if !p.available() {
		return nil
	}
	if err := p.setSelf(strconv.Itoa(p.clientCPU)); err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	return nil
}

// unpinSelf lets this process run on every CPU again.
func (p *pinner) unpinSelf() error {
	if !p.available() {
		return nil
	}
	if err := p.setSelf(fmt.Sprintf("0-%d", runtime.NumCPU()-1)); err != nil {
		return err
	}
	runtime.SetDefaultGOMAXPROCS() // reads the affinity just restored
	return nil
}

func (p *pinner) setSelf(cpus string) error {
	out, err := exec.Command(p.taskset, "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("bench: taskset -a -p -c %s: %w: %s", cpus, err, out)
	}
	return nil
}
