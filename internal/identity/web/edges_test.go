package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIMethodNotAllowed: a method that an existing API resource does
// not take answers 405 with Allow, as problem+json; an unknown address
// is still 404.
func TestAPIMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/users/someone", "GET, HEAD, PATCH"},
		{"DELETE", "/api/v1/roles", "GET, HEAD, POST"},
		{"GET", "/api/v1/users/someone/roles", "PUT"},
		{"PUT", "/api/v1/me", "GET, HEAD, PATCH"},
	} {
		r := e.call(t, c.method, c.path, "", nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != c.allow || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %s Allow %q %s", c.method, c.path, r, r.header.Get("Allow"), r.header.Get("Content-Type"))
		}
	}
	if r := e.call(t, "PUT", "/api/v1/nothing-here", "", nil); r.status != http.StatusNotFound || !strings.Contains(r.raw, "no such API endpoint") {
		t.Errorf("an unknown address: %s", r)
	}
}

// TestAPIKeyAtIdentity: a personal API key sent to identity's API is
// refused for what it is (keys read the study API only), not as an
// invalid or expired token.
func TestAPIKeyAtIdentity(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.addUser(t, "kim", "kim-password-1", "student")
	tok := e.token(t, "kim", "kim-password-1")
	key := e.must(t, http.StatusCreated, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": "script"}).str("key")
	r := e.call(t, "GET", "/api/v1/me", key, nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.str("detail"), "API keys read the study API only; this API needs an access token from signing in") {
		t.Fatalf("a key at identity: %s", r)
	}
}
