package main

import (
	"errors"
	"testing"
)

// TestRootCheck: root is refused under the image's policy unless allowed,
// and only warned about in a build from source; other users pass.
func TestRootCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy     string
		euid       int
		allow      bool
		warn, fail bool
	}{
		{"refuse", 0, false, false, true},
		{"refuse", 0, true, false, false},
		{"refuse", 65532, false, false, false},
		{"warn", 0, false, true, false},
		{"warn", 0, true, false, false},
		{"warn", 1000, false, false, false},
	}
	for _, tc := range tests {
		warn, err := rootCheck(tc.policy, tc.euid, tc.allow)
		if warn != tc.warn || (err != nil) != tc.fail || (err != nil && !errors.Is(err, errRoot)) {
			t.Errorf("rootCheck(%q, %d, %v) = %v, %v; want warn %v, refused %v", tc.policy, tc.euid, tc.allow, warn, err, tc.warn, tc.fail)
		}
	}
}
