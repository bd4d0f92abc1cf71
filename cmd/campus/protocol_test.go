package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// rawPost sends a form with optional Basic credentials and returns the
// whole answer.
func rawPost(t testing.TB, c *http.Client, u, user, pass string, form url.Values, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func active(t testing.TB, p *idp, c clientView, token string) bool {
	t.Helper()
	_, v := postForm(t, p.http, p.issuer+"/oauth/introspect", c.ID, c.Secret, url.Values{"token": {token}})
	return v["active"] == true
}

// RFC 7009 section 2.1: a client revokes only its own tokens.
func TestRevocationOfAnotherClientsToken(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	wiki := p.addClient(t, "--id", "wiki", "--first-party", "--redirect-uri", "https://wiki.uni.example/cb")
	files := p.addClient(t, "--id", "files", "--first-party", "--redirect-uri", "https://files.uni.example/cb")
	svc1 := p.addClient(t, "--id", "svc1", "--grant-type", "client_credentials", "--scope", "grades:read")
	svc2 := p.addClient(t, "--id", "svc2", "--grant-type", "client_credentials", "--scope", "grades:read")
	r := newRP(t, p, wiki, oidc.ScopeOpenID, oidc.ScopeOfflineAccess)
	tok, _ := r.signIn(t, p, p.browser(t), "admin", adminPassword)

	revoke := func(by clientView, token, hint string) int {
		t.Helper()
		f := url.Values{"token": {token}}
		if hint != "" {
			f.Set("token_type_hint", hint)
		}
		st, _ := postForm(t, p.http, p.issuer+"/revoke", by.ID, by.Secret, f)
		return st
	}
	for _, hint := range []string{"access_token", ""} {
		if st := revoke(files, tok.AccessToken, hint); st != http.StatusOK && st != http.StatusBadRequest {
			t.Errorf("another client's revocation = %d", st)
		}
	}
	if !active(t, p, wiki, tok.AccessToken) {
		t.Fatal("another client revoked wiki's access token")
	}
	revoke(files, tok.RefreshToken, "refresh_token")
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.config.TokenSource(r.ctx, &stale).Token()
	if err != nil {
		t.Fatalf("another client revoked wiki's refresh token: %v", err)
	}
	// The owner may; a refresh token sent with the wrong hint is found too (section 2.1).
	if st := revoke(wiki, fresh.AccessToken, "access_token"); st != http.StatusOK || active(t, p, wiki, fresh.AccessToken) {
		t.Fatalf("own revocation = %d, still active %v", st, active(t, p, wiki, fresh.AccessToken))
	}
	revoke(wiki, fresh.RefreshToken, "access_token")
	again := *fresh
	again.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.config.TokenSource(r.ctx, &again).Token(); err == nil {
		t.Error("a refresh token revoked with token_type_hint=access_token still works")
	}

	// Services: their tokens are not recorded; the JWT's client_id decides.
	ctx := oidc.ClientContext(r.ctx, p.http)
	cc := clientcredentials.Config{ClientID: svc1.ID, ClientSecret: svc1.Secret, TokenURL: p.issuer + "/oauth/token", Scopes: []string{"grades:read"}}
	st1, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	revoke(svc2, st1.AccessToken, "access_token")
	if !active(t, p, svc1, st1.AccessToken) {
		t.Fatal("another service revoked svc1's token")
	}
	revoke(svc1, st1.AccessToken, "access_token")
	if active(t, p, svc1, st1.AccessToken) {
		t.Fatal("svc1 could not revoke its own token")
	}
}

// RFC 7662 section 2.1 with RFC 6749 sections 2.3 and 5.2: every client
// authentication of the token endpoint, JSON errors, a bounded body.
func TestIntrospectionClientAuthentication(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb")
	r := newRP(t, p, app, oidc.ScopeOpenID)
	tok, _ := r.signIn(t, p, p.browser(t), "admin", adminPassword)
	u := p.issuer + "/oauth/introspect"

	res := rawPost(t, p.http, u, "", "", url.Values{"token": {tok.AccessToken}, "client_id": {app.ID}, "client_secret": {app.Secret}})
	var v map[string]any
	if json.Unmarshal([]byte(res.body), &v); res.status != http.StatusOK || v["active"] != true {
		t.Fatalf("client_secret_post introspection = %d %s", res.status, res.body)
	}
	tests := []struct {
		name       string
		user, pass string
		form       url.Values
		status     int
		err        string
		challenge  bool
	}{
		{"basic with a wrong secret", app.ID, "wrong", url.Values{"token": {tok.AccessToken}}, 401, "invalid_client", true},
		{"post with a wrong secret", "", "", url.Values{"token": {tok.AccessToken}, "client_id": {app.ID}, "client_secret": {"wrong"}}, 401, "invalid_client", true},
		{"no client authentication", "", "", url.Values{"token": {tok.AccessToken}}, 401, "invalid_client", true},
		{"unknown client", "nobody", "x", url.Values{"token": {tok.AccessToken}}, 401, "invalid_client", true},
		{"two methods at once", app.ID, app.Secret, url.Values{"token": {tok.AccessToken}, "client_id": {app.ID}, "client_secret": {app.Secret}}, 400, "invalid_request", false},
		{"a body over 64 KiB", app.ID, app.Secret, url.Values{"token": {strings.Repeat("x", 100<<10)}}, 400, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rawPost(t, p.http, u, tt.user, tt.pass, tt.form)
			var e map[string]any
			if err := json.Unmarshal([]byte(res.body), &e); err != nil || res.status != tt.status || e["error"] != tt.err {
				t.Fatalf("= %d %s %q; want %d with error %s", res.status, res.header.Get("Content-Type"), res.body, tt.status, tt.err)
			}
			if got := res.header.Get("WWW-Authenticate"); tt.challenge != strings.HasPrefix(got, "Basic") {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
	}
	// Revocation and token bodies are bounded too.
	if res := rawPost(t, p.http, p.issuer+"/revoke", app.ID, app.Secret, url.Values{"token": {strings.Repeat("x", 100<<10)}}); res.status != http.StatusBadRequest {
		t.Errorf("revocation with a 100 KiB body = %d", res.status)
	}
	if res := rawPost(t, p.http, p.issuer+"/oauth/token", app.ID, "wrong", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}); res.status != http.StatusUnauthorized || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("token endpoint with a wrong secret = %d, WWW-Authenticate %q", res.status, res.header.Get("WWW-Authenticate"))
	}
}

func noStoreOK(h http.Header) bool {
	return strings.Contains(h.Get("Cache-Control"), "no-store") && h.Get("Pragma") == "no-cache"
}

// RFC 6749 section 5.1, OIDC Core 3.1.3.3 and 5.3.2: responses with tokens
// or claims are not cached; RFC 6750 section 3: userinfo challenges.
func TestTokenResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb")
	svc := p.addClient(t, "--id", "svc", "--grant-type", "client_credentials", "--scope", "grades:read")
	b := p.browser(t)
	verifier := oauth2.GenerateVerifier()
	cfg := newRP(t, p, app, oidc.ScopeOpenID, oidc.ScopeOfflineAccess).config
	pg := submitLogin(t, p, b, getPage(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "admin", adminPassword)
	code := codeFrom(t, pg, cfg.RedirectURL, "s")
	token := p.issuer + "/oauth/token"

	exchange := rawPost(t, p.http, token, app.ID, app.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {cfg.RedirectURL}, "code_verifier": {verifier}})
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	json.Unmarshal([]byte(exchange.body), &tok)
	refresh := rawPost(t, p.http, token, app.ID, app.Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	service := rawPost(t, p.http, token, svc.ID, svc.Secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"grades:read"}})
	intro := rawPost(t, p.http, p.issuer+"/oauth/introspect", app.ID, app.Secret, url.Values{"token": {tok.AccessToken}})
	req, _ := http.NewRequest(http.MethodGet, p.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	ui, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ui.Body.Close()
	// Last: a reused code revokes what it issued.
	reused := rawPost(t, p.http, token, app.ID, app.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {cfg.RedirectURL}, "code_verifier": {verifier}})
	for name, h := range map[string]struct {
		status int
		header http.Header
	}{
		"code exchange": {exchange.status, exchange.header}, "refresh": {refresh.status, refresh.header},
		"error (code reused)": {reused.status, reused.header}, "client credentials": {service.status, service.header},
		"introspection": {intro.status, intro.header}, "userinfo": {ui.StatusCode, ui.Header},
	} {
		if !noStoreOK(h.header) {
			t.Errorf("%s (%d): Cache-Control %q, Pragma %q", name, h.status, h.header.Get("Cache-Control"), h.header.Get("Pragma"))
		}
	}
	if exchange.status != 200 || refresh.status != 200 || reused.status != 400 || service.status != 200 || intro.status != 200 || ui.StatusCode != 200 {
		t.Errorf("statuses: exchange %d refresh %d reused %d service %d introspection %d userinfo %d",
			exchange.status, refresh.status, reused.status, service.status, intro.status, ui.StatusCode)
	}
}

