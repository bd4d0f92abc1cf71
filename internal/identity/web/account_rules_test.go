package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"campus/internal/identity"
)

// TestAPIAuthorityFollowsTheAccount: users:write alone does not reach an
// account whose roles carry more (an administrator's address, status,
// lock, roles, profile), nobody lifts their own restrictions, and an
// address someone else sets waits for its confirmation while the current
// address is told.
func TestAPIAuthorityFollowsTheAccount(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	admin := e.token(t, "admin", adminPassword)
	adminID := e.must(t, http.StatusOK, "GET", "/api/v1/me", admin, nil).str("id")
	e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "helpdesk", "permissions": []string{"users:read", "users:write"}})
	helper := e.addUser(t, "helper", "helper-password-1")
	hp := "/api/v1/users/" + helper.ID
	e.must(t, http.StatusOK, "PUT", hp+"/roles", admin, map[string]any{"roles": []string{"helpdesk"}}, "If-Match", "*")
	e.must(t, http.StatusOK, "PATCH", hp, admin, map[string]any{"login_window": map[string]string{"earliest": "00:00", "latest": "23:59"}}, "If-Match", "*")
	student := e.addUser(t, "stu", "stu-password-123", identity.RoleStudent)
	helpdesk := e.token(t, "helper", "helper-password-1")

	t.Run("users:write does not reach an administrator", func(t *testing.T) {
		ap := "/api/v1/users/" + adminID
		tag := e.etagOf(t, ap, admin)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", ap, map[string]any{"email": "mallory@evil.example"}},
			{"PATCH", ap, map[string]any{"display_name": "Pwned"}},
			{"POST", ap + "/disable", nil},
			{"POST", ap + "/enable", nil},
			{"POST", ap + "/unlock", nil},
			{"PUT", ap + "/roles", map[string]any{"roles": []string{"admin", "helpdesk"}}},
		} {
			r := e.call(t, c.method, c.path, helpdesk, c.body, "If-Match", tag)
			if r.status != http.StatusForbidden || r.header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(r.str("detail"), "you lack admin (") {
				t.Errorf("%s %s by the helpdesk: %s", c.method, c.path, r)
			}
		}
		if e.etagOf(t, ap, admin) != tag {
			t.Fatal("a refused change changed the administrator's account")
		}
		denied := e.must(t, http.StatusOK, "GET", "/api/v1/audit?target="+adminID+"&outcome=denied", admin, nil)
		if n := len(denied.body["items"].([]any)); n != 6 {
			t.Fatalf("%d denied events, want 6: %s", n, denied)
		}
		// A student's account is within the helpdesk's reach.
		sp := "/api/v1/users/" + student.ID
		e.must(t, http.StatusOK, "PATCH", sp, helpdesk, map[string]any{"display_name": "Stu Dent"}, "If-Match", "*")
		e.must(t, http.StatusOK, "POST", sp+"/unlock", helpdesk, nil, "If-Match", "*")
	})

	t.Run("nobody lifts their own restrictions", func(t *testing.T) {
		for _, c := range []struct {
			method, path, own string
			body              any
		}{
			{"PATCH", hp, "own login window", map[string]any{"login_window": nil}},
			{"POST", hp + "/unlock", "own lock", nil},
			{"POST", hp + "/enable", "own status", nil},
			{"PUT", hp + "/roles", "own roles", map[string]any{"roles": []string{"helpdesk", "admin"}}},
		} {
			r := e.call(t, c.method, c.path, helpdesk, c.body, "If-Match", "*")
			if r.status != http.StatusForbidden || !strings.Contains(r.str("detail"), c.own) {
				t.Errorf("%s %s on one's own account: %s", c.method, c.path, r)
			}
		}
		if w := e.must(t, http.StatusOK, "GET", hp, admin, nil).body["login_window"]; w == nil {
			t.Fatal("the helpdesk lifted its own login window")
		}
		// One's own profile stays one's own to change.
		e.must(t, http.StatusOK, "PATCH", hp, helpdesk, map[string]any{"display_name": "Help Desk"}, "If-Match", "*")
	})

	t.Run("an address set by someone else waits for its confirmation", func(t *testing.T) {
		sp := "/api/v1/users/" + student.ID
		before := e.must(t, http.StatusOK, "GET", sp, admin, nil)
		r := e.must(t, http.StatusOK, "PATCH", sp, helpdesk, map[string]any{"email": "stu@new.example", "semester": 3}, "If-Match", before.header.Get("ETag"))
		if r.str("email") != "stu@uni.example" || r.str("pending_email") != "stu@new.example" || r.body["email_verified"] != true ||
			r.body["semester"] != float64(3) {
			t.Fatalf("patched: %s", r)
		}
		// One transaction, one new version.
		if r.body["version"] != before.body["version"].(float64)+1 || r.header.Get("ETag") != etagFor(r.body["version"]) {
			t.Fatalf("version %v -> %v (ETag %s)", before.body["version"], r.body["version"], r.header.Get("ETag"))
		}
		notice := e.mailTo(t, "stu@uni.example", "administrator is changing")
		if !strings.Contains(notice.Text, "stu@new.example") {
			t.Fatalf("the current address was told: %s", notice.Text)
		}
		if done := e.confirmEmail(t, "stu@new.example"); done.status != http.StatusOK {
			t.Fatalf("confirm: %d %s", done.status, done.body)
		}
		if r := e.must(t, http.StatusOK, "GET", sp, admin, nil); r.str("email") != "stu@new.example" || r.body["email_verified"] != true {
			t.Fatalf("after confirming: %s", r)
		}
		// An address another account has is refused as before (administrators
		// can list accounts anyway).
		if r := e.call(t, "PATCH", sp, admin, map[string]any{"email": "helper@uni.example"}, "If-Match", "*"); r.status != http.StatusConflict ||
			r.fieldErrors()["email"] == "" {
			t.Fatalf("a taken address: %s", r)
		}
	})
}

