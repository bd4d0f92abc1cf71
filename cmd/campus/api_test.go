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
	"golang.org/x/oauth2"
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

// active asks the introspection endpoint whether an access token is live.
func (e *apiEnv) active(t *testing.T, token string) bool {
	t.Helper()
	_, v := postForm(t, e.p.http, e.p.issuer+"/oauth/introspect", e.console.ID, e.console.Secret, url.Values{"token": {token}})
	return v["active"] == true
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

func TestAPIAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	target := e.p.addUser(t, "target", "target-password-1", identity.RoleStudent)
	e.p.addUser(t, "stud", "student-password-1", identity.RoleStudent)
	e.p.addUser(t, "staffer", "staff-password-12", identity.RoleStaff)
	tokens := map[string]string{
		"anonymous": "",
		"student":   e.token(t, "stud", "student-password-1"),
		"staff":     e.token(t, "staffer", "staff-password-12"),
		"admin":     e.token(t, "admin", adminPassword),
	}
	// A student's token never carries admin scopes, even when the client
	// asks for them.
	if _, c := claims(t, tokens["student"]); strings.Contains(c["scope"].(string), "users:") {
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
		req, _ := http.NewRequest("GET", e.p.issuer+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Basic YWRtaW46eA==")
		if resp, err := e.p.http.Do(req); err != nil || resp.StatusCode != unauth {
			t.Errorf("basic auth: %v %v", resp, err)
		}
	})

	t.Run("a revoked token", func(t *testing.T) {
		t.Parallel()
		tok := e.token(t, "stud", "student-password-1")
		if st, _ := postForm(t, e.p.http, e.p.issuer+"/revoke", e.console.ID, e.console.Secret, url.Values{"token": {tok}}); st != http.StatusOK {
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
		third := e.p.addClient(t, "--id", "thirdparty", "--redirect-uri", "https://third.example/cb", "--scope", "openid")
		r := newRP(t, e.p, third, oidc.ScopeOpenID)
		b := e.p.browser(t)
		v := oauth2.GenerateVerifier()
		pg := submitLogin(t, e.p, b, getPage(t, b, r.config.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), "stud", "student-password-1")
		if pg.location == nil {
			pg = answerConsent(t, e.p, b, pg, "allow")
		}
		tok, err := r.config.Exchange(r.ctx, codeFrom(t, pg, r.config.RedirectURL, "s"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		if res := e.call(t, "GET", "/api/v1/me", tok.AccessToken, nil); res.status != denied || !strings.Contains(res.str("detail"), "own applications") {
			t.Fatalf("third-party /me: %s", res)
		}
	})
}

func TestAPIUsersListSearchAndPaging(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	people := []struct{ username, role string }{
		{"anna.schmidt", "student"}, {"annette.berg", "student"}, {"bert.schmidt", "staff"}, {"carla.ann", "staff"},
		{"dora.ost", "student"}, {"emil.weber", "student"}, {"frida.weber", "student"}, {"gustav.nann", "student"},
	}
	ids := map[string]string{}
	for _, pp := range people {
		ids[pp.username] = e.p.addUser(t, pp.username, "a-password-for-"+pp.username, pp.role).ID
	}
	admin := e.token(t, "admin", adminPassword)
	// Disable one, so that the status filter has something to find.
	emil := "/api/v1/users/" + ids["emil.weber"]
	e.must(t, http.StatusOK, "POST", emil+"/disable", admin, nil, "If-Match", e.etagOf(t, emil, admin))

	list := func(t *testing.T, query string) ([]string, apiResult) {
		t.Helper()
		r := e.must(t, http.StatusOK, "GET", "/api/v1/users?"+query, admin, nil)
		var names []string
		items, _ := r.body["items"].([]any)
		for _, it := range items {
			names = append(names, it.(map[string]any)["username"].(string))
		}
		return names, r
	}
	all := []string{"admin", "anna.schmidt", "annette.berg", "bert.schmidt", "carla.ann", "dora.ost", "emil.weber", "frida.weber", "gustav.nann"}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"everyone by username", "", all},
		{"by username descending", "order=desc", reversed(all)},
		{"by e-mail", "sort=email&role=staff", []string{"bert.schmidt", "carla.ann"}},
		{"by creation, newest first", "sort=created_at&order=desc&role=student", []string{"gustav.nann", "frida.weber", "emil.weber", "dora.ost", "annette.berg", "anna.schmidt"}},
		{"search a word prefix", "q=ann", []string{"anna.schmidt", "annette.berg", "carla.ann"}},
		{"search case and accents ignored", "q=SCHMÍDT", []string{"anna.schmidt", "bert.schmidt"}},
		{"search every term", "q=schmidt+staff", []string{}},
		{"search two terms", "q=bert+schmidt", []string{"bert.schmidt"}},
		{"search an e-mail prefix", "q=frida.weber@uni", []string{"frida.weber"}},
		{"role", "role=staff", []string{"bert.schmidt", "carla.ann"}},
		{"status", "status=disabled", []string{"emil.weber"}},
		{"search and status", "q=weber&status=active", []string{"frida.weber"}},
		{"last sign-in, never signed in last", "sort=last_login_at&order=desc&limit=1", []string{"admin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, r := list(t, tc.query)
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
			if items := r.body["items"].([]any); len(items) > 0 {
				first := items[0].(map[string]any)
				for _, k := range []string{"id", "email", "roles", "status", "locked", "locked_until", "failed_sign_ins", "last_login_at", "version"} {
					if _, ok := first[k]; !ok {
						t.Errorf("user lacks %s: %v", k, first)
					}
				}
			}
		})
	}

	t.Run("paging with cursor and Link", func(t *testing.T) {
		t.Parallel()
		var got []string
		query := "limit=2&sort=email&order=desc"
		for pages := 0; ; pages++ {
			if pages > len(all) {
				t.Fatal("paging does not end")
			}
			names, r := list(t, query)
			if len(names) > 2 {
				t.Fatalf("page of %d", len(names))
			}
			got = append(got, names...)
			next := r.str("next_cursor")
			if next == "" {
				if r.header.Get("Link") != "" {
					t.Error("Link on the last page")
				}
				break
			}
			link := r.header.Get("Link")
			if !strings.HasPrefix(link, "</idp/api/v1/users?") || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, url.QueryEscape(next)) {
				t.Fatalf("Link = %q", link)
			}
			query = "limit=2&sort=email&order=desc&cursor=" + url.QueryEscape(next)
		}
		want := slices.Clone(all)
		slices.Sort(want) // e-mail is username@...; admin's is admin@localhost
		slices.Reverse(want)
		if !slices.Equal(got, want) {
			t.Fatalf("pages gave %v, want %v", got, want)
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		t.Parallel()
		_, first := list(t, "limit=1")
		tests := []struct{ query, field string }{
			{"sort=password", "sort"},
			{"order=sideways", "order"},
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"status=sleeping", "status"},
			{"serach=anna", "serach"},
			{"cursor=" + url.QueryEscape(first.str("next_cursor")) + "&sort=email", "cursor"},
			{"q=" + strings.Repeat("x", 201), "q"},
		}
		for _, tc := range tests {
			r := e.call(t, "GET", "/api/v1/users?"+tc.query, admin, nil)
			if r.status != http.StatusBadRequest || r.fieldErrors()[tc.field] == "" {
				t.Errorf("%s: %s", tc.query, r)
			}
		}
	})
}

