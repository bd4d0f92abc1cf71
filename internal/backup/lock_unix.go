//go:build unix

package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the file in a data directory that campus servers hold a
// shared lock on while they run (flock(2)), and restore an exclusive one.
const LockName = "campus.lock"

// Lock is a held lock on a data directory.
type Lock struct{ f *os.File }

// ErrInUse: a campus process holds the data directory.
var ErrInUse = errors.New("a campus process uses the data directory")

// Share takes the shared lock of a running server on dir and records the
// process id in the file (the last server started); it never blocks: a
// restore holding the directory makes it fail with ErrInUse.
func Share(dir string) (*Lock, error) {
	return lock(dir, syscall.LOCK_SH, true)
}

// Exclusive takes the lock no server may hold beside it, without
// waiting: ErrInUse names the process that holds it when it can.
func Exclusive(dir string) (*Lock, error) {
	return lock(dir, syscall.LOCK_EX, false)
}

func lock(dir string, how int, record bool) (*Lock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if pid := Holder(dir); pid > 0 {
				return nil, fmt.Errorf("%w (%s, process %d)", ErrInUse, dir, pid)
			}
			return nil, fmt.Errorf("%w (%s)", ErrInUse, dir)
		}
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	if record {
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Holder is the process id recorded in dir's lock file (0 for none).
func Holder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, LockName))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Release lets the lock go.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}
