package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"
)

// apiEnv is a running campus with a first-party administration client
// ("console") that asks for every admin scope.
type apiEnv struct {
	p       *idp
	console clientView
	rp      *rp
}

func startAPI(t *testing.T) *apiEnv {
	t.Helper()
	p := startIDP(t)
	console := p.addClient(t, "--id", "console", "--name", "Admin console", "--first-party",
		"--redirect-uri", "https://console.uni.example/cb", "--scope", "openid", "--scope", "profile",
		"--scope", "users:read", "--scope", "users:write", "--scope", "roles:write")
	return &apiEnv{p: p, console: console, rp: newRP(t, p, console, oidc.ScopeOpenID, "users:read", "users:write", "roles:write")}
}

// token signs user in through the console in a browser of its own (a
// session of its own) and returns the access token.
func (e *apiEnv) token(t *testing.T, user, pw string) string {
	t.Helper()
	tok, _ := e.rp.signIn(t, e.p, e.p.browser(t), user, pw)
	return tok.AccessToken
}

// apiResult is an API answer.
type apiResult struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r apiResult) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

func (r apiResult) str(key string) string { s, _ := r.body[key].(string); return s }

// call sends a request to identity's API; body is JSON-encoded unless it
// is a string; headers are name, value pairs.
func (e *apiEnv) call(t *testing.T, method, path, token string, body any, headers ...string) apiResult {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.p.issuer+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.p.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	res := apiResult{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		json.Unmarshal(raw, &res.body)
	}
	return res
}

// must calls and fails the test unless the status is want.
func (e *apiEnv) must(t *testing.T, want int, method, path, token string, body any, headers ...string) apiResult {
	t.Helper()
	r := e.call(t, method, path, token, body, headers...)
	if r.status != want {
		t.Fatalf("%s %s = %s; want %d", method, path, r, want)
	}
	return r
}

// etagOf reads the current ETag of a user or role.
func (e *apiEnv) etagOf(t *testing.T, path, token string) string {
	t.Helper()
	tag := e.must(t, http.StatusOK, http.MethodGet, path, token, nil).header.Get("ETag")
	if tag == "" {
		t.Fatalf("GET %s has no ETag", path)
	}
	return tag
}

// serviceToken is a client-credentials token with scopes.
func (e *apiEnv) serviceToken(t *testing.T, id string, scopes ...string) string {
	t.Helper()
	args := []string{"--id", id, "--grant-type", "client_credentials"}
	for _, s := range scopes {
		args = append(args, "--scope", s)
	}
	svc := e.p.addClient(t, args...)
	cc := clientcredentials.Config{ClientID: svc.ID, ClientSecret: svc.Secret, TokenURL: e.p.issuer + "/oauth/token", Scopes: scopes}
	tok, err := cc.Token(oidc.ClientContext(context.Background(), e.p.http))
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func TestAPIKeysEndToEnd(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.p.addUser(t, "kim", "kim-password-1", "student")
	tok := e.token(t, "kim", "kim-password-1")

	// Made with a name (and optionally an expiry); the secret once.
	e.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": " "})
	e.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": "old", "expires_at": "2001-01-01T00:00:00Z"})
	made := e.must(t, http.StatusCreated, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": "timetable"})
	key, id := made.str("key"), made.str("id")
	if !strings.HasPrefix(key, "campus_") || !strings.HasPrefix(key, made.str("prefix")) {
		t.Fatalf("made: %v", made)
	}
	list := e.must(t, http.StatusOK, "GET", "/api/v1/me/api-keys", tok, nil)
	if items := list.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["key"] != nil {
		t.Fatalf("list shows %v", list)
	}

	// Introspection knows it; the study API takes it read-only, as a
	// bearer token or ?key=.
	_, in := postForm(t, e.p.http, e.p.issuer+"/oauth/introspect", e.console.ID, e.console.Secret, url.Values{"token": {key}})
	if in["active"] != true || in["scope"] != "read" {
		t.Fatalf("introspection: %v", in)
	}
	if _, bad := postForm(t, e.p.http, e.p.issuer+"/oauth/introspect", e.console.ID, "wrong", url.Values{"token": {key}}); bad["active"] == true {
		t.Fatal("introspection without the client's secret")
	}
	study := func(method, path, auth string) int {
		req, _ := http.NewRequest(method, e.p.url+"/study"+path, strings.NewReader(`{"programme_id":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := e.p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := study("GET", "/v1/me/grades", key); got != http.StatusOK {
		t.Fatalf("study with the key: %d", got)
	}
	if got := study("GET", "/v1/me/enrolments?key="+url.QueryEscape(key), ""); got != http.StatusOK {
		t.Fatalf("study with ?key=: %d", got)
	}
	if got := study("POST", "/v1/me/enrolments", key); got != http.StatusForbidden {
		t.Fatalf("a write with the key: %d", got)
	}

	// Revoked: identity says so at once.
	e.must(t, http.StatusNoContent, "DELETE", "/api/v1/me/api-keys/"+id, tok, nil)
	e.must(t, http.StatusNotFound, "DELETE", "/api/v1/me/api-keys/"+id, tok, nil)
	if _, in := postForm(t, e.p.http, e.p.issuer+"/oauth/introspect", e.console.ID, e.console.Secret, url.Values{"token": {key}}); in["active"] != false {
		t.Fatalf("revoked key introspected: %v", in)
	}
	// Keys are for people: a service token has none.
	svc := e.serviceToken(t, "svc-keys", "users:read")
	e.must(t, http.StatusForbidden, "GET", "/api/v1/me/api-keys", svc, nil)
}
