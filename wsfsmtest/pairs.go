package wsfsmtest

import (
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// Set is the pairs taken so far. Its methods are safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	taken map[string]bool
}

func key(event, from fmt.Stringer) string { return event.String() + " from " + from.String() }

// Add records that event left from.
func (s *Set) Add(event, from fmt.Stringer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken == nil {
		s.taken = map[string]bool{}
	}
	s.taken[key(event, from)] = true
}

// Edge is one row of a transition table, by its names.
type Edge struct{ Event, From fmt.Stringer }

// Missing returns the pairs of table never recorded, sorted.
func (s *Set) Missing(table []Edge) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range table {
		if k := key(e.Event, e.From); !s.taken[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// FullRun reports whether no -run, -skip or -short narrowed the suite, so
// that a coverage check is meaningful. Call it after flag.Parse (in TestMain,
// after m.Run).
func FullRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}
