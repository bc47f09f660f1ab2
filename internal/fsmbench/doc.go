// Package fsmbench holds what the transition benchmarks share: the Go
// benchmarks of package engine and the bench command's fsm_transition_ratio
// run the same reconnect cycle of the reference machine through the engine
// and through raw looplab/fsm.
package fsmbench
