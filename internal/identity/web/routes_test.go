package web

import (
	"net/http"
	"testing"
)

// TestRoutes checks a page of each part of the routes table, as the
// harness configures identity: no mail, so no pages reached from mail and
// no developer mailbox, but a revocation feed.
func TestRoutes(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"health", "GET", "/healthz", http.StatusOK},
		{"service document", "GET", "/", http.StatusOK},
		{"discovery", "GET", "/.well-known/openid-configuration", http.StatusOK},
		{"keys", "GET", "/keys", http.StatusOK},
		{"logged out", "GET", "/logged-out", http.StatusOK},
		{"registration form", "GET", "/register", http.StatusOK},
		{"revocation feed", "GET", "/revocations", http.StatusOK},
		{"API document", "GET", "/api/v1/openapi.yaml", http.StatusOK},
		{"confirmation without mail", "GET", "/confirm", http.StatusNotFound},
		{"reset without mail", "POST", "/password/forgot", http.StatusNotFound},
		{"developer mailbox without one", "GET", "/dev/mail", http.StatusNotFound},
		{"no such API endpoint", "GET", "/api/v1/nothing-here", http.StatusNotFound},
		{"no such page", "GET", "/nothing-here", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tc.method, p.issuer+tc.path, nil)
			resp, err := p.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d; want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusNotFound && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("404 is %s", resp.Header.Get("Content-Type"))
			}
		})
	}
}
