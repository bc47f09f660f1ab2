// Package retry decides whether a lost WebSocket connection is dialed again.
//
// Classify turns the error that ended a dial or a connection into a Verdict
// (Retry, Stop, or RetryLater for close code 1013), and a Classifier lets the
// application decide first.
package retry
