package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/wsfsm/wsfsm/fsm"
)

// runDiagram is `wsfsm diagram [--format mermaid|dot]`: the state diagram
// that wsfsm/gen generated from states.yaml.
func runDiagram(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wsfsm diagram", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "mermaid", "mermaid or dot")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage())
			return exitOK
		}
		return usageError(stderr, "diagram: %v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "diagram: unexpected argument %q", fs.Arg(0))
	}
	switch *format {
	case "mermaid":
		fmt.Fprint(stdout, fsm.Mermaid())
	case "dot":
		fmt.Fprint(stdout, fsm.DOT())
	default:
		return usageError(stderr, "diagram: bad value %q for flag -format: want mermaid or dot", *format)
	}
	return exitOK
}
