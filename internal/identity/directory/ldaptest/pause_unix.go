//go:build unix

package ldaptest

import (
	"syscall"
	"testing"
)

// Pause freezes slapd (SIGSTOP): connections stay open and every request
// waits, as with a directory that hangs. Resume lets it go on; so does the
// end of the test, before Stop.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	p := s.signal(t, syscall.SIGSTOP)
	t.Cleanup(func() { _ = p.cmd.Process.Signal(syscall.SIGCONT) })
}

// Resume continues a paused slapd (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGCONT)
}

func (s *Server) signal(t testing.TB, sig syscall.Signal) *process {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		t.Fatal("ldaptest: slapd is not running")
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("ldaptest: %s: %v", sig, err)
	}
	return s.proc
}
