package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/db"
	identitystore "campus/internal/identity/store"
)

// Authority follows the account: these tests change a person's roles,
// restrictions and status after they signed in, and check that the powers
// they had stop everywhere: at the next refresh, at the study API, at once
// for writes.

// refresh exchanges a refresh token; err is the token endpoint's refusal.
func (r *rp) refresh(refreshToken string) (*oauth2.Token, error) {
	return r.config.TokenSource(r.ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}).Token()
}

func scopesOf(t testing.TB, access string) []string {
	t.Helper()
	_, c := claims(t, access)
	s, _ := c["scope"].(string)
	return strings.Fields(s)
}

func rolesOf(t testing.TB, access string) []string {
	t.Helper()
	_, c := claims(t, access)
	var out []string
	for _, r := range c["roles"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

// TestRefreshRecomputesScopesFromCurrentRoles: a staff member whose staff
// role is replaced by student refreshes and gets no grades scope, and the
// study API refuses the new token what the old one could do.
func TestRefreshRecomputesScopesFromCurrentRoles(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "grading", "--first-party", "--redirect-uri", "https://grading.uni.example/cb",
		"--scope", "openid", "--scope", "offline_access", "--scope", "grades:write", "--scope", "grades:read")
	prof := p.addUser(t, "prof", "Staff-password-12", "staff")
	r := newRP(t, p, app, oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "grades:write", "grades:read")
	tok, _ := r.signIn(t, p, p.browser(t), "prof", "Staff-password-12")
	if !slices.Contains(scopesOf(t, tok.AccessToken), "grades:write") {
		t.Fatalf("staff token lacks grades:write: %v", scopesOf(t, tok.AccessToken))
	}

	// The role changes behind the token's back (as any path to the
	// database would): the next refresh must see it.
	execIdentity(t, p, `DELETE FROM account_roles WHERE account_id = $1`, prof.ID)
	execIdentity(t, p, `INSERT INTO account_roles (account_id, role) VALUES ($1, 'student')`, prof.ID)
	next, err := r.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after the role change: %v", err)
	}
	if got := scopesOf(t, next.AccessToken); slices.Contains(got, "grades:write") || slices.Contains(got, "grades:read") {
		t.Errorf("refreshed token still carries grades scopes: %v", got)
	}
	if sc, _ := next.Extra("scope").(string); strings.Contains(sc, "grades") {
		t.Errorf("token response scope %q still names grades", sc)
	}
	if got := rolesOf(t, next.AccessToken); !slices.Equal(got, []string{"student"}) {
		t.Errorf("refreshed token's roles = %v, want [student]", got)
	}
	api := studyAPI{t: t, p: p, token: next.AccessToken}
	api.must(http.StatusForbidden, "POST", "/v1/lectures/any/grades", map[string]any{"subject": prof.ID, "grade": "1.0"})

	// Given back, the role does not widen the grant again past what the
	// chain holds now: never more than the original grant.
	execIdentity(t, p, `INSERT INTO account_roles (account_id, role) VALUES ($1, 'staff')`, prof.ID)
	again, err := r.refresh(next.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := scopesOf(t, again.AccessToken); slices.Contains(got, "grades:write") {
		t.Errorf("a refresh widened the grant to %v", got)
	}
}

// TestRefreshReappliesSignInRules: status, login window, allowed
// applications and a confirmed address are checked at every refresh, not
// only at sign-in.
func TestRefreshReappliesSignInRules(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb",
		"--scope", "openid", "--scope", "offline_access")
	now := time.Now().UTC()
	closed := `{"earliest":"` + now.Add(2*time.Hour).Format("15:04") + `","latest":"` + now.Add(3*time.Hour).Format("15:04") + `"}`
	tests := []struct {
		name   string
		change func(id string)
	}{
		{"account disabled", func(id string) {
			execIdentity(t, p, `UPDATE accounts SET status = 'disabled' WHERE id = $1`, id)
		}},
		{"own login window closed", func(id string) {
			execIdentity(t, p, `UPDATE accounts SET login_window = $2 WHERE id = $1`, id, closed)
		}},
		{"role's login window closed", func(id string) {
			execIdentity(t, p, `INSERT INTO roles (name, login_window, created_at) VALUES ('night-'||$1, $2, CURRENT_TIMESTAMP)`, id[:8], closed)
			execIdentity(t, p, `INSERT INTO account_roles (account_id, role) VALUES ($1, 'night-'||$2)`, id, id[:8])
		}},
		{"application no longer allowed", func(id string) {
			execIdentity(t, p, `INSERT INTO roles (name, allowed_clients, created_at) VALUES ('exam-'||$1, '["exam"]', CURRENT_TIMESTAMP)`, id[:8])
			execIdentity(t, p, `INSERT INTO account_roles (account_id, role) VALUES ($1, 'exam-'||$2)`, id, id[:8])
		}},
	}
	for i, tt := range tests {
		user := "person" + string(rune('a'+i))
		acc := p.addUser(t, user, "Person-password-12", "student")
		r := newRP(t, p, app, oidc.ScopeOpenID, oidc.ScopeOfflineAccess)
		tok, _ := r.signIn(t, p, p.browser(t), user, "Person-password-12")
		if _, err := r.refresh(tok.RefreshToken); err != nil {
			t.Fatalf("%s: refresh before the change: %v", tt.name, err)
		}
		// The first refresh spent tok; sign in again for a live chain.
		tok, _ = r.signIn(t, p, p.browser(t), user, "Person-password-12")
		tt.change(acc.ID)
		_, err := r.refresh(tok.RefreshToken)
		var re *oauth2.RetrieveError
		if err == nil {
			t.Errorf("%s: refresh still works", tt.name)
		} else if !asRetrieve(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("%s: refresh refused with %v, want invalid_grant", tt.name, err)
		}
	}
}

