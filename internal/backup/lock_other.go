//go:build !unix

package backup

import "errors"

// LockName is the file in a data directory that campus servers lock.
const LockName = "campus.lock"

// Lock is a held lock on a data directory (not supported here: restore
// cannot tell whether a server runs).
type Lock struct{}

// ErrInUse: a campus process holds the data directory.
var ErrInUse = errors.New("a campus process uses the data directory")

// Share does nothing on this system.
func Share(dir string) (*Lock, error) { return &Lock{}, nil }

// Exclusive does nothing on this system.
func Exclusive(dir string) (*Lock, error) { return &Lock{}, nil }

// Holder is unknown on this system.
func Holder(dir string) int { return 0 }

// Release does nothing.
func (l *Lock) Release() error { return nil }
