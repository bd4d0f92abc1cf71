package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

func TestBackchannelLogoutEndToEnd(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	got := make(chan string, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got <- r.PostForm.Get("logout_token")
	}))
	t.Cleanup(rcv.Close)
	lms := p.addClient(t, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb",
		"--post-logout-redirect-uri", "https://lms.uni.example/", "--backchannel-logout-uri", rcv.URL+"/backchannel")
	quiet := p.addClient(t, "--id", "quiet", "--first-party", "--redirect-uri", "https://quiet.uni.example/cb")
	r := newRP(t, p, lms, oidc.ScopeOpenID)
	b := p.browser(t)
	tok, _ := r.signIn(t, p, b, "admin", adminPassword)
	newRP(t, p, quiet, oidc.ScopeOpenID).signIn(t, p, b, "", "") // same session, no logout URI
	_, idc := claims(t, tok.Extra("id_token").(string))

	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://lms.uni.example/"}}
	if pg := getPage(t, b, p.issuer+"/end_session?"+q.Encode()); pg.location == nil {
		t.Fatalf("logout: status %d", pg.status)
	}
	var raw string
	select {
	case raw = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no logout token arrived within 10s")
	}
	keySet := oidc.NewRemoteKeySet(r.ctx, p.issuer+"/keys")
	if _, err := keySet.VerifySignature(r.ctx, raw); err != nil {
		t.Fatalf("logout token does not verify against the JWKS: %v", err)
	}
	_, lc := claims(t, raw)
	if lc["sid"] != idc["sid"] || lc["sub"] != idc["sub"] || lc["aud"] != "lms" || lc["iss"] != p.issuer {
		t.Fatalf("logout token claims %v, id_token %v", lc, idc)
	}
	if _, ok := lc["events"].(map[string]any)["http://schemas.openid.net/event/backchannel-logout"]; !ok {
		t.Fatalf("events %v", lc["events"])
	}
	select {
	case extra := <-got:
		t.Fatalf("a second logout token arrived: %s", strings.SplitN(extra, ".", 2)[0])
	default:
	}
	// Administrators see the outbox: delivered to lms, nothing to quiet.
	users := p.addClient(t, "--id", "admin-tool", "--first-party", "--redirect-uri", "https://admin.uni.example/cb", "--scope", "openid", "--scope", "users:read")
	at, _ := newRP(t, p, users, oidc.ScopeOpenID, "users:read").signIn(t, p, p.browser(t), "admin", adminPassword)
	out := identityCall(t, p, at.AccessToken)("GET", "/api/v1/logout-deliveries")
	if out.status != http.StatusOK || !strings.Contains(out.raw, `"client_id":"lms"`) || !strings.Contains(out.raw, `"status":"delivered"`) || strings.Contains(out.raw, "quiet") {
		t.Fatalf("outbox: %d %s", out.status, out.raw)
	}

	// The refresh token of the ended session is dead too.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.config.TokenSource(r.ctx, &stale).Token(); err == nil {
		t.Fatal("refresh token of an ended session still works")
	}
}
