package ldaptest

import "syscall"

// sysProcAttr kills slapd when the test binary dies without its cleanups
// (a panic or a -timeout), so that no server outlives the test run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
