package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"campus/internal/identity"
)

// TestAPISessions: administrators list a person's sessions and end one or
// all; everyone lists and ends their own. Ending one is signing out of it:
// its tokens stop, its applications hear of it (back-channel logout), the
// person's other sessions go on. Nobody reaches someone else's session,
// not even to learn that it exists.
func TestAPISessions(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	logouts := make(chan string, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		logouts <- r.PostForm.Get("logout_token")
	}))
	t.Cleanup(rcv.Close)
	app := e.addClient(t, identity.Client{ID: "lms", Name: "Learning rooms", FirstParty: true, RedirectURIs: []string{"https://lms.uni.example/cb"},
		BackchannelLogoutURI: rcv.URL + "/backchannel", GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes: []string{"openid", "profile", "offline_access"}})
	app.Scopes = []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}
	ada := e.addUser(t, "ada", "ada-password-123", identity.RoleStudent)
	e.addUser(t, "eve", "eve-password-123", identity.RoleStudent)
	admin := e.token(t, "admin", adminPassword)
	eve := e.signIn(t, app, "eve", "eve-password-123")

	signIn := func() (*oauth2.Token, string) {
		t.Helper()
		tok := e.signInToken(t, app, "ada", "ada-password-123")
		sid, _ := claims(t, tok.Extra("id_token").(string))["sid"].(string)
		if sid == "" || tok.RefreshToken == "" {
			t.Fatal("no sid or no refresh token")
		}
		return tok, sid
	}
	refresh := func(tok *oauth2.Token) error {
		stale := *tok
		stale.Expiry = time.Now().Add(-time.Minute)
		_, err := app.TokenSource(context.Background(), &stale).Token()
		return err
	}
	one, sidOne := signIn()
	two, sidTwo := signIn()
	users := "/api/v1/users/" + ada.ID + "/sessions"

	// The administrator's list: both sessions, newest first, with where
	// they were signed in and the application.
	list := e.must(t, http.StatusOK, "GET", users, admin, nil)
	items := list.body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != sidTwo || items[1].(map[string]any)["id"] != sidOne {
		t.Fatalf("sessions %s, want %s then %s", list, sidTwo, sidOne)
	}
	for _, it := range items {
		s := it.(map[string]any)
		apps, _ := s["applications"].([]any)
		if s["client_ip"] != "127.0.0.1" || s["user_agent"] != "Go-http-client/1.1" || s["current"] != false || len(apps) != 1 ||
			apps[0].(map[string]any)["client_id"] != "lms" || apps[0].(map[string]any)["name"] != "Learning rooms" ||
			s["created_at"] == nil || s["last_used_at"] == nil {
			t.Errorf("session %v", s)
		}
	}
	// The person's own list marks the session of the token.
	mine := e.must(t, http.StatusOK, "GET", "/api/v1/me/sessions", one.AccessToken, nil)
	for _, it := range mine.body["items"].([]any) {
		s := it.(map[string]any)
		if (s["id"] == sidOne) != (s["current"] == true) {
			t.Errorf("current is %v on %v (token of %s)", s["current"], s["id"], sidOne)
		}
	}

	// Nobody else reaches them: a student gets 403 from the admin routes,
	// and someone else's session is not found, exactly as no session.
	e.must(t, http.StatusForbidden, "GET", users, eve, nil)
	e.must(t, http.StatusForbidden, "DELETE", users+"/"+sidOne, eve, nil)
	e.must(t, http.StatusForbidden, "DELETE", users, eve, nil)
	theirs := e.must(t, http.StatusNotFound, "DELETE", "/api/v1/me/sessions/"+sidOne, eve, nil)
	none := e.must(t, http.StatusNotFound, "DELETE", "/api/v1/me/sessions/no-such-session", eve, nil)
	if theirs.raw != none.raw {
		t.Errorf("another's session answers %s, no session %s: they must not differ", theirs, none)
	}
	e.must(t, http.StatusNotFound, "DELETE", "/api/v1/users/"+ada.ID+"/sessions/no-such-session", admin, nil)
	e.must(t, http.StatusNotFound, "GET", "/api/v1/users/no-such-account/sessions", admin, nil)
	if !e.active(t, one.AccessToken) {
		t.Fatal("a refused end ended the session")
	}

	// The administrator ends the first: its tokens stop, the second's not.
	e.must(t, http.StatusNoContent, "DELETE", users+"/"+sidOne, admin, nil)
	if e.active(t, one.AccessToken) {
		t.Error("the ended session's access token is still active")
	}
	if r := e.call(t, "GET", "/api/v1/me", one.AccessToken, nil); r.status != http.StatusUnauthorized {
		t.Errorf("the ended session's token at /me: %s", r)
	}
	var re *oauth2.RetrieveError
	if err := refresh(one); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh of the ended session: %v", err)
	}
	if !e.active(t, two.AccessToken) {
		t.Error("the other session's token stopped too")
	}
	if err := refresh(two); err != nil {
		t.Errorf("refresh of the other session: %v", err)
	}
	// Its application hears of it.
	select {
	case raw := <-logouts:
		if lc := claims(t, raw); lc["sub"] != ada.ID || lc["sid"] != sidOne {
			t.Fatalf("logout token %v, want the session %s", lc, sidOne)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no logout token arrived within 10s")
	}
	if n := len(e.must(t, http.StatusOK, "GET", users, admin, nil).body["items"].([]any)); n != 1 {
		t.Errorf("%d sessions listed after ending one, want 1", n)
	}
	ended := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=session_ended", admin, nil).body["items"].([]any)
	if len(ended) != 1 || ended[0].(map[string]any)["target"] != ada.ID || ended[0].(map[string]any)["outcome"] != "success" {
		t.Errorf("session_ended in the audit trail: %v", ended)
	}

	// "Sign out everywhere else" keeps the caller's session.
	three, _ := signIn()
	e.must(t, http.StatusNoContent, "DELETE", "/api/v1/me/sessions", two.AccessToken, nil)
	if e.active(t, three.AccessToken) || !e.active(t, two.AccessToken) {
		t.Error("sign out everywhere else: want the other session ended and this one kept")
	}
	// Ending one's own current session is signing out.
	e.must(t, http.StatusNoContent, "DELETE", "/api/v1/me/sessions/"+sidTwo, two.AccessToken, nil)
	if e.active(t, two.AccessToken) {
		t.Error("the current session's token is active after ending it")
	}

	// An administrator ends all; the person may sign in again.
	signIn()
	signIn()
	e.must(t, http.StatusNoContent, "DELETE", users, admin, nil)
	if n := len(e.must(t, http.StatusOK, "GET", users, admin, nil).body["items"].([]any)); n != 0 {
		t.Errorf("%d sessions left after ending all", n)
	}
	signIn()
}

// TestAPISessionsFollowAuthority: users:write alone does not reach the
// sessions of an account with more powers (an administrator's).
func TestAPISessionsFollowAuthority(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	admin := e.token(t, "admin", adminPassword)
	e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "helpdesk", "permissions": []string{"users:read", "users:write"}})
	e.addUser(t, "hal", "hal-password-123", "helpdesk")
	pupil := e.addUser(t, "pip", "pip-password-123", identity.RoleStudent)
	hal := e.token(t, "hal", "hal-password-123")
	me := e.must(t, http.StatusOK, "GET", "/api/v1/me", admin, nil).str("id")

	e.must(t, http.StatusOK, "GET", "/api/v1/users/"+me+"/sessions", hal, nil)
	r := e.must(t, http.StatusForbidden, "DELETE", "/api/v1/users/"+me+"/sessions", hal, nil)
	if !e.active(t, admin) {
		t.Fatalf("helpdesk ended an administrator's sessions: %s", r)
	}
	pip := e.token(t, "pip", "pip-password-123")
	e.must(t, http.StatusNoContent, "DELETE", "/api/v1/users/"+pupil.ID+"/sessions", hal, nil)
	if e.active(t, pip) {
		t.Error("helpdesk could not end a student's sessions")
	}
}
