package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"campus/internal/identity"
)

func TestAPIAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	target := e.addUser(t, "target", "target-password-1", identity.RoleStudent)
	stud := e.addUser(t, "stud", "student-password-1", identity.RoleStudent)
	e.addUser(t, "staffer", "staff-password-12", identity.RoleStaff)
	tokens := map[string]string{
		"anonymous": "",
		"student":   e.token(t, "stud", "student-password-1"),
		"staff":     e.token(t, "staffer", "staff-password-12"),
		"admin":     e.token(t, "admin", adminPassword),
	}
	// A student's token never carries admin scopes, even when the client
	// asks for them.
	if c := claims(t, tokens["student"]); strings.Contains(c["scope"].(string), "users:") {
		t.Fatalf("student token scope %q", c["scope"])
	}
	u := "/api/v1/users/" + target.ID
	badRegistration := map[string]any{"username": "x"}
	const (
		unauth = http.StatusUnauthorized
		denied = http.StatusForbidden
	)
	// Each row: the expected status for anonymous, student, staff, admin.
	// Writes go without If-Match: 428 shows the caller got past the checks
	// without changing anything.
	tests := []struct {
		method, path string
		body         any
		scope        string
		want         [4]int
	}{
		{"GET", "/api/v1/openapi.yaml", nil, "", [4]int{200, 200, 200, 200}},
		{"GET", "/api/v1/users", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"GET", u, nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"PATCH", u, map[string]any{"display_name": "T"}, "users:write", [4]int{unauth, denied, denied, 428}},
		{"POST", u + "/disable", nil, "users:write", [4]int{unauth, denied, denied, 428}},
		{"POST", u + "/enable", nil, "users:write", [4]int{unauth, denied, denied, 428}},
		{"POST", u + "/unlock", nil, "users:write", [4]int{unauth, denied, denied, 428}},
		{"PUT", u + "/roles", map[string]any{"roles": []string{"staff"}}, "users:write", [4]int{unauth, denied, denied, 428}},
		{"GET", "/api/v1/roles", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"GET", "/api/v1/roles/student", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"POST", "/api/v1/roles", map[string]any{"name": "matrix"}, "roles:write", [4]int{unauth, denied, denied, 201}},
		{"PATCH", "/api/v1/roles/student", map[string]any{"description": "x"}, "roles:write", [4]int{unauth, denied, denied, 428}},
		{"GET", "/api/v1/me", nil, "", [4]int{unauth, 200, 200, 200}},
		{"PATCH", "/api/v1/me", map[string]any{"display_name": "Me"}, "", [4]int{unauth, 428, 428, 428}},
		{"POST", "/api/v1/me/password", map[string]any{"current_password": "wrong-password", "new_password": "a-new-pass-phrase"}, "", [4]int{unauth, 422, 422, 422}},
		{"GET", "/api/v1/audit", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"POST", "/api/v1/registrations", badRegistration, "", [4]int{422, 422, 422, 422}},
		// Sessions, second factors and API keys (issues 15 and 17): a
		// person's own through /me, anyone else's with users:read or
		// users:write. Ending every session of a caller would end the
		// tokens the other rows use, so /me's DELETE is not in the table.
		{"GET", "/api/v1/me/sessions", nil, "", [4]int{unauth, 200, 200, 200}},
		{"GET", "/api/v1/me/factors", nil, "", [4]int{unauth, 200, 200, 200}},
		{"GET", "/api/v1/me/api-keys", nil, "", [4]int{unauth, 200, 200, 200}},
		{"DELETE", "/api/v1/me/sessions/no-such-session", nil, "", [4]int{unauth, 404, 404, 404}},
		{"GET", u + "/sessions", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"DELETE", u + "/sessions/no-such-session", nil, "users:write", [4]int{unauth, denied, denied, 404}},
		{"GET", u + "/factors", nil, "users:read", [4]int{unauth, denied, denied, 200}},
		{"DELETE", u + "/factors", nil, "users:write", [4]int{unauth, denied, denied, 204}},
		// Events (issue 16) need events:write, which the console this table
		// signs in through does not ask for: TestAPIEvents has the rest.
		{"GET", "/api/v1/events", nil, "events:write", [4]int{unauth, denied, denied, denied}},
		{"POST", "/api/v1/events", map[string]any{"name": "x"}, "events:write", [4]int{unauth, denied, denied, denied}},
		{"GET", "/api/v1/events/no-such-event", nil, "events:write", [4]int{unauth, denied, denied, denied}},
		{"POST", "/api/v1/events/no-such-event/accounts", map[string]any{"count": 1}, "events:write", [4]int{unauth, denied, denied, denied}},
		{"POST", "/api/v1/events/no-such-event/end", nil, "events:write", [4]int{unauth, denied, denied, denied}},
	}
	for _, tc := range tests {
		for i, who := range []string{"anonymous", "student", "staff", "admin"} {
			t.Run(who+" "+tc.method+" "+tc.path, func(t *testing.T) {
				t.Parallel()
				r := e.call(t, tc.method, tc.path, tokens[who], tc.body)
				if r.status != tc.want[i] {
					t.Fatalf("= %s; want %d", r, tc.want[i])
				}
				switch r.status {
				case unauth:
					// RFC 6750 section 3.1: an error code only when a token came.
					h := r.header.Get("WWW-Authenticate")
					if !strings.HasPrefix(h, "Bearer ") || strings.Contains(h, `error="invalid_token"`) != (tokens[who] != "") {
						t.Errorf("WWW-Authenticate = %q", h)
					}
					if r.header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("401 is %s", r.header.Get("Content-Type"))
					}
				case denied:
					if !strings.Contains(r.str("detail"), tc.scope) || !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="`+tc.scope+`"`) {
						t.Errorf("403 does not name the scope %s: %s %v", tc.scope, r, r.header)
					}
				}
			})
		}
	}

	t.Run("bad tokens", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(tokens["admin"], ".")
		tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		for name, tok := range map[string]string{"garbage": "not-a-token", "bad signature": tampered,
			"foreign key": signForeign(t, parts[1])} {
			if r := e.call(t, "GET", "/api/v1/users", tok, nil); r.status != unauth || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
				t.Errorf("%s: %s", name, r)
			}
		}
		req, _ := http.NewRequest("GET", e.issuer+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Basic YWRtaW46eA==")
		if resp, err := e.http.Do(req); err != nil || resp.StatusCode != unauth {
			t.Errorf("basic auth: %v %v", resp, err)
		}
	})

	t.Run("a revoked token", func(t *testing.T) {
		t.Parallel()
		tok := e.token(t, "stud", "student-password-1")
		if st := e.revoke(t, tok); st != http.StatusOK {
			t.Fatalf("revoke: %d", st)
		}
		if r := e.call(t, "GET", "/api/v1/me", tok, nil); r.status != unauth {
			t.Fatalf("revoked token: %s", r)
		}
	})

	t.Run("client credentials", func(t *testing.T) {
		t.Parallel()
		svc := e.serviceToken(t, "directory-export", "users:read")
		e.must(t, http.StatusOK, "GET", "/api/v1/users", svc, nil)
		e.must(t, denied, "GET", "/api/v1/me", svc, nil)
		if r := e.call(t, "PATCH", u, svc, map[string]any{"semester": 2}); r.status != denied || !strings.Contains(r.str("detail"), "users:write") {
			t.Fatalf("service without users:write: %s", r)
		}
	})

	t.Run("self-service only through first-party applications", func(t *testing.T) {
		t.Parallel()
		third := e.addClient(t, identity.Client{ID: "thirdparty", RedirectURIs: []string{"https://third.example/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}})
		// stud allowed it before, so that no consent page comes between.
		if err := e.store.SaveConsent(context.Background(), stud.ID, third.ClientID, []string{"openid"}); err != nil {
			t.Fatal(err)
		}
		tok := e.signIn(t, third, "stud", "student-password-1")
		if res := e.call(t, "GET", "/api/v1/me", tok, nil); res.status != denied || !strings.Contains(res.str("detail"), "own applications") {
			t.Fatalf("third-party /me: %s", res)
		}
	})
}
