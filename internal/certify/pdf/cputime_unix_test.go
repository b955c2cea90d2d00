//go:build unix

package pdf

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, which
// on a shared machine says more about cost than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
