// Package serial is the one serial executor of the library: a queue of work
// run one item at a time, in the order queued, by whichever goroutine holds
// its turn. The engine's machine drains it on the goroutine that posted into
// an idle queue; the root's lane (user code) drains it on a goroutine of its
// own. Neither keeps a goroutine while there is nothing to run.
package serial