func reversed(s []string) []string {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

func TestAPIChangesAndRules(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	target := e.p.addUser(t, "target", "target-password-1", identity.RoleStudent)
	e.p.addUser(t, "other", "other-password-12", identity.RoleStudent)
	admin := e.token(t, "admin", adminPassword)
	adminID := e.must(t, http.StatusOK, "GET", "/api/v1/me", admin, nil).str("id")
	u := "/api/v1/users/" + target.ID

	t.Run("ETag and If-Match", func(t *testing.T) {
		tag := e.etagOf(t, u, admin)
		r := e.must(t, http.StatusOK, "PATCH", u, admin, map[string]any{"display_name": "Tara Get", "semester": 3,
			"login_window": map[string]string{"earliest": "07:00", "latest": "22:00"}}, "If-Match", tag)
		if r.str("display_name") != "Tara Get" || r.body["semester"] != float64(3) || r.header.Get("ETag") == tag || r.header.Get("ETag") == "" {
			t.Fatalf("patched: %s %v", r, r.header)
		}
		if w, _ := r.body["login_window"].(map[string]any); w["earliest"] != "07:00" {
			t.Fatalf("login window %v", r.body["login_window"])
		}
		if r := e.call(t, "PATCH", u, admin, map[string]any{"semester": 4}, "If-Match", tag); r.status != http.StatusPreconditionFailed {
			t.Fatalf("stale If-Match: %s", r)
		}
		if r := e.call(t, "PATCH", u, admin, map[string]any{"semester": 4}); r.status != http.StatusPreconditionRequired {
			t.Fatalf("no If-Match: %s", r)
		}
		for _, path := range []string{u + "/disable", u + "/enable", u + "/unlock"} {
			if r := e.call(t, "POST", path, admin, nil, "If-Match", tag); r.status != http.StatusPreconditionFailed {
				t.Fatalf("POST %s with a stale ETag: %s", path, r)
			}
		}
		if r := e.call(t, "PUT", u+"/roles", admin, map[string]any{"roles": []string{"staff"}}, "If-Match", tag); r.status != http.StatusPreconditionFailed {
			t.Fatalf("PUT roles with a stale ETag: %s", r)
		}
		// null removes the account's own login window.
		r = e.must(t, http.StatusOK, "PATCH", u, admin, map[string]any{"login_window": nil}, "If-Match", e.etagOf(t, u, admin))
		if r.body["login_window"] != nil {
			t.Fatalf("login window not removed: %v", r.body["login_window"])
		}
		// Disable and enable, with the ETag each answer gives.
		r = e.must(t, http.StatusOK, "POST", u+"/disable", admin, nil, "If-Match", r.header.Get("ETag"))
		r = e.must(t, http.StatusOK, "POST", u+"/enable", admin, nil, "If-Match", r.header.Get("ETag"))
		if r.str("status") != "active" {
			t.Fatalf("enabled: %s", r)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		tag := e.etagOf(t, u, admin)
		tests := []struct {
			name   string
			body   any
			status int
			fields []string
		}{
			{"unknown and read-only fields", map[string]any{"roles": []string{"admin"}, "status": "disabled", "colour": "blue"}, 422, []string{"roles", "status", "colour"}},
			{"wrong types", map[string]any{"semester": "three", "email": 5}, 422, []string{"semester", "email"}},
			{"invalid values", map[string]any{"email": "not-an-address", "username": "x", "semester": 99,
				"login_window": map[string]string{"earliest": "25:00", "latest": "18:00"}}, 422, []string{"email", "username", "semester", "login_window"}},
			{"null for a string", map[string]any{"given_name": nil}, 422, []string{"given_name"}},
			{"taken username", map[string]any{"username": "OTHER"}, 409, []string{"username"}},
			{"taken e-mail", map[string]any{"email": "other@uni.example"}, 409, []string{"email"}},
			{"malformed JSON", `{"semester":`, 400, nil},
			{"too large", `{"display_name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, nil},
		}
		for _, tc := range tests {
			r := e.call(t, "PATCH", u, admin, tc.body, "If-Match", tag)
			if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %s", tc.name, r)
				continue
			}
			for _, f := range tc.fields {
				if r.fieldErrors()[f] == "" {
					t.Errorf("%s: no error for %s in %s", tc.name, f, r)
				}
			}
		}
		req, _ := http.NewRequest("PATCH", e.p.issuer+u, strings.NewReader("semester=3"))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("If-Match", tag)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := e.p.http.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("form body: %v %v", resp, err)
		}
		if e.etagOf(t, u, admin) != tag {
			t.Error("a refused change changed the account")
		}
		e.must(t, http.StatusNotFound, "GET", "/api/v1/users/nobody", admin, nil)
		e.must(t, http.StatusNotFound, "PATCH", "/api/v1/users/nobody", admin, map[string]any{"semester": 1}, "If-Match", "*")
	})

	t.Run("nobody changes their own roles", func(t *testing.T) {
		me := "/api/v1/users/" + adminID
		r := e.call(t, "PUT", me+"/roles", admin, map[string]any{"roles": []string{"admin", "staff"}}, "If-Match", e.etagOf(t, me, admin))
		if r.status != http.StatusForbidden || !strings.Contains(r.str("detail"), "own roles") {
			t.Fatalf("own roles: %s", r)
		}
		if r := e.call(t, "PATCH", "/api/v1/me", admin, map[string]any{"roles": []string{"student"}}, "If-Match", "*"); r.status != 422 || r.fieldErrors()["roles"] == "" {
			t.Fatalf("roles through /me: %s", r)
		}
	})

	t.Run("roles", func(t *testing.T) {
		r := e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "tutor", "description": "Tutors",
			"permissions": []string{"grades:read"}, "allowed_clients": []string{"console"}})
		if r.header.Get("Location") != "/idp/api/v1/roles/tutor" || r.header.Get("ETag") != `"1"` || r.body["builtin"] != false {
			t.Fatalf("created: %s %v", r, r.header)
		}
		if r := e.call(t, "POST", "/api/v1/roles", admin, map[string]any{"name": "tutor"}); r.status != http.StatusConflict ||
			!strings.Contains(r.str("detail"), "exists already") || r.fieldErrors()["name"] == "" {
			t.Fatalf("create twice: %s", r)
		}
		if r := e.call(t, "POST", "/api/v1/roles", admin, map[string]any{"name": "Bad Name!", "permissions": []string{"grades:read", "root"},
			"allowed_clients": []string{"nope"}, "login_window": map[string]string{"earliest": "9"}}); r.status != 422 ||
			len(r.fieldErrors()) != 4 || r.fieldErrors()["permissions[1]"] == "" {
			t.Fatalf("invalid role: %s", r)
		}
		tag := e.etagOf(t, "/api/v1/roles/tutor", admin)
		r = e.must(t, http.StatusOK, "PATCH", "/api/v1/roles/tutor", admin, map[string]any{"permissions": []string{"grades:read", "grades:write"},
			"login_window": map[string]string{"earliest": "08:00", "latest": "20:00", "last_date": "2030-03-31"}}, "If-Match", tag)
		if r.header.Get("ETag") != `"2"` || len(r.body["permissions"].([]any)) != 2 {
			t.Fatalf("patched role: %s", r)
		}
		e.must(t, http.StatusPreconditionFailed, "PATCH", "/api/v1/roles/tutor", admin, map[string]any{"description": "x"}, "If-Match", tag)
		e.must(t, http.StatusNotFound, "PATCH", "/api/v1/roles/nope", admin, map[string]any{"description": "x"}, "If-Match", "*")
		if r := e.call(t, "PATCH", "/api/v1/roles/admin", admin, map[string]any{"permissions": []string{"users:read"}}, "If-Match", "*"); r.status != 422 ||
			!strings.Contains(r.fieldErrors()["permissions"], "roles:write") {
			t.Fatalf("admin role losing its permissions: %s", r)
		}
		roles := e.must(t, http.StatusOK, "GET", "/api/v1/roles", admin, nil)
		var names []string
		for _, it := range roles.body["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		if !slices.Equal(names, []string{"admin", "staff", "student", "tutor"}) {
			t.Fatalf("roles %v", names)
		}
	})

	t.Run("no escalation past one's own permissions", func(t *testing.T) {
		e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "useradmin", "permissions": []string{"users:read", "users:write"}})
		helper := e.p.addUser(t, "helper", "helper-password-1")
		hp := "/api/v1/users/" + helper.ID
		e.must(t, http.StatusOK, "PUT", hp+"/roles", admin, map[string]any{"roles": []string{"useradmin"}}, "If-Match", e.etagOf(t, hp, admin))
		tok := e.token(t, "helper", "helper-password-1")
		if r := e.call(t, "PUT", u+"/roles", tok, map[string]any{"roles": []string{"admin"}}, "If-Match", "*"); r.status != http.StatusForbidden ||
			!strings.Contains(r.str("detail"), "you lack admin (") {
			t.Fatalf("helper made someone admin: %s", r)
		}
		e.must(t, http.StatusOK, "PUT", u+"/roles", tok, map[string]any{"roles": []string{"student", "useradmin"}}, "If-Match", "*")
	})

	t.Run("unlock after failed sign-ins", func(t *testing.T) {
		b := e.p.browser(t)
		start := getPage(t, b, e.rp.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		for range 5 {
			submitLogin(t, e.p, b, start, "other", "wrong-password")
		}
		other := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=other", admin, nil).body["items"].([]any)[0].(map[string]any)
		if other["locked"] != true || other["locked_until"] == nil {
			t.Fatalf("not locked: %v", other)
		}
		op := "/api/v1/users/" + other["id"].(string)
		r := e.must(t, http.StatusOK, "POST", op+"/unlock", admin, nil, "If-Match", e.etagOf(t, op, admin))
		if r.body["locked"] != false || r.body["failed_sign_ins"] != float64(0) || r.body["locked_until"] != nil {
			t.Fatalf("unlocked: %s", r)
		}
		e.token(t, "other", "other-password-12") // signs in again
	})

	t.Run("audit trail", func(t *testing.T) {
		r := e.must(t, http.StatusOK, "GET", "/api/v1/audit?target="+target.ID+"&limit=50", admin, nil)
		var actions []string
		for _, it := range r.body["items"].([]any) {
			ev := it.(map[string]any)
			actions = append(actions, ev["action"].(string))
			if ev["target"] != target.ID {
				t.Fatalf("event of another target: %v", ev)
			}
		}
		for _, want := range []string{"profile_changed", "account_disabled", "account_enabled", "roles_changed"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no %s event in %v", want, actions)
			}
		}
		if strings.Contains(r.raw, "password-1") {
			t.Fatal("a password reached the audit trail")
		}
		for _, q := range []string{"action=role_created&target=tutor", "action=unlock", "action=roles_changed&outcome=denied"} {
			if r := e.must(t, http.StatusOK, "GET", "/api/v1/audit?"+q, admin, nil); len(r.body["items"].([]any)) == 0 {
				t.Errorf("%s: no events", q)
			}
		}
		// Paging, newest first.
		first := e.must(t, http.StatusOK, "GET", "/api/v1/audit?limit=2", admin, nil)
		next := e.must(t, http.StatusOK, "GET", "/api/v1/audit?limit=2&cursor="+url.QueryEscape(first.str("next_cursor")), admin, nil)
		a, b := first.body["items"].([]any), next.body["items"].([]any)
		if len(a) != 2 || len(b) != 2 || a[1].(map[string]any)["id"].(string) <= b[0].(map[string]any)["id"].(string) {
			t.Fatalf("audit pages: %v / %v", a, b)
		}
		if r := e.call(t, "GET", "/api/v1/audit?since=yesterday&outcome=maybe", admin, nil); r.status != 400 || len(r.fieldErrors()) != 2 {
			t.Fatalf("bad audit query: %s", r)
		}
	})

	t.Run("the last active administrator", func(t *testing.T) {
		// A superuser role with every permission, but not named admin.
		e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "root",
			"permissions": []string{"users:read", "users:write", "roles:write", "studies:write", "grades:write", "grades:read"}})
		rootUser := e.p.addUser(t, "rooty", "rooty-password-1")
		rp := "/api/v1/users/" + rootUser.ID
		e.must(t, http.StatusOK, "PUT", rp+"/roles", admin, map[string]any{"roles": []string{"root"}}, "If-Match", "*")
		root := e.token(t, "rooty", "rooty-password-1")
		me := "/api/v1/users/" + adminID
		for _, c := range []struct {
			method, path string
			body         any
		}{{"POST", me + "/disable", nil}, {"PUT", me + "/roles", map[string]any{"roles": []string{"staff"}}}} {
			r := e.call(t, c.method, c.path, root, c.body, "If-Match", e.etagOf(t, me, root))
			if r.status != http.StatusConflict || !strings.Contains(r.str("detail"), "last active administrator") {
				t.Fatalf("%s %s on the last administrator: %s", c.method, c.path, r)
			}
		}
		if r := e.call(t, "POST", me+"/disable", admin, nil, "If-Match", "*"); r.status != http.StatusConflict {
			t.Fatalf("the last administrator disabled themselves: %s", r)
		}
		if st := e.must(t, http.StatusOK, "GET", me, root, nil).str("status"); st != "active" {
			t.Fatalf("administrator is %s", st)
		}
		// With a second administrator, the first may go.
		e.must(t, http.StatusOK, "PUT", rp+"/roles", admin, map[string]any{"roles": []string{"root", "admin"}}, "If-Match", "*")
		root = e.token(t, "rooty", "rooty-password-1")
		if r := e.must(t, http.StatusOK, "PUT", me+"/roles", root, map[string]any{"roles": []string{"staff"}}, "If-Match", "*"); fmt.Sprint(r.body["roles"]) != "[staff]" {
			t.Fatalf("roles after: %s", r)
		}
		// The former administrator's sessions ended with the role: the
		// token is revoked, and a new one lacks the admin scopes.
		if r := e.call(t, "GET", "/api/v1/users", admin, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("former administrator lists users: %s", r)
		}
		if r := e.call(t, "GET", "/api/v1/users", e.token(t, "admin", adminPassword), nil); r.status != http.StatusForbidden {
			t.Fatalf("former administrator lists users with a new token: %s", r)
		}
	})
}

func TestAPIDisableEndsSessions(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	user := e.p.addUser(t, "leaver", "leaver-password-1", identity.RoleStudent)
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
	e.p.addUser(t, "mover", "old-password-123", identity.RoleStudent)
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
	b := e.p.browser(t)
	start := getPage(t, b, e.rp.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if pg := submitLogin(t, e.p, b, start, "mover", "old-password-123"); pg.status != http.StatusUnauthorized {
		t.Fatalf("old password: status %d", pg.status)
	}
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=password_changed", e.token(t, "admin", adminPassword), nil)
	if n := len(audit.body["items"].([]any)); n != 2 { // one failure, one success
		t.Fatalf("%d password_changed events: %s", n, audit)
	}
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

func TestAPIPeople(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	a := e.p.addUser(t, "anna", "anna-password-1", "student")
	b := e.p.addUser(t, "bert", "bert-password-1", "student")
	grader := e.serviceToken(t, "gradebook", "grades:read")
	q := "/api/v1/people?id=" + b.ID + "&id=nobody&id=" + a.ID
	r := e.must(t, http.StatusOK, "GET", q, grader, nil)
	items := r.body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["username"] != "bert" || items[1].(map[string]any)["display_name"] != "Anna" {
		t.Fatalf("people: %v", r)
	}
	if len(items[0].(map[string]any)) != 3 {
		t.Errorf("people tells more than id, username and display name: %v", items[0])
	}
	// Only for those who grade or manage accounts.
	other := e.serviceToken(t, "catalogue-sync")
	e.must(t, http.StatusForbidden, "GET", q, other, nil)
	e.must(t, http.StatusUnauthorized, "GET", q, "", nil)
	e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?name=anna", grader, nil)
	e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?"+strings.Repeat("id=x&", 201), grader, nil)
	if r := e.must(t, http.StatusOK, "GET", "/api/v1/people", grader, nil); len(r.body["items"].([]any)) != 0 {
		t.Fatalf("no ids: %v", r)
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
