package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/password"
)

const adminPassword = "correct-horse-battery-staple"

// idp is a running campus with identity, seen from outside.
type idp struct {
	*running
	dir    string
	issuer string
	http   *http.Client // trusts campus's certificate
}

func startIDP(t testing.TB) *idp {
	t.Helper()
	dir := t.TempDir()
	// Tests sign in far more often than people: lift the per-address limit.
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"}, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	return &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
}

// addClient registers a client with `campus clients add --json`.
func (p *idp) addClient(t testing.TB, args ...string) clientView {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"clients", "add", "--data", p.dir, "--json"}, args...)
	if err := run(context.Background(), all, envMap(nil), &out, &errOut); err != nil {
		t.Fatalf("campus %v: %v\n%s", all, err, errOut.String())
	}
	var v clientView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// addUser creates an account with roles directly in identity's database.
func (p *idp) addUser(t testing.TB, username, pw string, roles ...string) identity.Account {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(p.dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	h, _ := password.Hash(pw, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	a, err := identityStore(t, d, p.dir).CreateAccount(context.Background(), identity.Account{
		Username: username, Email: username + "@uni.example", DisplayName: strings.ToUpper(username[:1]) + username[1:],
		GivenName: "Given", FamilyName: "Family", EmailVerified: true, Roles: roles}, h)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// browser is a user agent with cookies that stops at the first redirect
// leaving campus (to the relying party).
func (p *idp) browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(p.url, "https://")
	return &http.Client{
		Transport: p.http.Transport,
		Jar:       jar,
		Timeout:   10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

var (
	formAuthRequest = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
	formCSRF        = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// page is what the browser ended on.
type page struct {
	status   int
	location *url.URL // set when campus redirected away (to the client)
	body     string
}

func visit(t testing.TB, b *http.Client, req *http.Request) page {
	t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	pg := page{status: resp.StatusCode, body: string(body)}
	if resp.StatusCode/100 == 3 {
		pg.location, _ = resp.Location()
	}
	return pg
}

func getPage(t testing.TB, b *http.Client, u string) page {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return visit(t, b, req)
}

// submitLogin fills the sign-in form shown on pg.
func submitLogin(t testing.TB, p *idp, b *http.Client, pg page, username, pw string) page {
	t.Helper()
	ar, csrf := formAuthRequest.FindStringSubmatch(pg.body), formCSRF.FindStringSubmatch(pg.body)
	if ar == nil || csrf == nil {
		t.Fatalf("no sign-in form (status %d):\n%s", pg.status, pg.body)
	}
	form := url.Values{"authRequestID": {ar[1]}, "csrf": {csrf[1]}, "username": {username}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

// rp is a relying party built on coreos/go-oidc and x/oauth2.
type rp struct {
	provider *oidc.Provider
	config   oauth2.Config
	ctx      context.Context
}

func newRP(t testing.TB, p *idp, c clientView, scopes ...string) *rp {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), p.http)
	prov, err := oidc.NewProvider(ctx, p.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{provider: prov, ctx: ctx, config: oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret,
		Endpoint: prov.Endpoint(), RedirectURL: c.RedirectURIs[0], Scopes: scopes}}
}

// signIn runs the authorization code flow with PKCE through the sign-in
// form and returns the tokens.
func (r *rp) signIn(t testing.TB, p *idp, b *http.Client, username, pw string, extra ...oauth2.AuthCodeOption) (*oauth2.Token, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state, nonce := "st-"+oauth2.GenerateVerifier()[:8], "n-"+oauth2.GenerateVerifier()[:8]
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}, extra...)
	pg := getPage(t, b, r.config.AuthCodeURL(state, opts...))
	if pg.location == nil {
		pg = submitLogin(t, p, b, pg, username, pw)
	}
	code := codeFrom(t, pg, r.config.RedirectURL, state)
	tok, err := r.config.Exchange(r.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, err := r.provider.Verifier(&oidc.Config{ClientID: r.config.ClientID}).Verify(r.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("id_token does not verify against the JWKS: %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce %q, want %q", idt.Nonce, nonce)
	}
	return tok, code
}

func codeFrom(t testing.TB, pg page, redirect, state string) string {
	t.Helper()
	if pg.location == nil {
		t.Fatalf("no redirect to the client (status %d):\n%s", pg.status, pg.body)
	}
	if !strings.HasPrefix(pg.location.String(), redirect) {
		t.Fatalf("redirected to %s, want %s", pg.location, redirect)
	}
	q := pg.location.Query()
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect %s lacks code or state %q (error %q: %q)", pg.location, state, q.Get("error"), q.Get("error_description"))
	}
	return q.Get("code")
}

// claims reads a JWT's header algorithm and claims (after it was verified
// elsewhere, or to look at a token that must be refused).
func claims(t testing.TB, raw string) (string, map[string]any) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	var c map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].Algorithm, c
}

func postForm(t testing.TB, c *http.Client, u, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "wiki", "--name", "University Wiki", "--first-party",
		"--redirect-uri", "https://wiki.uni.example/callback", "--post-logout-redirect-uri", "https://wiki.uni.example/bye",
		"--scope", "openid", "--scope", "profile", "--scope", "email", "--scope", "offline_access", "--scope", "users:read")
	r := newRP(t, p, app, oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "users:read")
	b := p.browser(t)

	tok, _ := r.signIn(t, p, b, "admin", adminPassword)

	// id_token: RS256 for this client, aud the client alone, standard claims, roles, sid.
	alg, idc := claims(t, tok.Extra("id_token").(string))
	if alg != "RS256" {
		t.Errorf("id_token alg %s, want RS256", alg)
	}
	if aud, _ := idc["aud"].(string); aud != "wiki" {
		if list, ok := idc["aud"].([]any); !ok || len(list) != 1 || list[0] != "wiki" {
			t.Errorf("id_token aud %v, want the client alone", idc["aud"])
		}
	}
	for _, k := range []string{"sub", "name", "preferred_username", "email", "email_verified", "roles", "sid", "auth_time"} {
		if _, ok := idc[k]; !ok {
			t.Errorf("id_token lacks %s: %v", k, idc)
		}
	}
	if idc["email"] != "admin@localhost" || idc["preferred_username"] != "admin" {
		t.Errorf("id_token claims %v", idc)
	}

	// Access token: an ES256 JWT for the APIs, with scope and roles.
	alg, atc := claims(t, tok.AccessToken)
	if alg != "ES256" {
		t.Errorf("access token alg %s, want ES256", alg)
	}
	aud, _ := atc["aud"].([]any)
	if !slices.Contains(aud, any("campus-study")) || slices.Contains(aud, any("wiki")) {
		t.Errorf("access token aud %v, want the APIs", atc["aud"])
	}
	if sc, _ := atc["scope"].(string); !strings.Contains(sc, "users:read") || atc["client_id"] != "wiki" {
		t.Errorf("access token scope/client %v %v", atc["scope"], atc["client_id"])
	}
	if roles, _ := atc["roles"].([]any); !slices.Contains(roles, any("admin")) {
		t.Errorf("access token roles %v", atc["roles"])
	}

	// userinfo answers by the token's scopes.
	ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Email != "admin@localhost" || ui.Subject != idc["sub"] {
		t.Fatalf("userinfo = %+v, %v", ui, err)
	}

	// Introspection (RFC 7662) by the client.
	introspect := func(token string) map[string]any {
		_, v := postForm(t, p.http, p.issuer+"/oauth/introspect", app.ID, app.Secret, url.Values{"token": {token}})
		return v
	}
	if v := introspect(tok.AccessToken); v["active"] != true || v["client_id"] != "wiki" || !strings.Contains(v["scope"].(string), "users:read") {
		t.Errorf("introspection of a live token = %v", v)
	}

	// Refresh: rotated on use. The spent token again at once is a retry
	// (an answer lost) and gets the same successor (decision 47); once the
	// successor is used, the spent token presented again revokes the family.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	first, err := r.config.TokenSource(r.ctx, &stale).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if first.RefreshToken == tok.RefreshToken || first.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	retried, err := r.config.TokenSource(r.ctx, &stale).Token()
	if err != nil || retried.RefreshToken != first.RefreshToken {
		t.Fatalf("an immediate retry of the refresh: %v; same successor %v", err, err == nil && retried.RefreshToken == first.RefreshToken)
	}
	next := *first
	next.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.config.TokenSource(r.ctx, &next).Token()
	if err != nil {
		t.Fatalf("refresh with the successor: %v", err)
	}
	if _, err := r.config.TokenSource(r.ctx, &stale).Token(); err == nil {
		t.Fatal("a spent refresh token was accepted again")
	}
	again := *fresh
	again.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.config.TokenSource(r.ctx, &again).Token(); err == nil {
		t.Fatal("after reuse, the family's newest refresh token still works")
	}
	if v := introspect(fresh.AccessToken); v["active"] != false {
		t.Errorf("access token of a revoked family is still active: %v", v)
	}

	// Revocation (RFC 7009) of an access token.
	tok2, _ := r.signIn(t, p, b, "admin", adminPassword)
	if st, _ := postForm(t, p.http, p.issuer+"/revoke", app.ID, app.Secret, url.Values{"token": {tok2.AccessToken}, "token_type_hint": {"access_token"}}); st != http.StatusOK {
		t.Fatalf("revoke = %d", st)
	}
	if v := introspect(tok2.AccessToken); v["active"] != false {
		t.Errorf("revoked access token still active: %v", v)
	}
	if _, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tok2)); err == nil {
		t.Error("userinfo answered a revoked token")
	}

	// Single sign-on: a second application signs the person in without the form.
	other := p.addClient(t, "--id", "files", "--first-party", "--redirect-uri", "https://files.uni.example/cb")
	r2 := newRP(t, p, other, oidc.ScopeOpenID)
	tok3, _ := r2.signIn(t, p, b, "", "") // no credentials: must not be asked
	_, c3 := claims(t, tok3.Extra("id_token").(string))
	if c3["sub"] != idc["sub"] {
		t.Fatalf("SSO signed in %v, want %v", c3["sub"], idc["sub"])
	}

	// RP-initiated logout: back to the registered URI only, and the session ends.
	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://wiki.uni.example/bye"}, "state": {"s1"}}
	pg := getPage(t, b, p.issuer+"/end_session?"+q.Encode())
	if pg.location == nil || !strings.HasPrefix(pg.location.String(), "https://wiki.uni.example/bye") || pg.location.Query().Get("state") != "s1" {
		t.Fatalf("logout redirect = %v (status %d %s)", pg.location, pg.status, pg.body)
	}
	if v := introspect(tok3.AccessToken); v["active"] != false {
		t.Errorf("access token of an ended session still active: %v", v)
	}
	verifier := oauth2.GenerateVerifier()
	pg = getPage(t, b, r2.config.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))
	if pg.location != nil || !formAuthRequest.MatchString(pg.body) {
		t.Fatalf("after logout the browser was signed in again without the form: %v", pg.location)
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	svc := p.addClient(t, "--id", "exporter", "--grant-type", "client_credentials", "--scope", "grades:read")
	cc := clientcredentials.Config{ClientID: svc.ID, ClientSecret: svc.Secret, TokenURL: p.issuer + "/oauth/token",
		Scopes: []string{"grades:read", "users:write"}}
	tok, err := cc.Token(oidc.ClientContext(context.Background(), p.http))
	if err != nil {
		t.Fatal(err)
	}
	alg, c := claims(t, tok.AccessToken)
	if alg != "ES256" || c["sub"] != "exporter" || c["scope"] != "grades:read" {
		t.Fatalf("client credentials token: alg %s claims %v (users:write must be dropped)", alg, c)
	}
	_, v := postForm(t, p.http, p.issuer+"/oauth/introspect", svc.ID, svc.Secret, url.Values{"token": {tok.AccessToken}})
	if v["active"] != true || v["client_id"] != "exporter" {
		t.Fatalf("introspection = %v", v)
	}
	cc.ClientSecret = "wrong"
	if _, err := cc.Token(oidc.ClientContext(context.Background(), p.http)); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wrong secret: %v, want invalid_client", err)
	}
}

