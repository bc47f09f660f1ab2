package retry_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
)

// The tests here wait out real timers in a synctest bubble, whose clock
// moves only when every goroutine in it is blocked: hours pass in
// microseconds, exactly.

// A redial loop on real timers: the time that passes is exactly the sum of
// the delays, and a connection held Open for MinUptime of the bubble's
// clock resets the schedule.
func TestScheduleOnTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := retry.NewSchedule(retry.Config{NewBackOff: exp})
		start := time.Now()
		var sum time.Duration
		for range 5 {
			d, _, ok := s.Next(&transport.CloseError{Code: 1006}, false)
			if !ok {
				t.Fatal("Next refused")
			}
			tm := time.NewTimer(d)
			<-tm.C
			sum += d
		}
		if got := time.Since(start); got != sum || sum != 31*time.Second {
			t.Errorf("5 redials took %v, want the sum of their delays 1+2+4+8+16 s = %v", got, sum)
		}
		s.Opened(time.Now())
		time.Sleep(retry.DefaultMinUptime - time.Nanosecond)
		s.Dropped(time.Now())
		if s.Attempt() != 5 {
			t.Errorf("up 1 ns short of MinUptime: Attempt() = %d, want 5", s.Attempt())
		}
		s.Opened(time.Now())
		time.Sleep(retry.DefaultMinUptime)
		s.Dropped(time.Now())
		if s.Attempt() != 0 {
			t.Errorf("up MinUptime: Attempt() = %d, want 0", s.Attempt())
		}
	})
}

// backoff.NewExponentialBackOff() stops after 15 minutes: plugged in as it
// is, it ends the schedule (ok false), and that is the only way the schedule
// stops without MaxAttempts. With MaxElapsedTime 0, and with the default
// strategy, it goes on for hours.
func TestScheduleExponentialBackOffElapsed(t *testing.T) {
	dropped := &transport.CloseError{Code: 1006}
	// run redials, each after its delay and a 50 ms failing dial, until the
	// schedule refuses or limit passes; it returns the time spent.
	run := func(s *retry.Schedule, limit time.Duration) (time.Duration, bool) {
		start := time.Now()
		for time.Since(start) < limit {
			d, _, ok := s.Next(dropped, false)
			if !ok {
				return time.Since(start), false
			}
			time.Sleep(d + 50*time.Millisecond)
		}
		return time.Since(start), true
	}
	synctest.Test(t, func(t *testing.T) {
		s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff { return backoff.NewExponentialBackOff() }})
		took, goesOn := run(s, 3*time.Hour)
		// It stops at the first delay that would end past 15 min: at most
		// one delay (60 s max interval, ×1.5 randomization) short of it, at
		// most one failing dial (50 ms) beyond it.
		if goesOn || took > backoff.DefaultMaxElapsedTime+50*time.Millisecond || took < backoff.DefaultMaxElapsedTime-91*time.Second {
			t.Errorf("backoff.NewExponentialBackOff(): the schedule went on %v (still going: %v), want a stop just before 15 min", took, goesOn)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff {
			return backoff.NewExponentialBackOff(backoff.WithMaxElapsedTime(0))
		}})
		if took, goesOn := run(s, 3*time.Hour); !goesOn {
			t.Errorf("MaxElapsedTime 0: the schedule stopped after %v", took)
		}
		if took, goesOn := run(retry.NewSchedule(retry.Config{}), 3*time.Hour); !goesOn {
			t.Errorf("default strategy: the schedule stopped after %v", took)
		}
	})
}
