// Package testenv decides what a test does when a real component it needs
// (PostgreSQL, a directory server, a browser) is not there: outside CI it
// skips with a message saying what is missing; in CI (CI=true) it fails, so a
// green CI run always means the component was really exercised.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true or CI=1).
func InCI() bool {
	ok, _ := strconv.ParseBool(os.Getenv("CI"))
	return ok
}

// Missing stops the test because a component is absent: Skip outside CI,
// Fatal inside it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("required in CI: "+format, args...)
	}
	tb.Skipf("skipped: "+format, args...)
}