func TestProtocolNegatives(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb",
		"--post-logout-redirect-uri", "https://app.uni.example/bye", "--scope", "openid", "--scope", "users:write", "--scope", "studies:write")
	spa := p.addClient(t, "--id", "spa", "--public", "--first-party", "--redirect-uri", "https://spa.uni.example/cb")
	other := p.addClient(t, "--id", "other", "--first-party", "--redirect-uri", "https://other.uni.example/cb")
	p.addUser(t, "stud", "student-password-1", identity.RoleStudent)
	r := newRP(t, p, app, oidc.ScopeOpenID)

	t.Run("unknown or altered redirect_uri shows an error and does not redirect", func(t *testing.T) {
		for _, bad := range []string{"https://evil.example/cb", "https://app.uni.example/cb/../x", "https://app.uni.example/cb?x=1"} {
			cfg := r.config
			cfg.RedirectURL = bad
			pg := getPage(t, p.browser(t), cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if pg.location != nil || pg.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, redirect %v", bad, pg.status, pg.location)
			}
		}
	})

	t.Run("public client without PKCE is refused", func(t *testing.T) {
		q := url.Values{"client_id": {spa.ID}, "redirect_uri": {spa.RedirectURIs[0]}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
		pg := getPage(t, p.browser(t), p.issuer+"/authorize?"+q.Encode())
		if pg.location == nil || pg.location.Query().Get("error") != "invalid_request" {
			t.Fatalf("got %d %v", pg.status, pg.location)
		}
	})

	// code returns a fresh code for app, with its PKCE verifier.
	code := func(t *testing.T, rp *rp, scopes ...string) (string, string) {
		t.Helper()
		b := p.browser(t)
		v := oauth2.GenerateVerifier()
		cfg := rp.config
		if scopes != nil {
			cfg.Scopes = scopes
		}
		pg := submitLogin(t, p, b, getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), "admin", adminPassword)
		return codeFrom(t, pg, cfg.RedirectURL, "s"), v
	}

	t.Run("missing or wrong PKCE verifier", func(t *testing.T) {
		c, _ := code(t, r)
		if _, err := r.config.Exchange(r.ctx, c); err == nil {
			t.Error("exchange without verifier succeeded")
		}
		c, _ = code(t, r)
		if _, err := r.config.Exchange(r.ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Error("exchange with a wrong verifier succeeded")
		}
	})

	t.Run("code reuse is refused and revokes what the code issued", func(t *testing.T) {
		c, v := code(t, r)
		tok, err := r.config.Exchange(r.ctx, c, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.config.Exchange(r.ctx, c, oauth2.VerifierOption(v)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("second exchange: %v", err)
		}
		_, iv := postForm(t, p.http, p.issuer+"/oauth/introspect", app.ID, app.Secret, url.Values{"token": {tok.AccessToken}})
		if iv["active"] != false {
			t.Errorf("token of a reused code still active: %v", iv)
		}
	})

	t.Run("a code redeemed by another client", func(t *testing.T) {
		c, v := code(t, r)
		ro := newRP(t, p, other, oidc.ScopeOpenID)
		ro.config.RedirectURL = app.RedirectURIs[0]
		if _, err := ro.config.Exchange(ro.ctx, c, oauth2.VerifierOption(v)); err == nil {
			t.Fatal("another client redeemed the code")
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		c, v := code(t, r)
		cfg := r.config
		cfg.ClientSecret = "not-the-secret"
		if _, err := cfg.Exchange(r.ctx, c, oauth2.VerifierOption(v)); err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("exchange with a wrong secret: %v", err)
		}
	})

	t.Run("expired authorization request", func(t *testing.T) {
		pg := getPage(t, p.browser(t), p.issuer+"/login?authRequestID=does-not-exist")
		if pg.status != http.StatusBadRequest || !strings.Contains(pg.body, "no longer valid") {
			t.Fatalf("status %d", pg.status)
		}
	})

	t.Run("tokens with alg none or a foreign key are refused", func(t *testing.T) {
		c, v := code(t, r)
		tok, err := r.config.Exchange(r.ctx, c, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(tok.AccessToken, ".")
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		// A token signed by a key campus never published.
		foreign := signForeign(t, parts[1])
		for name, bad := range map[string]string{"alg none": none, "foreign key": foreign} {
			_, iv := postForm(t, p.http, p.issuer+"/oauth/introspect", app.ID, app.Secret, url.Values{"token": {bad}})
			if iv["active"] != false {
				t.Errorf("%s: introspection active", name)
			}
			req, _ := http.NewRequest(http.MethodGet, p.issuer+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+bad)
			resp, err := p.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: userinfo status %d", name, resp.StatusCode)
			}
		}
	})

	t.Run("scope escalation: only what the roles allow", func(t *testing.T) {
		b := p.browser(t)
		v := oauth2.GenerateVerifier()
		cfg := r.config
		cfg.Scopes = []string{"openid", "users:write", "studies:write"}
		pg := submitLogin(t, p, b, getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), "stud", "student-password-1")
		tok, err := cfg.Exchange(r.ctx, codeFrom(t, pg, cfg.RedirectURL, "s"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		_, c := claims(t, tok.AccessToken)
		if sc := c["scope"].(string); strings.Contains(sc, "users:write") || strings.Contains(sc, "studies:write") {
			t.Fatalf("a student got scope %q", sc)
		}
	})

	t.Run("studies:write only after a password step-up", func(t *testing.T) {
		cfg := r.config
		cfg.Scopes = []string{"openid", "studies:write"}
		b := p.browser(t)
		// Signed in, but without prompt=login: no studies:write.
		v := oauth2.GenerateVerifier()
		pg := submitLogin(t, p, b, getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), "admin", adminPassword)
		tok, _ := cfg.Exchange(r.ctx, codeFrom(t, pg, cfg.RedirectURL, "s"), oauth2.VerifierOption(v))
		if _, c := claims(t, tok.AccessToken); strings.Contains(c["scope"].(string), "studies:write") {
			t.Fatal("studies:write without step-up")
		}
		// prompt=login asks for the password again even with a session.
		v = oauth2.GenerateVerifier()
		pg = getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")))
		if pg.location != nil || !strings.Contains(pg.body, "Confirm your password") {
			t.Fatalf("prompt=login did not ask for the password: %v", pg.location)
		}
		if wrong := submitLogin(t, p, b, pg, "admin", "wrong-password"); wrong.status != http.StatusUnauthorized || !strings.Contains(wrong.body, "not right") {
			t.Fatalf("wrong step-up password: status %d", wrong.status)
		}
		pg = getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")))
		pg = submitLogin(t, p, b, pg, "admin", adminPassword)
		tok, err := cfg.Exchange(r.ctx, codeFrom(t, pg, cfg.RedirectURL, "s"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		_, c := claims(t, tok.AccessToken)
		if !strings.Contains(c["scope"].(string), "studies:write") {
			t.Fatalf("step-up token scope %v", c["scope"])
		}
		if life := time.Unix(int64(c["exp"].(float64)), 0).Sub(time.Unix(int64(c["iat"].(float64)), 0)); life > 15*time.Minute+time.Minute {
			t.Errorf("study token lives %s, want at most 15m", life)
		}
	})

	t.Run("logout does not redirect to an unregistered URI", func(t *testing.T) {
		q := url.Values{"client_id": {app.ID}, "post_logout_redirect_uri": {"https://evil.example/"}}
		pg := getPage(t, p.browser(t), p.issuer+"/end_session?"+q.Encode())
		if pg.location != nil && pg.location.Host == "evil.example" {
			t.Fatalf("logout redirected to %s", pg.location)
		}
	})

	t.Run("sign-in errors do not tell whether an account exists", func(t *testing.T) {
		b := p.browser(t)
		start := getPage(t, b, r.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		unknown := submitLogin(t, p, b, start, "nobody-here", "whatever-password")
		wrong := submitLogin(t, p, b, start, "admin", "whatever-password")
		if unknown.status != wrong.status || !strings.Contains(unknown.body, errWrongCredentialsText) || !strings.Contains(wrong.body, errWrongCredentialsText) {
			t.Fatalf("unknown: %d, wrong password: %d", unknown.status, wrong.status)
		}
	})
}

func TestLockoutAfterFailedSignIns(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb")
	p.addUser(t, "locky", "the-right-password", identity.RoleStudent)
	r := newRP(t, p, app, oidc.ScopeOpenID)
	b := p.browser(t)
	start := getPage(t, b, r.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	for i := range 5 {
		if pg := submitLogin(t, p, b, start, "locky", "wrong-password"); pg.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, pg.status)
		}
	}
	// Locked now: even the right password gets the same answer as a wrong one.
	pg := submitLogin(t, p, b, start, "locky", "the-right-password")
	if pg.status != http.StatusUnauthorized || !strings.Contains(pg.body, errWrongCredentialsText) || strings.Contains(strings.ToLower(pg.body), "locked") {
		t.Fatalf("locked account: status %d", pg.status)
	}
}

const errWrongCredentialsText = "The username or password is not right."

// signForeign signs claims with a key campus does not know.
func signForeign(t testing.TB, payload string) string {
	t.Helper()
	key := sha256.Sum256([]byte("foreign"))
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key[:]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := base64.RawURLEncoding.DecodeString(payload)
	jws, err := sig.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
