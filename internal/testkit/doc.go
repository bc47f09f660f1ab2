// Package testkit is the scaffolding the library's tests share: the goroutine
// and file-descriptor leak checks, loopback test servers, and the bookkeeping
// of connections a test server takes over. Only tests import it.
package testkit
