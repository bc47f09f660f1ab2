package bench

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/wsfsm/wsfsm"
)

// throughputRound is one round of one-way throughput to /sink.
type throughputRound struct {
	gorilla, conn float64 // messages per second
	handoff       float64 // receive only: handoffBaseline's, when asked for
}

// throughputSlice is how long one side sends before the other takes over.
const throughputSlice = 50 * time.Millisecond

// measureThroughput sends size-byte binary messages to /sink for dur per
// side, with raw gorilla WriteMessage and with Conn.Send, each on a
// connection of its own to the same server. The two take turns in slices of
// throughputSlice (the first side alternates), so that the machine's drift
// over a round, which is larger than the difference measured, falls on both
// alike.
func measureThroughput(ctx context.Context, sinkURL string, size int, dur time.Duration, round int) (throughputRound, error) {
	ws, c, done, err := dialPair(ctx, sinkURL)
	if err != nil {
		return throughputRound{}, err
	}
	defer done()
	msg := make([]byte, size)
	rates, err := alternate([]func() error{
		func() error { return ws.WriteMessage(websocket.BinaryMessage, msg) },
		func() error { return c.Send(ctx, wsfsm.Binary, msg) },
	}, dur, round)
	if err != nil {
		return throughputRound{}, fmt.Errorf("bench: write: %w", err)
	}
	return throughputRound{gorilla: rates[0], conn: rates[1]}, nil
}

// dialPair dials url twice, with raw gorilla and with wsfsm, for a figure
// that compares them side by side; done closes both.
func dialPair(ctx context.Context, url string) (ws *websocket.Conn, c *wsfsm.Conn, done func(), err error) {
	ws, _, err = (&websocket.Dialer{}).DialContext(ctx, url, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bench: gorilla dial %s: %w", url, err)
	}
	if c, err = wsfsm.Dial(ctx, url, nil); err != nil {
		ws.Close()
		return nil, nil, nil, fmt.Errorf("bench: %w", err)
	}
	return ws, c, func() { _ = c.Abort(); ws.Close() }, nil
}

// alternate runs sides (the first gorilla's, the second wsfsm's, then any
// experiment's) in turns of throughputSlice, the first side rotating with
// round, until each ran for dur, and returns how many calls per second each
// made. It stops at the first error.
func alternate(sides []func() error, dur time.Duration, round int) ([]float64, error) {
	rates, _, err := alternateCPU(sides, dur, round)
	return rates, err
}

// alternateCPU is alternate also returning each side's CPU time per call
// (this process's user and system time over its slices, in ns): on a busy
// machine, time other processes take from the CPU counts in the rates but
// not here.
func alternateCPU(sides []func() error, dur time.Duration, round int) (rates, cpuNs []float64, err error) {
	n := make([]int, len(sides))
	spent, cpu := make([]time.Duration, len(sides)), make([]time.Duration, len(sides))
	for i := 0; slices.ContainsFunc(spent, func(d time.Duration) bool { return d < dur }); i++ {
		for k := range sides {
			side := (i + round + k) % len(sides)
			start, cpu0 := time.Now(), processCPU()
			for {
				if err := sides[side](); err != nil {
					return nil, nil, err
				}
				n[side]++
				if n[side]%16 == 0 && time.Since(start) >= throughputSlice {
					break
				}
			}
			spent[side] += time.Since(start)
			cpu[side] += processCPU() - cpu0
		}
	}
	rates, cpuNs = make([]float64, len(sides)), make([]float64, len(sides))
	for i := range sides {
		rates[i] = float64(n[i]) / spent[i].Seconds()
		cpuNs[i] = float64(cpu[i].Nanoseconds()) / float64(n[i])
	}
	return rates, cpuNs, nil
}

// processCPU returns the user and system CPU time this process used so far
// (0 if the kernel does not say).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
