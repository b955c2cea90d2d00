package blob

import "syscall"

// childProcAttr makes a child process get SIGKILL when the test binary dies,
// so a crashed test run leaks no server.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
