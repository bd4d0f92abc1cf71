package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/identity"
)

// formHidden reads a hidden field of a page's form.
var formHidden = func(name string) func(string) string {
	return func(body string) string {
		i := strings.Index(body, `name="`+name+`" value="`)
		if i < 0 {
			return ""
		}
		rest := body[i+len(`name="`+name+`" value="`):]
		return rest[:strings.Index(rest, `"`)]
	}
}

// RP-Initiated Logout 1.0 sections 2 and 3: a hint ends the session it
// names; without one, nothing ends until the person confirms by a POST
// that carries the CSRF token.
func TestLogoutWithoutHintAsksFirst(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "wiki", "--first-party", "--redirect-uri", "https://wiki.uni.example/cb",
		"--post-logout-redirect-uri", "https://wiki.uni.example/bye")
	p.addUser(t, "stud", "student-password-1", identity.RoleStudent)
	r := newRP(t, p, app, oidc.ScopeOpenID, "profile")

	t.Run("a plain GET asks and ends nothing", func(t *testing.T) {
		b := p.browser(t)
		tok, _ := r.signIn(t, p, b, "admin", adminPassword)
		req, _ := http.NewRequest(http.MethodGet, p.issuer+"/end_session", nil)
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Sign out of campus?") || !strings.Contains(string(body), `method="post"`) {
			t.Fatalf("end_session without hint = %d:\n%s", resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(string(body), "<script") {
			t.Errorf("confirmation page CSP %q or inline script", csp)
		}
		if !active(t, p, app, tok.AccessToken) {
			t.Fatal("a GET without id_token_hint ended the session")
		}
		// Another site's form cannot confirm: no CSRF token.
		if pg := postPage(t, p.browser(t), p.issuer+"/logout", url.Values{"csrf": {"x"}}); pg.status != http.StatusForbidden {
			t.Errorf("logout POST without the CSRF cookie = %d", pg.status)
		}
		if pg := postPage(t, b, p.issuer+"/logout", url.Values{"csrf": {strings.Repeat("a", 32)}}); pg.status != http.StatusForbidden {
			t.Errorf("logout POST with a wrong CSRF token = %d", pg.status)
		}
		if !active(t, p, app, tok.AccessToken) {
			t.Fatal("a POST without the right CSRF token ended the session")
		}
		// Confirmed without a redirect: the signed-out page.
		pg := postPage(t, b, p.issuer+"/logout", url.Values{"csrf": {formHidden("csrf")(string(body))}})
		if pg.status != http.StatusOK || !strings.Contains(pg.body, "You are signed out") {
			t.Fatalf("confirmed logout = %d %v:\n%s", pg.status, pg.location, pg.body)
		}
		if active(t, p, app, tok.AccessToken) {
			t.Fatal("confirmed logout left the session alive")
		}
	})

	t.Run("confirmation goes on to the registered redirect with state", func(t *testing.T) {
		b := p.browser(t)
		tok, _ := r.signIn(t, p, b, "stud", "student-password-1")
		q := url.Values{"client_id": {app.ID}, "post_logout_redirect_uri": {"https://wiki.uni.example/bye"}, "state": {"s9"}}
		pg := getPage(t, b, p.issuer+"/end_session?"+q.Encode())
		if pg.status != http.StatusOK || pg.location != nil || !strings.Contains(pg.body, "Stud") {
			t.Fatalf("end_session with client_id only = %d %v:\n%s", pg.status, pg.location, pg.body)
		}
		form := url.Values{}
		for _, k := range []string{"csrf", "client_id", "post_logout_redirect_uri", "state"} {
			form.Set(k, formHidden(k)(pg.body))
		}
		done := postPage(t, b, p.issuer+"/logout", form)
		if done.location == nil || done.location.Host != "wiki.uni.example" || done.location.Path != "/bye" || done.location.Query().Get("state") != "s9" {
			t.Fatalf("confirmed logout went to %v (status %d)", done.location, done.status)
		}
		if active(t, p, app, tok.AccessToken) {
			t.Fatal("session alive after confirmed logout")
		}
		// A tampered redirect in the form is not followed.
		b2 := p.browser(t)
		r.signIn(t, p, b2, "stud", "student-password-1")
		pg = getPage(t, b2, p.issuer+"/end_session")
		evil := postPage(t, b2, p.issuer+"/logout", url.Values{"csrf": {formHidden("csrf")(pg.body)}, "client_id": {app.ID}, "post_logout_redirect_uri": {"https://evil.example/"}})
		if evil.location != nil {
			t.Fatalf("tampered logout redirected to %v", evil.location)
		}
	})

	t.Run("a hint for another session ends that one, not the browser's", func(t *testing.T) {
		mine, other := p.browser(t), p.browser(t)
		myTok, _ := r.signIn(t, p, mine, "admin", adminPassword)
		theirTok, _ := r.signIn(t, p, other, "stud", "student-password-1")
		q := url.Values{"id_token_hint": {theirTok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://wiki.uni.example/bye"}}
		pg := getPage(t, mine, p.issuer+"/end_session?"+q.Encode())
		if pg.location == nil || pg.location.Host != "wiki.uni.example" {
			t.Fatalf("logout with hint = %d %v", pg.status, pg.location)
		}
		if active(t, p, app, theirTok.AccessToken) {
			t.Error("the hinted session is still alive")
		}
		if !active(t, p, app, myTok.AccessToken) {
			t.Error("the browser's own session was ended instead")
		}
		// The same hint again names no live session: the signed-in browser is asked.
		if pg := getPage(t, mine, p.issuer+"/end_session?"+q.Encode()); pg.location != nil || !strings.Contains(pg.body, "Sign out of campus?") {
			t.Errorf("a spent hint: %d %v", pg.status, pg.location)
		}
		if !active(t, p, app, myTok.AccessToken) {
			t.Error("a spent hint ended the browser's session")
		}
	})
}
