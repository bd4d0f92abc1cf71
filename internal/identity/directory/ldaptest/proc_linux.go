package ldaptest

import (
	"os"
	"syscall"
)

// sysProcAttr kills slapd when the test binary dies without its cleanups
// (a panic or a -timeout), so that no server outlives the test run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// sigPause and sigResume freeze and thaw slapd (Pause, Resume).
var sigPause, sigResume os.Signal = syscall.SIGSTOP, syscall.SIGCONT
