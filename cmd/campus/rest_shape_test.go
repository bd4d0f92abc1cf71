package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestAPIsShareOneShape checks that identity's API and the study API,
// both built on package rest, answer alike: ETags and If-Match (a weak tag
// refused, "*" accepted, a stale tag 412, none 428), every wrong field of
// a body in one 422, list parameters checked the same way, and the same
// Bearer challenge (RFC 6750 section 3, realm "campus").
func TestAPIsShareOneShape(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	p := e.p
	p.addUser(t, "shape", "student-password-1", "student")
	tester := p.addClient(t, "--id", "tester", "--first-party", "--redirect-uri", "https://tester.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read")
	studyToken := func(user, pw string, extra ...oauth2.AuthCodeOption) string {
		tok, _ := newRP(t, p, tester, oidc.ScopeOpenID, "studies:write", "grades:write", "grades:read").signIn(t, p, p.browser(t), user, pw, extra...)
		return tok.AccessToken
	}
	idAdmin, idStudent := e.token(t, "admin", adminPassword), e.token(t, "shape", "student-password-1")
	editor := studyAPI{t: t, p: p, token: studyToken("admin", adminPassword, oauth2.SetAuthURLParam("prompt", "login"))}
	studentStudy := studyAPI{t: t, p: p, token: studyToken("shape", "student-password-1")}

	// One resource of each API, at version 1.
	e.must(t, http.StatusCreated, "POST", "/api/v1/roles", idAdmin, map[string]any{"name": "shape", "description": "Shape", "permissions": []string{"grades:read"}})
	mod := editor.must(http.StatusCreated, "POST", "/v1/modules", map[string]any{"code": "SHAPE-1", "title": "Shape", "credits": 5})
	modPath := "/v1/modules/" + mod.body["id"].(string)

	// answer is what both test callers return, reduced to what is compared.
	type answer struct {
		status int
		header http.Header
		body   map[string]any
		raw    string
	}
	identityCall := func(token string) func(method, path string, body any, headers ...string) answer {
		return func(method, path string, body any, headers ...string) answer {
			r := e.call(t, method, path, token, body, headers...)
			return answer{r.status, r.header, r.body, r.raw}
		}
	}
	studyCall := func(a studyAPI) func(method, path string, body any, headers ...string) answer {
		return func(method, path string, body any, headers ...string) answer {
			r := a.do(method, path, body, headers...)
			return answer(r)
		}
	}
	apis := []struct {
		name              string
		call, student     func(method, path string, body any, headers ...string) answer
		anon              func(method, path string, body any, headers ...string) answer
		resource, list    string
		change, badChange map[string]any
		badFields         []string
		protected         string // a GET that needs a token
		scoped            string // a GET whose scope a student's token lacks
		scope             string
	}{
		{name: "identity", call: identityCall(idAdmin), student: identityCall(idStudent), anon: identityCall(""),
			resource: "/api/v1/roles/shape", list: "/api/v1/users",
			change:    map[string]any{"description": "Shape II"},
			badChange: map[string]any{"colour": "red", "size": 1, "description": 5}, badFields: []string{"colour", "description", "size"},
			protected: "/api/v1/users", scoped: "/api/v1/users", scope: "users:read"},
		{name: "study", call: studyCall(editor), student: studyCall(studentStudy), anon: studyCall(studyAPI{t: t, p: p}),
			resource: modPath, list: "/v1/modules",
			change:    map[string]any{"title": "Shape II"},
			badChange: map[string]any{"colour": "red", "size": 1, "title": 5}, badFields: []string{"colour", "size", "title"},
			protected: "/v1/me/enrolments", scoped: "/v1/enrolments", scope: "grades:read"},
	}
	for _, api := range apis {
		t.Run(api.name, func(t *testing.T) {
			problem := func(t *testing.T, r answer, want int) {
				t.Helper()
				if r.status != want || r.header.Get("Content-Type") != "application/problem+json" || r.body["status"] != float64(want) {
					t.Fatalf("status %d %s (Content-Type %q); want %d as problem+json", r.status, r.raw, r.header.Get("Content-Type"), want)
				}
			}

			// ETag: the version in quotes.
			r := api.call("GET", api.resource, nil)
			if r.status != http.StatusOK || r.header.Get("ETag") != `"1"` || r.body["version"] != float64(1) {
				t.Fatalf("GET: %d ETag %q version %v", r.status, r.header.Get("ETag"), r.body["version"])
			}
			// If-Match: required, strong, "*" for any version, stale refused.
			problem(t, api.call("PATCH", api.resource, api.change), http.StatusPreconditionRequired)
			problem(t, api.call("PATCH", api.resource, api.change, "If-Match", `W/"1"`), http.StatusPreconditionFailed)
			if r := api.call("PATCH", api.resource, api.change, "If-Match", "*"); r.status != http.StatusOK || r.header.Get("ETag") != `"2"` {
				t.Fatalf(`If-Match: * = %d ETag %q %s`, r.status, r.header.Get("ETag"), r.raw)
			}
			problem(t, api.call("PATCH", api.resource, api.change, "If-Match", `"1"`), http.StatusPreconditionFailed)
			if r := api.call("PATCH", api.resource, api.change, "If-Match", `"1", "2"`); r.status != http.StatusOK || r.header.Get("ETag") != `"3"` {
				t.Fatalf(`If-Match: "1", "2" = %d ETag %q %s`, r.status, r.header.Get("ETag"), r.raw)
			}

			// Every wrong field of a body at once.
			r = api.call("PATCH", api.resource, api.badChange, "If-Match", `"3"`)
			problem(t, r, http.StatusUnprocessableEntity)
			var fields []string
			for _, fe := range r.body["errors"].([]any) {
				fields = append(fields, fe.(map[string]any)["field"].(string))
			}
			slices.Sort(fields)
			if !slices.Equal(fields, api.badFields) {
				t.Errorf("field errors for %v, want %v: %s", fields, api.badFields, r.raw)
			}

			// List parameters.
			for _, q := range []string{"limit=0", "limit=ten", "limit=100000", "cursor=a%20b"} {
				r := api.call("GET", api.list+"?"+q, nil)
				problem(t, r, http.StatusBadRequest)
				field, _, _ := strings.Cut(q, "=")
				if errs, _ := r.body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != field {
					t.Errorf("%s: %s", q, r.raw)
				}
			}
			if r := api.call("GET", api.list+"?limit=1", nil); r.status != http.StatusOK || len(r.body["items"].([]any)) != 1 {
				t.Errorf("limit=1: %d %s", r.status, r.raw)
			}

			// The Bearer challenge.
			r = api.anon("GET", api.protected, nil)
			problem(t, r, http.StatusUnauthorized)
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="campus"` {
				t.Errorf("no token: WWW-Authenticate %q", got)
			}
			r = identityCall("not-a-token")("GET", "/api/v1/users", nil)
			if api.name == "study" {
				r = studyCall(studyAPI{t: t, p: p, token: "not.a.token"})("GET", api.protected, nil)
			}
			problem(t, r, http.StatusUnauthorized)
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="campus", error="invalid_token", error_description="`) {
				t.Errorf("a bad token: WWW-Authenticate %q", got)
			}
			r = api.student("GET", api.scoped, nil)
			problem(t, r, http.StatusForbidden)
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="campus", error="insufficient_scope", error_description="`) ||
				!strings.HasSuffix(got, `, scope=`+strconv.Quote(api.scope)) {
				t.Errorf("a missing scope: WWW-Authenticate %q", got)
			}
		})
	}
}
