package main

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// update rewrites the golden files from the generator's current output,
// like stringer's golden tests: go test ./gen -update.
var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
