package portal

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// factorsJSON are a person's second factors as identity lists them; the
// second one's name tries to break out of the page.
const factorsJSON = `{"items":[
 {"id":"f1","kind":"webauthn","name":"YubiKey 5","created_at":"2026-11-20T08:00:00Z","last_used_at":"2026-11-22T09:00:00Z"},
 {"id":"f2","kind":"totp","name":"<b>Phone</b>","created_at":"2026-11-21T08:00:00Z","last_used_at":null}],
 "recovery_codes_left":8,"required":true,"manage_url":"https://idp.example/idp/security"}`

// noFactorsJSON is a person whose role requires a factor and who has none.
const noFactorsJSON = `{"items":[],"recovery_codes_left":0,"required":true,"manage_url":"https://idp.example/idp/security"}`

func TestProfileFactors(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	p.api.on("GET /idp/api/v1/me/factors", 200, factorsJSON)
	cookie := p.signIn(student())

	manage := "https://idp.example/idp/security?back=" + url.QueryEscape("https://portal.example/profile#security-h")
	r := p.get(cookie, "/profile")
	r.want(t, http.StatusOK, `<h2 id="security-h">`+msg("factors.title")+"</h2>",
		"<caption>"+msg("factors.caption.mine")+"</caption>",
		`<th scope="row">YubiKey 5</th>`, "<td>"+msg("factors.kind.webauthn")+"</td>",
		`<th scope="row">&lt;b&gt;Phone&lt;/b&gt;</th>`, "<td>"+msg("factors.kind.totp")+"</td>",
		`<time datetime="2026-11-20T08:00:00Z">`, `<time datetime="2026-11-22T09:00:00Z">`, "<td>"+msg("factors.never")+"</td>",
		msg("factors.codes", 8),
		`<a class="button" href="`+template.HTMLEscapeString(manage)+`">`+msg("factors.manage")+"</a>")
	// Factors there: no notice that the role requires one.
	r.lacks(t, "<b>Phone</b>", msg("factors.required.mine"), msg("factors.unknown"))
	wantHeader(t, p.api.only(t, "GET /idp/api/v1/me/factors"), "Authorization", "Bearer access-token")

	// None yet, and the role requires one.
	p.api.on("GET /idp/api/v1/me/factors", 200, noFactorsJSON)
	r = p.get(cookie, "/profile")
	r.want(t, http.StatusOK, `<p class="notice" role="status">`+msg("factors.required.mine")+"</p>", msg("factors.none.mine"), msg("factors.manage"))
	r.lacks(t, msg("factors.caption.mine"))

	// Identity names no page: its issuer's /security, with back.
	p.api.on("GET /idp/api/v1/me/factors", 200, `{"items":[],"recovery_codes_left":0,"required":false}`)
	r = p.get(cookie, "/profile")
	r.want(t, http.StatusOK, `href="`+template.HTMLEscapeString(p.api.srv.URL+"/idp/security?back="+url.QueryEscape("https://portal.example/profile#security-h"))+`"`)
	r.lacks(t, msg("factors.required.mine"))

	// A form that comes back shows the section too.
	p.api.on("GET /idp/api/v1/me/factors", 200, factorsJSON)
	p.post(cookie, "/profile", profileForm("semester", "many")).want(t, http.StatusUnprocessableEntity, `<th scope="row">YubiKey 5</th>`)
}

