// Package retry decides whether a lost WebSocket connection is dialed again,
// and after how long.
//
// Classify turns the error that ended a dial or a connection into a Verdict
// (Retry, Stop, or RetryLater for close code 1013), and a Classifier lets the
// application decide first. A Schedule, one per connection, takes its delays
// from any github.com/cenkalti/backoff/v4 BackOff (by default NewDefault:
// NewJitter, each delay drawn above a floor under an exponential envelope,
// still random at the cap; FullJitter, EqualJitter and DecorrelatedJitter
// are the published rivals) and adds what a connection
// needs on top: a reset only after a connection stayed up MinUptime, a
// server's Retry-After, the longer wait of close code 1013, and an attempt
// budget, never stopping unless MaxAttempts is spent or the BackOff returns
// backoff.Stop.
package retry
