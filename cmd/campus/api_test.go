package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.yaml.in/yaml/v3"
	"golang.org/x/oauth2/clientcredentials"

	"campus/internal/identity"
	identityweb "campus/internal/identity/web"
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

// fieldErrors returns the problem's field errors by field.
func (r apiResult) fieldErrors() map[string]string {
	out := map[string]string{}
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		d, _ := m["detail"].(string)
		out[f] += d
	}
	return out
}

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

func TestAPISelfService(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.p.addUser(t, "self", "self-password-12", identity.RoleStudent)
	e.p.addUser(t, "taken", "taken-password-1", identity.RoleStudent)
	tok := e.token(t, "self", "self-password-12")
	me := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil)
	if me.str("username") != "self" || me.header.Get("ETag") != `"1"` {
		t.Fatalf("me: %s", me)
	}
	r := e.must(t, http.StatusOK, "PATCH", "/api/v1/me", tok, map[string]any{"display_name": "Selma", "email": "selma@uni.example",
		"programme_id": "B-INF", "programme_title": "Computer Science", "semester": 2}, "If-Match", me.header.Get("ETag"))
	// The new address replaces the old one only once it is confirmed.
	if r.str("email") != "self@uni.example" || r.str("pending_email") != "selma@uni.example" || r.body["email_verified"] != true ||
		r.str("programme_title") != "Computer Science" {
		t.Fatalf("patched me: %s", r)
	}
	// Another account's address is answered as a free one would be now:
	// a link was mailed within the minute.
	if r := e.call(t, "PATCH", "/api/v1/me", tok, map[string]any{"email": "taken@uni.example"}, "If-Match", "*"); r.status != 429 {
		t.Errorf("taken address: %s", r)
	}
	if r := e.call(t, "PATCH", "/api/v1/me", tok, map[string]any{"email": "selma2@uni.example"}, "If-Match", "*"); r.status != 429 {
		t.Errorf("a second link within a minute: %s", r)
	}
	if done := e.p.confirmEmail(t, "selma@uni.example"); done.status != http.StatusOK {
		t.Fatalf("confirm the new address: %d %s", done.status, done.body)
	}
	if r := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil); r.str("email") != "selma@uni.example" || r.body["email_verified"] != true ||
		r.str("pending_email") != "" {
		t.Fatalf("after confirming: %s", r)
	}
	if notice := e.p.mailTo(t, "self@uni.example", "changed"); !strings.Contains(notice.Text, "selma@uni.example") {
		t.Fatalf("the old address was told: %s", notice.Text)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  int
		field string
	}{
		{"login window", map[string]any{"login_window": nil}, 422, "login_window"},
		{"status", map[string]any{"status": "active"}, 422, "status"},
		{"taken username", map[string]any{"username": "taken"}, 409, "username"},
	} {
		if r := e.call(t, "PATCH", "/api/v1/me", tok, tc.body, "If-Match", "*"); r.status != tc.code || r.fieldErrors()[tc.field] == "" {
			t.Errorf("%s: %s", tc.name, r)
		}
	}
	// A student may not change another account, not even by its id.
	other := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=taken", e.token(t, "admin", adminPassword), nil).body["items"].([]any)[0].(map[string]any)["id"].(string)
	e.must(t, http.StatusForbidden, "PATCH", "/api/v1/users/"+other, tok, map[string]any{"display_name": "Hacked"}, "If-Match", "*")
}