// TestProfileWithoutFactors: when identity cannot tell the factors, the
// rest of the profile shows, and the section says so briefly.
func TestProfileWithoutFactors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"identity down", http.StatusServiceUnavailable, `{"detail":"down"}`},
		{"identity fails", http.StatusInternalServerError, `{"detail":"boom"}`},
		{"an identity without factors", http.StatusNotFound, `{"detail":"not found"}`},
		{"not an answer", http.StatusOK, `<html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.api.on("GET /idp/api/v1/me", 200, meJSON)
			p.api.on("GET /idp/api/v1/me/sessions", 200, sessionsJSON)
			p.api.on("GET /idp/api/v1/me/factors", tc.status, tc.body)
			r := p.get(p.signIn(student()), "/profile")
			r.want(t, http.StatusOK, `name="username" value="ada"`, `<h2 id="security-h">`+msg("factors.title")+"</h2>",
				"<p>"+msg("factors.unknown")+"</p>", msg("sessions.caption.mine"))
			r.lacks(t, msg("factors.manage"))
		})
	}
}

func TestAdminUserFactors(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /idp/api/v1/users/u1/factors", 200, strings.Replace(factorsJSON, `,"manage_url":"https://idp.example/idp/security"`, "", 1))
	cookie := p.signIn(admin())

	r := p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, `<h2 id="security-h">`+msg("factors.title")+"</h2>",
		"<caption>"+msg("factors.caption.of", "Bob Builder")+"</caption>",
		`<th scope="row">YubiKey 5</th>`, msg("factors.kind.totp"), msg("factors.codes", 8),
		`<input type="hidden" name="action" value="reset_factors"><button type="submit">`+msg("factors.reset.confirm", "Bob Builder")+"</button>",
		msg("factors.reset.about"))
	r.lacks(t, msg("factors.manage"), "<b>Phone</b>")
	wantHeader(t, p.api.only(t, "GET /idp/api/v1/users/u1/factors"), "Authorization", "Bearer access-token")

	// The reset: identity's route, then the page says it is done.
	p.api.on("DELETE /idp/api/v1/users/u1/factors", 204, "")
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"reset_factors"}}).redirects(t, "/admin/users/u1?done=factors_reset")
	wantHeader(t, p.api.only(t, "DELETE /idp/api/v1/users/u1/factors"), "Authorization", "Bearer access-token")
	p.get(cookie, "/admin/users/u1?done=factors_reset").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("admin.done.factors_reset")+"</p>")

	// Refused: identity's reason on the page.
	p.api.on("DELETE /idp/api/v1/users/u1/factors", 403, `{"status":403,"detail":"You cannot reset your own second factors; remove them on the sign-in security page."}`)
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"reset_factors"}}).want(t, http.StatusForbidden,
		`<p class="field-error" role="alert">`+msg("admin.refused", "You cannot reset your own second factors; remove them on the sign-in security page.")+"</p>")
	p.api.on("DELETE /idp/api/v1/users/u1/factors", 404, `{"status":404,"detail":"There is no such account."}`)
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"reset_factors"}}).want(t, http.StatusNotFound, msg("admin.nouser"))

	// A form from another site is refused before it reaches identity.
	before := len(p.api.changes())
	req := httptest.NewRequest(http.MethodPost, "/admin/users/u1", strings.NewReader(url.Values{"action": {"reset_factors"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := p.do(cookie, req); r.code != http.StatusForbidden {
		t.Errorf("cross-site reset: %d, want 403", r.code)
	}
	req = httptest.NewRequest(http.MethodPost, "/admin/users/u1", strings.NewReader(url.Values{"action": {"reset_factors"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if r := p.do(cookie, req); r.code != http.StatusForbidden {
		t.Errorf("reset from another origin: %d, want 403", r.code)
	}
	if got := p.api.changes(); len(got) != before {
		t.Errorf("a cross-site form reached identity: %v", got[before:])
	}

	// No factor: nothing to reset. The role requires one: said so.
	p.api.on("GET /idp/api/v1/users/u1/factors", 200, `{"items":[],"recovery_codes_left":0,"required":true}`)
	r = p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, msg("factors.none.of"), msg("factors.required.of"))
	r.lacks(t, `value="reset_factors"`, msg("factors.caption.of", "Bob Builder"))

	// Identity cannot tell them: the page still shows.
	p.api.on("GET /idp/api/v1/users/u1/factors", 503, `{"detail":"down"}`)
	r = p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, "Bob Builder", "<p>"+msg("factors.unknown")+"</p>")
	r.lacks(t, `value="reset_factors"`)
}

// TestAdminUserFactorsReadOnly: users:read without users:write sees the
// factors, no reset, and its form is refused without asking identity.
func TestAdminUserFactorsReadOnly(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /idp/api/v1/users/u1/factors", 200, factorsJSON)
	cookie := p.signIn(tokens{Name: "Read Only", Roles: []string{"helpdesk"}, Scopes: []string{"openid", "profile", "users:read"}})
	r := p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, `<th scope="row">YubiKey 5</th>`)
	r.lacks(t, `value="reset_factors"`, msg("factors.reset"))
	p.post(cookie, "/admin/users/u1", url.Values{"action": {"reset_factors"}}).want(t, http.StatusForbidden, msg("factors.forbidden"))
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("a reader's form reached identity: %v", got)
	}
}
