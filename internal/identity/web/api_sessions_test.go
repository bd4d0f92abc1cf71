package web

import (
	"net/http"
	"testing"

	"campus/internal/identity"
)

func TestAPIDisableEndsSessions(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	user := e.addUser(t, "leaver", "leaver-password-1", identity.RoleStudent)
	admin := e.token(t, "admin", adminPassword)
	tokens := []string{e.token(t, "leaver", "leaver-password-1"), e.token(t, "leaver", "leaver-password-1")}
	for _, tok := range tokens {
		if !e.active(t, tok) {
			t.Fatal("fresh token inactive")
		}
		e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil)
	}
	u := "/api/v1/users/" + user.ID
	r := e.must(t, http.StatusOK, "POST", u+"/disable", admin, nil, "If-Match", e.etagOf(t, u, admin))
	if r.str("status") != "disabled" {
		t.Fatalf("disabled: %s", r)
	}
	for i, tok := range tokens {
		if e.active(t, tok) {
			t.Errorf("token of session %d still active after disable", i+1)
		}
		if r := e.call(t, "GET", "/api/v1/me", tok, nil); r.status != http.StatusUnauthorized {
			t.Errorf("disabled account's token: %s", r)
		}
	}
	// Disabling again is harmless; enabling lets the person back in.
	r = e.must(t, http.StatusOK, "POST", u+"/disable", admin, nil, "If-Match", r.header.Get("ETag"))
	e.must(t, http.StatusOK, "POST", u+"/enable", admin, nil, "If-Match", r.header.Get("ETag"))
	e.must(t, http.StatusOK, "GET", "/api/v1/me", e.token(t, "leaver", "leaver-password-1"), nil)
}

func TestAPIPasswordChange(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.addUser(t, "mover", "old-password-123", identity.RoleStudent)
	here := e.token(t, "mover", "old-password-123")
	elsewhere := e.token(t, "mover", "old-password-123")

	tests := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"wrong current password", map[string]any{"current_password": "not-my-password", "new_password": "brand-new-phrase"}, 422, "current_password"},
		{"too short", map[string]any{"current_password": "old-password-123", "new_password": "short"}, 422, "new_password"},
		{"common", map[string]any{"current_password": "old-password-123", "new_password": "password1234"}, 422, "new_password"},
		{"contains the username", map[string]any{"current_password": "old-password-123", "new_password": "i-am-mover-2026"}, 422, "new_password"},
		{"unknown field", map[string]any{"current_password": "old-password-123", "new_password": "brand-new-phrase", "confirm": "x"}, 422, "confirm"},
	}
	for _, tc := range tests {
		r := e.call(t, "POST", "/api/v1/me/password", here, tc.body)
		if r.status != tc.status || r.fieldErrors()[tc.field] == "" {
			t.Errorf("%s: %s", tc.name, r)
		}
	}
	if !e.active(t, elsewhere) {
		t.Fatal("a refused change ended the other session")
	}
	e.must(t, http.StatusNoContent, "POST", "/api/v1/me/password", here, map[string]any{"current_password": "old-password-123", "new_password": "brand-new-phrase"})
	if e.active(t, elsewhere) {
		t.Error("the other session's token is still active after the password change")
	}
	if !e.active(t, here) {
		t.Error("the session that changed the password was ended")
	}
	e.must(t, http.StatusOK, "GET", "/api/v1/me", here, nil)
	// The new password signs in; the old one does not.
	e.token(t, "mover", "brand-new-phrase")
	start, _ := e.authorize(t, e.console)
	if resp := e.submitLogin(t, start, "mover", "old-password-123"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password: status %d", resp.StatusCode)
	}
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=password_changed", e.token(t, "admin", adminPassword), nil)
	if n := len(audit.body["items"].([]any)); n != 2 { // one failure, one success
		t.Fatalf("%d password_changed events: %s", n, audit)
	}
}
