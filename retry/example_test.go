package retry_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/internal/transport"
	"github.com/wsfsm/wsfsm/retry"
)

// A connection's loop asks the classification whether to dial again, then
// the Schedule how long to wait, and tells the Schedule when a connection
// opened and when it was lost.
func ExampleSchedule() {
	s := retry.NewSchedule(retry.Config{
		// No jitter, for a printable example; nil means the default strategy.
		NewBackOff: func() backoff.BackOff { return retry.Exponential(time.Second, time.Minute) },
	})
	var hook retry.Classifier // the application's; nil leaves every error to Classify
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lost := func(cause error) {
		v := hook.Classify(cause)
		if v == retry.Stop {
			fmt.Printf("%v: stop\n", cause)
			return
		}
		d, _, ok := s.Next(cause, v == retry.RetryLater)
		if !ok {
			fmt.Printf("%v: attempts exhausted\n", cause)
			return
		}
		fmt.Printf("%v: redial %d after %v\n", cause, s.Attempt(), d)
		now = now.Add(d)
	}

	lost(&transport.DialError{URL: "ws://example.com", Err: errors.New("connection refused")})
	lost(&transport.HandshakeError{StatusCode: 503, RetryAfter: 7 * time.Second})
	s.Opened(now) // the third dial opens, and the connection lives a minute
	now = now.Add(time.Minute)
	s.Dropped(now) // up longer than MinUptime: the schedule starts over
	lost(&transport.CloseError{Code: 1001})
	lost(&transport.CloseError{Code: 1008})
	// Output:
	// transport: dial ws://example.com: connection refused: redial 1 after 1s
	// transport: server refused upgrade: 503 Service Unavailable (retry after 7s): redial 2 after 7s
	// transport: peer closed with code 1001: redial 1 after 1s
	// transport: peer closed with code 1008: stop
}

// backoff/v4's own ExponentialBackOff plugs in as it is. Mind its default
// MaxElapsedTime: after 15 minutes it returns backoff.Stop, and the
// Schedule, which never stops by itself, obeys. Set it to 0 for a
// connection that must come back whenever the server does.
func ExampleConfig_exponentialBackOff() {
	s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff {
		return backoff.NewExponentialBackOff(
			backoff.WithInitialInterval(500*time.Millisecond),
			backoff.WithMaxInterval(time.Minute),
			backoff.WithRandomizationFactor(0), // for a printable example; keep its jitter in real use
			backoff.WithMaxElapsedTime(0),      // never stop: the default stops after 15 min
		)
	}})
	for range 4 {
		d, _, _ := s.Next(&transport.CloseError{Code: 1006}, false)
		fmt.Println(d)
	}
	// Output:
	// 500ms
	// 750ms
	// 1.125s
	// 1.6875s
}

// A budget is a BackOff too: backoff.WithMaxRetries ends the schedule after
// 3 redials in a row; a connection that stays Open MinUptime gives it back.
func ExampleConfig_withMaxRetries() {
	s := retry.NewSchedule(retry.Config{NewBackOff: func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(2*time.Second), 3)
	}})
	for {
		d, _, ok := s.Next(&transport.CloseError{Code: 1006}, false)
		if !ok {
			fmt.Printf("stop after %d redials\n", s.Attempt())
			break
		}
		fmt.Println("wait", d)
	}
	// Output:
	// wait 2s
	// wait 2s
	// wait 2s
	// stop after 3 redials
}

// The default strategy with a floor of one half and a doubling envelope
// (equal jitter), seeded for reproducible delays: each is drawn in [E/2, E]
// under the envelope E, which doubles from Initial up to Max.
func ExampleNewJitter() {
	j := retry.NewJitter(retry.JitterConfig{
		Initial:    time.Second,
		Max:        4 * time.Second,
		Multiplier: 2,
		Floor:      0.5,
		Rand:       rand.New(rand.NewPCG(1, 2)),
	})
	for _, e := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		d := j.NextBackOff()
		fmt.Printf("in [%v, %v]: %v\n", e/2, e, e/2 <= d && d <= e)
	}
	// Output:
	// in [500ms, 1s]: true
	// in [1s, 2s]: true
	// in [2s, 4s]: true
	// in [2s, 4s]: true
}

// The application decides its own close codes (4000-4999); what it leaves
// to the built-in rules, they decide, and a 4xxx nobody decided stops.
func ExampleClassifier() {
	hook := retry.Classifier(func(err error) retry.Verdict {
		if ce := (*transport.CloseError)(nil); errors.As(err, &ce) && ce.Code == 4001 {
			return retry.RetryLater // our server's "overloaded"
		}
		return retry.Default
	})
	for _, code := range []int{4001, 4002, 1012, 1008} {
		fmt.Println(code, hook.Classify(&transport.CloseError{Code: code}))
	}
	// Output:
	// 4001 RetryLater
	// 4002 Stop
	// 1012 Retry
	// 1008 Stop
}