func TestUserinfoChallenges(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb")
	r := newRP(t, p, app, oidc.ScopeOpenID)
	tok, _ := r.signIn(t, p, p.browser(t), "admin", adminPassword)
	if st, _ := postForm(t, p.http, p.issuer+"/revoke", app.ID, app.Secret, url.Values{"token": {tok.AccessToken}}); st != http.StatusOK {
		t.Fatalf("revoke = %d", st)
	}
	tests := []struct {
		name, authorization, wantChallenge string
	}{
		{"no token", "", `Bearer realm="campus"`},
		{"a malformed token", "Bearer not-a-token", `error="invalid_token"`},
		{"a revoked token", "Bearer " + tok.AccessToken, `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, p.issuer+"/userinfo", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			resp, err := p.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			ch := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ch, "Bearer") || !strings.Contains(ch, tt.wantChallenge) {
				t.Fatalf("= %d, WWW-Authenticate %q, body %q", resp.StatusCode, ch, body)
			}
			if tt.authorization != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if !noStoreOK(resp.Header) {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

// CORS (Fetch standard): the token-authorised endpoints answer any origin
// without credentials; authorize and end_session not at all. Discovery
// advertises only the client authentication campus offers.
func TestCORSAndDiscovery(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "app", "--first-party", "--redirect-uri", "https://app.uni.example/cb")
	const origin = "https://elsewhere.example"
	for _, tt := range []struct {
		method, path string
		cors         bool
	}{
		{http.MethodOptions, "/oauth/token", true},
		{http.MethodOptions, "/userinfo", true},
		{http.MethodOptions, "/oauth/introspect", true},
		{http.MethodOptions, "/revoke", true},
		{http.MethodGet, "/keys", true},
		{http.MethodGet, "/.well-known/openid-configuration", true},
		{http.MethodGet, "/authorize?client_id=app&response_type=code&scope=openid&redirect_uri=" + url.QueryEscape(app.RedirectURIs[0]), false},
		{http.MethodOptions, "/authorize", false},
		{http.MethodGet, "/end_session", false},
		{http.MethodOptions, "/end_session", false},
	} {
		req, _ := http.NewRequest(tt.method, p.issuer+tt.path, nil)
		req.Header.Set("Origin", origin)
		if tt.method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		}
		resp, err := p.browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allow := resp.Header.Get("Access-Control-Allow-Origin")
		if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s %s allows credentials", tt.method, tt.path)
		}
		if tt.cors != (allow == "*" || allow == origin) {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want CORS %v", tt.method, tt.path, allow, tt.cors)
		}
	}

	res := get(t, p.http, p.issuer+"/.well-known/openid-configuration")
	var d map[string]any
	if err := json.Unmarshal([]byte(res.body), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"token_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported", "revocation_endpoint_auth_signing_alg_values_supported"} {
		if v, ok := d[k]; ok {
			t.Errorf("discovery advertises %s = %v, for a method campus does not offer", k, v)
		}
	}
	for _, k := range []string{"token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		list, _ := d[k].([]any)
		var got []string
		for _, m := range list {
			got = append(got, m.(string))
		}
		s := strings.Join(got, " ")
		if !strings.Contains(s, "client_secret_basic") || !strings.Contains(s, "client_secret_post") || strings.Contains(s, "jwt") {
			t.Errorf("%s = %v", k, got)
		}
	}
}
