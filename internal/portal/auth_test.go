package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// ---- sessions and cross-site requests

func TestSignedOutRedirectsToSignIn(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, tt := range []struct{ method, target, ret string }{
		{"GET", "/my", "/my"},
		{"GET", "/my?view=detail", "/my?view=detail"},
		{"GET", "/profile", "/profile"},
		{"GET", "/grading/l1", "/grading/l1"},
		{"GET", "/admin/users?q=ada", "/admin/users?q=ada"},
		{"GET", "/admin/programmes", "/admin/programmes"},
		{"POST", "/my/enrol", "/my/enrol"},
		{"POST", "/profile", "/profile"},
	} {
		var r result
		if tt.method == "GET" {
			r = p.get("", tt.target)
		} else {
			r = p.post("", tt.target, url.Values{"programme_id": {"p1"}})
		}
		r.redirects(t, "/auth/login?return="+url.QueryEscape(tt.ret))
	}
	// An unknown or ended session is signed out too.
	p.get("not-a-session", "/profile").redirects(t, "/auth/login?return=%2Fprofile")
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("signed out, the portal still sent %v", got)
	}
	if n := len(p.api.sent("GET /idp/api/v1/me")); n != 0 {
		t.Errorf("signed out, the portal still read the profile")
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
	cookie := p.signIn(student())
	form := url.Values{"username": {"ada"}, "email": {"ada@evil.example"}, "version": {"3"}}

	send := func(header, value string) result {
		r := httptest.NewRequest(http.MethodPost, "/profile", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			r.Header.Set(header, value)
		}
		return p.do(cookie, r)
	}
	if r := send("Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site: cross-site: status %d, want 403", r.code)
	}
	if r := send("Origin", "https://evil.example"); r.code != http.StatusForbidden {
		t.Errorf("Origin of another site: status %d, want 403", r.code)
	}
	if got := p.api.changes(); len(got) != 0 {
		t.Fatalf("a cross-site form reached the API: %v", got)
	}
	// The same form from the portal's own page goes through; so does one
	// without Fetch Metadata or Origin (not a browser's cross-site request).
	send("Sec-Fetch-Site", "same-origin").redirects(t, "/profile?done=saved")
	send("", "").redirects(t, "/profile?done=saved")
	// Safe methods are never refused.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	p.do("", req).want(t, http.StatusOK, msg("home.title"))
}
