package ldaptest

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr kills slapd when the test binary dies without its cleanups
// (a panic or a -timeout), so that no server outlives the test run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// startCmd starts cmd from one OS thread that lives as long as the test
// binary. Linux sends the parent-death signal when the thread that forked
// the child ends, not the process (prctl(2), PR_SET_PDEATHSIG; Go issue
// 27505), and the Go runtime ends a thread whose goroutine exits while
// locked to it: a slapd forked from such a thread would be killed at once,
// without a word.
func startCmd(cmd *exec.Cmd) error {
	done := make(chan error)
	forker <- func() { done <- cmd.Start() }
	return <-done
}

var forker = func() chan func() {
	c := make(chan func())
	go func() {
		runtime.LockOSThread() // never unlocked: the thread stays
		for f := range c {
			f()
		}
	}()
	return c
}()

// sigPause and sigResume freeze and thaw slapd (Pause, Resume).
var sigPause, sigResume os.Signal = syscall.SIGSTOP, syscall.SIGCONT
