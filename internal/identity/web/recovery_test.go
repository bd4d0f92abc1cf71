package web

import (
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, remote, header string
		want                 bool
	}{
		{"IPv4 loopback", "127.0.0.1:5555", "", true},
		{"IPv6 loopback", "[::1]:5555", "", true},
		{"another machine", "192.0.2.7:5555", "", false},
		{"a proxy on this machine", "127.0.0.1:5555", "X-Forwarded-For", false},
		{"a proxy naming itself", "127.0.0.1:5555", "Forwarded", false},
	} {
		r := httptest.NewRequest("GET", "/dev/mail", nil)
		r.RemoteAddr = tc.remote
		if tc.header != "" {
			r.Header.Set(tc.header, "203.0.113.9")
		}
		if got := loopback(r); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestLinksAndDuration(t *testing.T) {
	t.Parallel()
	got := links("Open\nhttps://campus.example/idp/confirm?token=abc\nor javascript:alert(1) or ftp://x/y.\n")
	if !slices.Equal(got, []string{"https://campus.example/idp/confirm?token=abc"}) {
		t.Fatalf("links = %q", got)
	}
	for d, want := range map[time.Duration]string{time.Hour: "1 hour", 3 * time.Hour: "3 hours", 30 * time.Minute: "30 minutes",
		90 * time.Minute: "90 minutes", 48 * time.Hour: "2 days", time.Minute: "1 minute"} {
		if got := duration(d); got != want {
			t.Errorf("duration(%s) = %q, want %q", d, got, want)
		}
	}
}
