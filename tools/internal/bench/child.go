package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// selfCommand is the command that runs this program's bench command:
// os.Executable() followed by prefix (e.g. "bench").
func selfCommand(prefix ...string) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: finding this executable: %w", err)
	}
	return append([]string{exe}, prefix...), nil
}

// childCommand is the command of a child process (args[0] with the rest of
// args), killed when ctx is done and, whatever happens, never outliving
// this process: the kernel sends it SIGKILL when we die.
func childCommand(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
