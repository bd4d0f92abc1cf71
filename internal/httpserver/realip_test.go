package httpserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRealIP(t *testing.T) {
	t.Parallel()
	trusted, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.7", " "})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProxies([]string{"not-an-address"}); err == nil {
		t.Fatal("a bad proxy address was taken")
	}
	var seen string
	h := RealIP(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	for _, c := range []struct{ peer, xff, want string }{
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5:4000"},               // not a proxy: its header is ignored
		{"10.1.2.3:4000", "198.51.100.1", "198.51.100.1:0"},                    // through the load balancer
		{"10.1.2.3:4000", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1:0"}, // the rightmost untrusted hop
		{"192.0.2.7:4000", "2001:db8::1", "[2001:db8::1]:0"},
		{"10.1.2.3:4000", "", "10.1.2.3:4000"},
		{"10.1.2.3:4000", "garbage", "10.1.2.3:4000"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: RemoteAddr %s, want %s", c.peer, c.xff, seen, c.want)
		}
	}
	// Without trusted proxies nothing changes.
	RealIP(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })).ServeHTTP(httptest.NewRecorder(),
		func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "10.1.2.3:1"
			r.Header.Set("X-Forwarded-For", "1.2.3.4")
			return r
		}())
	if seen != "10.1.2.3:1" {
		t.Errorf("no trusted proxies: %s", seen)
	}
}
