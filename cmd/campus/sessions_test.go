package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestAdminEndsOneSession: a person signed in twice; an administrator
// lists their sessions through identity's API and ends one. That
// session's refresh token is refused, the other's still works.
func TestAdminEndsOneSession(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb",
		"--scope", "openid", "--scope", "offline_access")
	tool := p.addClient(t, "--id", "admin-tool", "--first-party", "--redirect-uri", "https://admin.uni.example/cb",
		"--scope", "openid", "--scope", "users:read", "--scope", "users:write")
	acc := p.addUser(t, "sam", "Sam-password-123", "student")
	r := newRP(t, p, app, oidc.ScopeOpenID, oidc.ScopeOfflineAccess)
	first, _ := r.signIn(t, p, p.browser(t), "sam", "Sam-password-123")
	second, _ := r.signIn(t, p, p.browser(t), "sam", "Sam-password-123")
	_, idc := claims(t, first.Extra("id_token").(string))
	sid, _ := idc["sid"].(string)
	if sid == "" {
		t.Fatal("no sid in the ID token")
	}

	at, _ := newRP(t, p, tool, oidc.ScopeOpenID, "users:read", "users:write").signIn(t, p, p.browser(t), "admin", adminPassword)
	call := identityCall(t, p, at.AccessToken)
	sessions := "/api/v1/users/" + acc.ID + "/sessions"
	list := call("GET", sessions)
	if list.status != http.StatusOK || strings.Count(list.raw, `"client_ip":"127.0.0.1"`) != 2 || !strings.Contains(list.raw, `"id":"`+sid+`"`) ||
		!strings.Contains(list.raw, `"client_id":"lms"`) {
		t.Fatalf("sessions: %d %s", list.status, list.raw)
	}
	if got := call("DELETE", sessions+"/"+sid); got.status != http.StatusNoContent {
		t.Fatalf("end the session: %d %s", got.status, got.raw)
	}

	var re *oauth2.RetrieveError
	if _, err := r.refresh(first.RefreshToken); err == nil || !asRetrieve(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh of the ended session: %v, want invalid_grant", err)
	}
	if _, err := r.refresh(second.RefreshToken); err != nil {
		t.Errorf("refresh of the other session: %v", err)
	}
	if list := call("GET", sessions); strings.Contains(list.raw, sid) || strings.Count(list.raw, `"id":`) != 1 {
		t.Errorf("sessions after ending one: %s", list.raw)
	}
}
