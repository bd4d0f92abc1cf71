//go:build !linux

package ldaptest

import (
	"os"
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }

// sigPause and sigResume: Pause is not supported here.
var sigPause, sigResume os.Signal
