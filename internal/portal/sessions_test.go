package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sessionsJSON are two sessions of a person as identity lists them; the
// second one's user agent tries to break out of the page.
const sessionsJSON = `{"items":[
 {"id":"sid-new","created_at":"2026-11-22T09:00:00Z","last_used_at":"2026-11-22T09:30:00Z","expires_at":"2026-11-23T09:00:00Z",
  "client_ip":"192.0.2.7","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "applications":[{"client_id":"portal","name":"campus portal"},{"client_id":"lms","name":"Learning rooms"}],"current":true},
 {"id":"sid-old","created_at":"2026-11-20T08:00:00Z","last_used_at":"2026-11-21T08:00:00Z","expires_at":"2026-11-23T08:00:00Z",
  "client_ip":"2001:db8::1","user_agent":"<script>alert(1)</script>","applications":[],"current":false}]}`

func TestAdminUserSessions(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /idp/api/v1/users/u1/sessions", 200, sessionsJSON)
	cookie := p.signIn(admin())

	r := p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, `<h2 id="sessions-h">`+msg("sessions.title")+"</h2>",
		"<caption>"+msg("sessions.caption.of", "Bob Builder")+"</caption>",
		`<th scope="col">`+msg("sessions.address")+"</th>",
		msg("sessions.device.on", "Firefox", "Linux"), "campus portal, Learning rooms", "192.0.2.7", "2001:db8::1",
		`<time datetime="2026-11-22T09:30:00Z">`,
		"&lt;script&gt;alert(1)&lt;/script&gt;", // escaped, never markup
		`<input type="hidden" name="sid" value="sid-old">`, `<input type="hidden" name="action" value="end_session">`,
		`aria-label="`+msg("sessions.end.label", "Firefox on Linux", when(mustTime(t, "2026-11-22T09:00:00Z")))+`"`,
		`<input type="hidden" name="action" value="end_sessions"><button type="submit">`+msg("sessions.end.all")+"</button>")
	r.lacks(t, "<script>alert(1)</script>")

	// End one, end all: the right routes of identity's API.
	p.api.on("DELETE /idp/api/v1/users/u1/sessions/sid-old", 204, "")
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"end_session"}, "sid": {"sid-old"}}).redirects(t, "/admin/users/u1?done=session_ended")
	wantHeader(t, p.api.only(t, "DELETE /idp/api/v1/users/u1/sessions/sid-old"), "Authorization", "Bearer access-token")
	p.api.on("DELETE /idp/api/v1/users/u1/sessions", 204, "")
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"end_sessions"}}).redirects(t, "/admin/users/u1?done=sessions_ended")
	p.api.only(t, "DELETE /idp/api/v1/users/u1/sessions")
	p.get(cookie, "/admin/users/u1?done=sessions_ended").want(t, http.StatusOK, msg("admin.done.sessions_ended"))
	// A session ended meanwhile is said so; a refusal shows identity's reason.
	p.api.on("DELETE /idp/api/v1/users/u1/sessions/sid-gone", 404, `{"detail":"There is no such session (or it has ended already)."}`)
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"end_session"}, "sid": {"sid-gone"}}).want(t, http.StatusNotFound, msg("sessions.gone"))
	p.api.on("DELETE /idp/api/v1/users/u1/sessions", 403, `{"detail":"You lack admin."}`)
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"end_sessions"}}).want(t, http.StatusForbidden, msg("admin.refused", "You lack admin."))

	// A form from another site is refused before it reaches identity.
	before := len(p.api.changes())
	req := httptest.NewRequest(http.MethodPost, "/admin/users/u1", strings.NewReader(url.Values{"action": {"end_sessions"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := p.do(cookie, req); r.code != http.StatusForbidden {
		t.Errorf("cross-site end of sessions: %d, want 403", r.code)
	}
	if got := p.api.changes(); len(got) != before {
		t.Errorf("a cross-site form reached identity: %v", got[before:])
	}
}

// TestAdminUserSessionsReadOnly: users:read without users:write sees the
// sessions, no buttons, and its forms are refused without asking identity.
func TestAdminUserSessionsReadOnly(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /idp/api/v1/users/u1/sessions", 200, sessionsJSON)
	reader := tokens{Name: "Read Only", Roles: []string{"helpdesk"}, Scopes: []string{"openid", "profile", "users:read"}}
	cookie := p.signIn(reader)
	r := p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, msg("sessions.caption.of", "Bob Builder"), "192.0.2.7")
	r.lacks(t, `value="end_session"`, `value="end_sessions"`, msg("sessions.end.all"))
	for _, action := range []string{"end_session", "end_sessions"} {
		p.post(cookie, "/admin/users/u1", url.Values{"action": {action}, "sid": {"sid-old"}}).want(t, http.StatusForbidden, msg("sessions.forbidden"))
	}
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("a reader's form reached identity: %v", got)
	}
}

func TestProfileSessions(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	p.api.on("GET /idp/api/v1/me/sessions", 200, sessionsJSON)
	cookie := p.signInAt(student(), "sid-new")

	r := p.get(cookie, "/profile")
	r.want(t, http.StatusOK, `<h2 id="sessions-h">`+msg("sessions.mine")+"</h2>", "<caption>"+msg("sessions.caption.mine")+"</caption>",
		`<tr aria-current="true">`, "<strong>("+msg("sessions.current")+")</strong>",
		`<input type="hidden" name="sid" value="sid-old">`, msg("sessions.signout.others"), "&lt;script&gt;")
	// No "sign out" button for the current session: that is the portal's sign-out.
	r.lacks(t, `value="sid-new"`, "<script>alert(1)</script>")
	wantHeader(t, p.api.only(t, "GET /idp/api/v1/me/sessions"), "Authorization", "Bearer access-token")

	p.api.on("DELETE /idp/api/v1/me/sessions/sid-old", 204, "")
	p.post(cookie, "/profile/sessions", url.Values{"sid": {"sid-old"}}).redirects(t, "/profile?done=session_ended")
	p.api.only(t, "DELETE /idp/api/v1/me/sessions/sid-old")
	p.get(cookie, "/profile?done=session_ended").want(t, http.StatusOK, msg("sessions.done.session_ended"))
	p.api.on("DELETE /idp/api/v1/me/sessions", 204, "")
	p.post(cookie, "/profile/sessions", url.Values{}).redirects(t, "/profile?done=sessions_ended")
	p.api.only(t, "DELETE /idp/api/v1/me/sessions")
	p.api.on("DELETE /idp/api/v1/me/sessions/sid-x", 404, `{"detail":"There is no such session (or it has ended already)."}`)
	p.post(cookie, "/profile/sessions", url.Values{"sid": {"sid-x"}}).redirects(t, "/profile?done=session_gone")

	// Identity cannot list them: the profile still shows, and says so.
	p.api.on("GET /idp/api/v1/me/sessions", 503, `{"detail":"down"}`)
	p.get(cookie, "/profile").want(t, http.StatusOK, msg("sessions.unknown"), `name="username" value="ada"`)
	// Signed in only here: nothing else to sign out of.
	p.api.on("GET /idp/api/v1/me/sessions", 200, `{"items":[{"id":"sid-new","created_at":"2026-11-22T09:00:00Z","last_used_at":"2026-11-22T09:00:00Z","client_ip":"192.0.2.7","user_agent":"","applications":[],"current":true}]}`)
	p.get(cookie, "/profile").lacks(t, msg("sessions.signout.others"))

	// Ending the session the portal stands on signs out here too.
	p.api.on("DELETE /idp/api/v1/me/sessions/sid-new", 204, "")
	r = p.post(cookie, "/profile/sessions", url.Values{"sid": {"sid-new"}})
	r.redirects(t, "/")
	if !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("the portal's cookie is kept: %q", r.header.Get("Set-Cookie"))
	}
	if r := p.get(cookie, "/profile"); r.code != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/auth/login") {
		t.Errorf("after ending the current session /profile answers %d %s, want a sign-in", r.code, r.header.Get("Location"))
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDevice(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ua, want string }{
		{"firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"},
		{"edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0", "Edge on Windows"},
		{"safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"chrome on android", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", "Chrome on Android"},
		{"curl", "curl/8.5.0", "curl"},
		{"empty", "", "Unknown device"},
		{"unknown, cut short", strings.Repeat("x", 60), strings.Repeat("x", 40) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := device(English, tc.ua); got != tc.want {
				t.Errorf("device(%q) = %q, want %q", tc.ua, got, tc.want)
			}
		})
	}
}