func asRetrieve(err error, re **oauth2.RetrieveError) bool {
	e, ok := err.(*oauth2.RetrieveError)
	*re = e
	return ok
}

// TestStudyRefusesRevokedTokens: once identity revokes a token (account
// disabled, roles changed, token revoked), the study API refuses writes
// with it at once and reads within seconds, without asking identity per
// request. The delay for reads is logged (docs/operations.md quotes it).
func TestStudyRefusesRevokedTokens(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	p := e.p
	app := p.addClient(t, "--id", "grading", "--first-party", "--redirect-uri", "https://grading.uni.example/cb",
		"--scope", "openid", "--scope", "grades:write", "--scope", "grades:read")
	admin := e.token(t, "admin", adminPassword)
	idTokens := map[string]string{} // access token → id_token, for signing out
	signIn := func(user, pw string) string {
		tok, _ := newRP(t, p, app, oidc.ScopeOpenID, "grades:write", "grades:read").signIn(t, p, p.browser(t), user, pw)
		idTokens[tok.AccessToken] = tok.Extra("id_token").(string)
		return tok.AccessToken
	}
	// A write that passes authorisation answers 404 (no such lecture); a
	// refused token answers 401.
	write := func(tok string) int {
		return studyAPI{t: t, p: p, token: tok}.do("POST", "/v1/lectures/no-such-lecture/grades", map[string]any{"subject": "x", "grade": "1.0"}).status
	}
	read := func(tok string) int {
		return studyAPI{t: t, p: p, token: tok}.do("GET", "/v1/me/enrolments", nil).status
	}
	readRefusedWithin := func(name, tok string, since time.Time) {
		t.Helper()
		for read(tok) != http.StatusUnauthorized {
			if time.Since(since) > 10*time.Second {
				t.Fatalf("%s: the study API still reads with the token after 10s", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s: the study API refused reads %v after identity revoked", name, time.Since(since).Round(10*time.Millisecond))
	}

	cases := []struct {
		name   string
		user   string
		revoke func(id, tok string)
	}{
		{"account disabled", "leaver", func(id, _ string) {
			u := "/api/v1/users/" + id
			e.must(t, http.StatusOK, "POST", u+"/disable", admin, nil, "If-Match", e.etagOf(t, u, admin))
		}},
		{"roles changed", "demoted", func(id, _ string) {
			u := "/api/v1/users/" + id
			e.must(t, http.StatusOK, "PUT", u+"/roles", admin, map[string]any{"roles": []string{"student"}}, "If-Match", e.etagOf(t, u, admin))
		}},
		{"signed out (RP-initiated logout)", "leaving", func(_, tok string) {
			q := url.Values{"id_token_hint": {idTokens[tok]}, "client_id": {app.ID}}
			if pg := getPage(t, p.browser(t), p.issuer+"/end_session?"+q.Encode()); pg.status/100 != 3 && pg.status != http.StatusOK {
				t.Fatalf("end_session: %d", pg.status)
			}
		}},
		{"token revoked (RFC 7009)", "revoker", func(_, tok string) {
			// The grading client revokes its own token.
			if st, _ := postForm(t, p.http, p.issuer+"/revoke", app.ID, app.Secret, url.Values{"token": {tok}}); st != http.StatusOK {
				t.Fatalf("revoke: %d", st)
			}
		}},
	}
	for _, c := range cases {
		// First a write right after the revocation (it must fail at once),
		// then, for another person, reads alone (they learn of it from the
		// periodic poll of the feed).
		for _, writeFirst := range []bool{true, false} {
			user := c.user + map[bool]string{true: "-w", false: "-r"}[writeFirst]
			acc := p.addUser(t, user, "Staff-password-12", "staff")
			tok := signIn(user, "Staff-password-12")
			if st := write(tok); st != http.StatusNotFound {
				t.Fatalf("%s: write before the revocation answered %d, want 404", c.name, st)
			}
			if st := read(tok); st != http.StatusOK {
				t.Fatalf("%s: read before the revocation answered %d", c.name, st)
			}
			c.revoke(acc.ID, tok)
			at := time.Now()
			if writeFirst {
				if st := write(tok); st != http.StatusUnauthorized {
					t.Errorf("%s: a write right after the revocation answered %d, want 401", c.name, st)
				}
				continue
			}
			readRefusedWithin(c.name, tok, at)
		}
	}
}

// TestStepUpByTheSamePerson: a step-up (prompt=login for studies:write)
// typed with another person's credentials is refused and leaves the
// signed-in person's session as it was; an id_token_hint binds any
// sign-in to its subject.
func TestStepUpByTheSamePerson(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "editor", "--first-party", "--redirect-uri", "https://editor.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write")
	p.addUser(t, "stud", "Student-password-1", "student")
	r := newRP(t, p, app, oidc.ScopeOpenID, "studies:write")
	b := p.browser(t)
	first, _ := r.signIn(t, p, b, "admin", adminPassword)
	adminSub := subOf(t, first)

	// Unlock editing, typing the student's credentials.
	start := getPage(t, b, r.config.AuthCodeURL("s1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("prompt", "login")))
	pg := submitLogin(t, p, b, start, "stud", "Student-password-1")
	if pg.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(pg.body), "You are signed in as admin") {
		t.Fatalf("step-up as another person: status %d, want 403 naming the signed-in person:\n%s", pg.status, pg.body)
	}
	// The administrator is still the one signed in: single sign-on
	// answers with their code.
	again, _ := r.signIn(t, p, b, "", "")
	if got := subOf(t, again); got != adminSub {
		t.Errorf("after the refused step-up the browser is signed in as %s, want the administrator %s", got, adminSub)
	}

	// id_token_hint: a fresh browser, the hint names the administrator,
	// the student types their credentials.
	hint := first.Extra("id_token").(string)
	fresh := p.browser(t)
	start = getPage(t, fresh, r.config.AuthCodeURL("s2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("id_token_hint", hint)))
	pg = submitLogin(t, p, fresh, start, "stud", "Student-password-1")
	if pg.status != http.StatusForbidden || pg.location != nil {
		t.Fatalf("sign-in as another person than the id_token_hint: status %d, redirect %v", pg.status, pg.location)
	}
	// The right person passes.
	pg = submitLogin(t, p, fresh, pg, "admin", adminPassword)
	if pg.location == nil || pg.location.Query().Get("code") == "" {
		t.Fatalf("the hinted person was refused: %d\n%s", pg.status, pg.body)
	}
}

func subOf(t testing.TB, tok *oauth2.Token) string {
	t.Helper()
	_, c := claims(t, tok.Extra("id_token").(string))
	return c["sub"].(string)
}

// setRoles changes an account's roles through identity's store, as any
// administrative path does.
func setRoles(t testing.TB, p *idp, id string, roles ...string) {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(p.dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := identityStore(t, d, p.dir).UpdateAccount(context.Background(), id, 0, func(r *identitystore.AccountRecord) error {
		r.Roles = roles
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPortalFollowsRoleChanges: the portal takes roles and scopes from each
// new token. A staff member demoted while signed in loses the grading page
// within seconds, without signing out.
func TestPortalFollowsRoleChanges(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	prof := p.addUser(t, "prof", "Staff-password-12", "staff")
	b := p.browser(t)
	if pg := submitLogin(t, p, b, getPage(t, b, p.url+"/grading"), "prof", "Staff-password-12"); pg.status != http.StatusOK {
		t.Fatalf("staff on the grading page: %d\n%s", pg.status, pg.body)
	}
	setRoles(t, p, prof.ID, "student")
	at := time.Now()
	for {
		pg := getPage(t, b, p.url+"/grading")
		if pg.status == http.StatusForbidden {
			break
		}
		if pg.status != http.StatusOK || time.Since(at) > 10*time.Second {
			t.Fatalf("the demoted person's grading page answers %d after %v", pg.status, time.Since(at))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the portal refused the grading page %v after the roles changed", time.Since(at).Round(10*time.Millisecond))
}
