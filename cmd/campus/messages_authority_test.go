package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// TestMessagesStreamEndsOnRevocation: an open event stream lasts as long
// as its access token, minutes; when identity revokes the person's tokens
// (account disabled, roles changed, signed out, token revoked) the stream
// ends within seconds, and a new one is refused.
func TestMessagesStreamEndsOnRevocation(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	p := e.p
	app := p.addClient(t, "--id", "chat", "--first-party", "--redirect-uri", "https://chat.uni.example/cb",
		"--scope", "openid,messages:read,messages:write")
	admin := e.token(t, "admin", adminPassword)
	idTokens := map[string]string{}
	signIn := func(user, pw string) string {
		tok, _ := newRP(t, p, app, oidc.ScopeOpenID, "messages:read", "messages:write").signIn(t, p, p.browser(t), user, pw)
		idTokens[tok.AccessToken] = tok.Extra("id_token").(string)
		return tok.AccessToken
	}
	events := p.running.url + "/messages/v1/events"
	cases := []struct {
		name   string
		revoke func(id, tok string)
	}{
		{"account disabled", func(id, _ string) {
			u := "/api/v1/users/" + id
			e.must(t, http.StatusOK, "POST", u+"/disable", admin, nil, "If-Match", e.etagOf(t, u, admin))
		}},
		{"roles changed", func(id, _ string) {
			u := "/api/v1/users/" + id
			e.must(t, http.StatusOK, "PUT", u+"/roles", admin, map[string]any{"roles": []string{"staff"}}, "If-Match", e.etagOf(t, u, admin))
		}},
		{"signed out", func(_, tok string) {
			q := url.Values{"id_token_hint": {idTokens[tok]}, "client_id": {app.ID}}
			if pg := getPage(t, p.browser(t), p.issuer+"/end_session?"+q.Encode()); pg.status/100 != 3 && pg.status != http.StatusOK {
				t.Fatalf("end_session: %d", pg.status)
			}
		}},
		{"token revoked (RFC 7009)", func(_, tok string) {
			if st, _ := postForm(t, p.http, p.issuer+"/revoke", app.ID, app.Secret, url.Values{"token": {tok}}); st != http.StatusOK {
				t.Fatalf("revoke: %d", st)
			}
		}},
	}
	for i, c := range cases {
		user := "listener" + string(rune('a'+i))
		acc := p.addUser(t, user, "Listener-password-12", "student")
		tok := signIn(user, "Listener-password-12")
		s := openStream(t, p.http, events, tok, "")
		c.revoke(acc.ID, tok)
		at := time.Now()
		for ended := false; !ended; {
			select {
			case _, ok := <-s.events:
				ended = !ok
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the stream still runs 10s after identity revoked", c.name)
			}
		}
		t.Logf("%s: the event stream ended %v after identity revoked", c.name, time.Since(at).Round(10*time.Millisecond))
		if st, _, _ := jsonCall(t, p.http, "GET", events, tok, nil); st != http.StatusUnauthorized {
			t.Fatalf("%s: a new stream with the revoked token answered %d, want 401", c.name, st)
		}
	}
}