func TestAPIRegistration(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	reg := func(over map[string]any) map[string]any {
		b := map[string]any{"username": "neu", "email": "neu@uni.example", "password": "a-fine-passphrase", "given_name": "Nina",
			"family_name": "Neu", "programme_id": "B-INF", "programme_title": "Computer Science"}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	r := e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg(nil))
	if r.str("username") != "neu" || r.str("display_name") != "Nina Neu" || r.str("status") != "active" ||
		fmt.Sprint(r.body["roles"]) != "[student]" || r.body["email_verified"] != false || r.header.Get("ETag") != `"1"` ||
		r.header.Get("Location") != "/idp/api/v1/users/"+r.str("id") {
		t.Fatalf("registered: %s %v", r, r.header)
	}
	if strings.Contains(r.raw, "passphrase") {
		t.Fatal("the answer contains the password")
	}
	// Until the address is confirmed, the right password only explains that.
	b := e.p.browser(t)
	pg := submitLogin(t, e.p, b, getPage(t, b, e.rp.config.AuthCodeURL("st")), "neu", "a-fine-passphrase")
	if pg.status != http.StatusForbidden || !strings.Contains(pg.body, "not confirmed yet") || !strings.Contains(pg.body, "/confirm/resend") {
		t.Fatalf("unconfirmed sign-in: %d %s", pg.status, pg.body)
	}
	if done := e.p.confirmEmail(t, "neu@uni.example"); done.status != http.StatusOK || !strings.Contains(done.body, "is confirmed") {
		t.Fatalf("confirm: %d %s", done.status, done.body)
	}
	tok := e.token(t, "neu", "a-fine-passphrase") // the new account signs in
	if me := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil); me.str("programme_id") != "B-INF" {
		t.Fatalf("me: %s", me)
	}

	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"weak password", reg(map[string]any{"username": "weak", "email": "weak@uni.example", "password": "short"}), 422, []string{"password"}},
		{"common password", reg(map[string]any{"username": "common", "email": "common@uni.example", "password": "iloveyou123"}), 422, []string{"password"}},
		{"password with the username", reg(map[string]any{"username": "paula", "email": "p@uni.example", "password": "paula-rules-2026"}), 422, []string{"password"}},
		{"taken username", reg(map[string]any{"username": "NEU", "email": "other@uni.example"}), 409, []string{"username"}},
		{"taken e-mail, answered as a free one", reg(map[string]any{"username": "other", "email": "Neu@uni.example"}), 201, nil},
		{"taken username and e-mail: only the username is said", reg(map[string]any{"username": "neu", "email": "neu@uni.example"}), 409, []string{"username"}},
		{"bad input", map[string]any{"username": "a b", "email": "nope", "password": "", "given_name": " "}, 422,
			[]string{"username", "email", "password", "given_name", "family_name"}},
		{"unknown and read-only fields", reg(map[string]any{"username": "x2", "roles": []string{"admin"}, "status": "active", "admin": true}), 422,
			[]string{"roles", "status", "admin"}},
		{"not JSON", "username=neu", 400, nil},
	}
	for _, tc := range tests {
		r := e.call(t, "POST", "/api/v1/registrations", "", tc.body)
		if r.status != tc.status {
			t.Errorf("%s: %s", tc.name, r)
			continue
		}
		for _, f := range tc.fields {
			if r.fieldErrors()[f] == "" {
				t.Errorf("%s: no error for %s: %s", tc.name, f, r)
			}
		}
	}
	// Per client address: ten an hour (the success and the three taken
	// names above counted), then 429 with Retry-After.
	for i := range 6 {
		e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg(map[string]any{"username": fmt.Sprintf("burst%d", i), "email": fmt.Sprintf("burst%d@uni.example", i)}))
	}
	r = e.call(t, "POST", "/api/v1/registrations", "", reg(map[string]any{"username": "onetoomany", "email": "more@uni.example"}))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("eleventh registration: %s %v", r, r.header)
	}
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=registered&outcome=success", e.token(t, "admin", adminPassword), nil)
	if n := len(audit.body["items"].([]any)); n != 7 {
		t.Fatalf("%d registration events", n)
	}
}

func TestAPIOpenAPIDocument(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	file, err := os.ReadFile("../../api/identity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, p.http, p.issuer+"/api/v1/openapi.yaml")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") || r.body != string(file) {
		t.Fatalf("GET /idp/api/v1/openapi.yaml = %d %s, not api/identity.yaml", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(file, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	routes := identityweb.APIRoutes()
	for _, rt := range routes {
		if !slices.Contains(documented, rt) {
			t.Errorf("route %s is not in api/identity.yaml", rt)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("api/identity.yaml documents %s, which the API does not serve", d)
		}
	}
	// Every documented operation answers something other than 404 or 405.
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		path = strings.NewReplacer("{id}", "some-id", "{name}", "student").Replace(path)
		req, _ := http.NewRequest(method, p.issuer+path, nil)
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", d, resp.StatusCode)
		}
	}
	if r := get(t, p.http, p.issuer+"/api/v1/nothing-here"); r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API path: %d %s", r.status, r.header.Get("Content-Type"))
	}
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
