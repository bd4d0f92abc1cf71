package main

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPortalSignInAndOut(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)

	// Anonymous: the public catalogue, in the browser's language.
	req, _ := http.NewRequest(http.MethodGet, p.url+"/programmes", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	if pg := visit(t, b, req); pg.status != http.StatusOK || !strings.Contains(pg.body, "Studiengänge") || !strings.Contains(pg.body, `lang="de"`) {
		t.Fatalf("German catalogue: %d\n%s", pg.status, pg.body)
	}

	// Sign in: to identity's form and back to the page asked for.
	start := getPage(t, b, p.url+"/auth/login?return="+url.QueryEscape("/programmes?q=x"))
	if !formAuthRequest.MatchString(start.body) {
		t.Fatalf("no identity sign-in form: %d %s", start.status, start.body)
	}
	done := submitLogin(t, p, b, start, "admin", adminPassword)
	if done.status != http.StatusOK || !strings.Contains(html.UnescapeString(done.body), "Signed in as Administrator") {
		t.Fatalf("after sign-in: %d\n%s", done.status, done.body)
	}
	// The browser holds only an opaque, HttpOnly session cookie: no token.
	u, _ := url.Parse(p.url + "/")
	var session *http.Cookie
	for _, c := range b.Jar.Cookies(u) {
		if strings.Count(c.Value, ".") == 2 {
			t.Errorf("cookie %s looks like a JWT", c.Name)
		}
		if c.Name == "campus_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no portal session cookie")
	}

	// Back-channel logout: ending the identity session elsewhere ends the
	// portal's session too (identity tells the portal).
	app := p.addClient(t, "--id", "elsewhere", "--first-party", "--redirect-uri", "https://else.uni.example/cb",
		"--post-logout-redirect-uri", "https://else.uni.example/")
	// The same browser signs in to another application (single sign-on), and
	// that application logs the person out.
	tok, _ := newRP(t, p, app, "openid").signIn(t, p, b, "", "")
	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://else.uni.example/"}}
	getPage(t, b, p.issuer+"/end_session?"+q.Encode())
	deadline := time.Now().Add(10 * time.Second)
	for {
		home := getPage(t, b, p.url+"/")
		if !strings.Contains(html.UnescapeString(home.body), "Signed in as") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the portal session survived the end of the identity session")
		}
		time.Sleep(50 * time.Millisecond) // delivery is asynchronous; bounded wait
	}

	// Sign in again and sign out from the portal: everywhere.
	start = getPage(t, b, p.url+"/auth/login?return=/")
	submitLogin(t, p, b, start, "admin", adminPassword)
	req, _ = http.NewRequest(http.MethodPost, p.url+"/auth/logout", nil)
	out := visit(t, b, req)
	if strings.Contains(html.UnescapeString(out.body), "Signed in as") {
		t.Fatalf("still signed in after signing out: %d", out.status)
	}
	again := getPage(t, b, p.url+"/auth/login?return=/")
	if !formAuthRequest.MatchString(again.body) {
		t.Fatal("after signing out, identity signed the browser in without asking: not signed out everywhere")
	}

	// A sign-in callback without the sign-in's cookie is refused.
	bad := getPage(t, p.browser(t), p.url+"/auth/callback?code=x&state=y")
	if bad.status != http.StatusBadRequest {
		t.Fatalf("forged callback: %d", bad.status)
	}
	// Return paths stay on the portal.
	evil := getPage(t, p.browser(t), p.url+"/auth/login?return="+url.QueryEscape("//evil.example/"))
	if evil.location != nil && evil.location.Host == "evil.example" {
		t.Fatal("open redirect through return")
	}
}