func etagFor(version any) string {
	v, _ := version.(float64)
	return fmt.Sprintf(`"%d"`, int(v))
}

// TestAPIRoleChangesEndSessions: changing a person's roles or login
// window, or what a role of theirs allows, ends their sessions: the
// refresh token is refused and their applications hear of it by
// back-channel logout.
func TestAPIRoleChangesEndSessions(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	logouts := make(chan string, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		logouts <- r.PostForm.Get("logout_token")
	}))
	t.Cleanup(rcv.Close)
	// As `campus clients add` registers it by default.
	app := e.addClient(t, identity.Client{ID: "lms", FirstParty: true, RedirectURIs: []string{"https://lms.uni.example/cb"},
		BackchannelLogoutURI: rcv.URL + "/backchannel", GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes: []string{"openid", "profile", "email", "offline_access"}})
	app.Scopes = []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}
	pat := e.addUser(t, "pat", "pat-password-123", identity.RoleStudent)
	admin := e.token(t, "admin", adminPassword)
	e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "tutor", "permissions": []string{"grades:read"}})
	u := "/api/v1/users/" + pat.ID

	signIn := func(t *testing.T) *oauth2.Token {
		t.Helper()
		tok := e.signInToken(t, app, "pat", "pat-password-123")
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token")
		}
		return tok
	}
	refresh := func(tok *oauth2.Token) error {
		stale := *tok
		stale.Expiry = time.Now().Add(-time.Minute)
		_, err := app.TokenSource(context.Background(), &stale).Token()
		return err
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T)
	}{
		{"roles", func(t *testing.T) {
			e.must(t, http.StatusOK, "PUT", u+"/roles", admin, map[string]any{"roles": []string{"student", "tutor"}}, "If-Match", "*")
		}},
		{"login window", func(t *testing.T) {
			e.must(t, http.StatusOK, "PATCH", u, admin, map[string]any{"login_window": map[string]string{"earliest": "00:00", "latest": "23:59"}}, "If-Match", "*")
		}},
		{"a role's applications", func(t *testing.T) {
			e.must(t, http.StatusOK, "PATCH", "/api/v1/roles/tutor", admin, map[string]any{"allowed_clients": []string{"lms", "console"}}, "If-Match", "*")
		}},
		{"a role's permissions", func(t *testing.T) {
			e.must(t, http.StatusOK, "PATCH", "/api/v1/roles/tutor", admin, map[string]any{"permissions": []string{}}, "If-Match", "*")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := signIn(t)
			if err := refresh(tok); err != nil {
				t.Fatalf("refresh before the change: %v", err)
			}
			idc := claims(t, tok.Extra("id_token").(string))
			tc.change(t)
			select {
			case raw := <-logouts:
				if lc := claims(t, raw); lc["sub"] != pat.ID || lc["sid"] != idc["sid"] {
					t.Fatalf("logout token %v for the session %v", lc, idc["sid"])
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no logout token arrived within 10s")
			}
			var re *oauth2.RetrieveError
			if err := refresh(tok); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("refresh after the change: %v", err)
			}
			// Other sessions of the same person ended earlier; nothing else arrives.
			select {
			case raw := <-logouts:
				lc := claims(t, raw)
				t.Fatalf("another logout token: %v", lc)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
	// The administrator's own session outlived it all.
	e.must(t, http.StatusOK, "GET", "/api/v1/me", admin, nil)
	ended := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=role_changed&target=tutor", admin, nil)
	if !strings.Contains(ended.raw, "1 sessions of its members ended") {
		t.Fatalf("audit: %s", ended)
	}
}
