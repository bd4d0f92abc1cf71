//go:build !linux

package ldaptest

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// sigPause and sigResume: Pause is not supported here.
var sigPause, sigResume os.Signal
