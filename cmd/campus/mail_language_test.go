package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestMailFollowsThePortalLanguageSwitch: a person who switches the portal
// to German while signed in gets German mail, even when an English browser
// without the switch's cookie asks for it; switching back gives English.
func TestMailFollowsThePortalLanguageSwitch(t *testing.T) {
	t.Parallel()
	e, smtp, _ := smtpCampus(t, nil)
	p := e.p
	p.addUser(t, "greta", "greta-password-1", "student")
	b := p.browser(t)
	submitLogin(t, p, b, getPage(t, b, p.url+"/auth/login?return=/"), "greta", "greta-password-1")
	switchTo := func(lang string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.url+"/lang?to="+lang+"&back=/", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if pg := visit(t, b, req); pg.status != http.StatusOK {
			t.Fatalf("switch to %s: %d", lang, pg.status)
		}
	}
	switchTo("de")
	admin := e.token(t, "admin", adminPassword)
	if u := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=greta", admin, nil).body["items"].([]any)[0].(map[string]any); u["locale"] != "de" {
		t.Fatalf("identity did not store the switch: locale %v", u["locale"])
	}

	// Another browser, English, without the portal's cookie, asks for a
	// password reset.
	forgot := func() {
		t.Helper()
		english := p.browser(t)
		req, _ := http.NewRequest(http.MethodGet, p.issuer+"/password/forgot", nil)
		req.Header.Set("Accept-Language", "en-US,en;q=0.9")
		f := formOf(t, visit(t, english, req), "csrf")
		f.Set("login", "greta")
		req, _ = http.NewRequest(http.MethodPost, p.issuer+"/password/forgot", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "en-US,en;q=0.9")
		if pg := visit(t, english, req); pg.status != http.StatusOK {
			t.Fatalf("forgot: %d\n%s", pg.status, pg.body)
		}
	}
	forgot()
	m := received(t, smtp, 1, "greta@uni.example")
	if !strings.Contains(m.Subject, "Passwort") || !strings.Contains(m.HTML, `lang="de"`) || !mailLink.MatchString(m.Text) {
		t.Fatalf("reset mail for a person who chose German, asked from an English browser: %q\n%s", m.Subject, m.Text)
	}

	// Back to English in the portal: identity stores that too.
	switchTo("en")
	if u := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=greta", admin, nil).body["items"].([]any)[0].(map[string]any); u["locale"] != "en" {
		t.Fatalf("switch back: locale %v", u["locale"])
	}
}
