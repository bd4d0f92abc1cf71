package web

import (
	"campus/internal/identity/datakeys"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	apispec "campus/api"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/rest"
)

// The API serves api/identity.yaml as the package campus/api embeds it.
func TestServesTheSpec(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile("../../../api/identity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	(&api{}).handleSpec(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil), nil)
	if rec.Body.String() != string(spec) {
		t.Fatal("GET /api/v1/openapi.yaml is not api/identity.yaml")
	}
}

// SpecRoutes lists the operations of an OpenAPI document as "METHOD /path".
func specRoutes(t *testing.T, doc []byte) []string {
	t.Helper()
	var spec struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &spec); err != nil {
		t.Fatalf("parse the OpenAPI document: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.0") {
		t.Fatalf("openapi %q, want 3.0.x", spec.OpenAPI)
	}
	var out []string
	for path, ops := range spec.Paths {
		for method := range ops {
			if slices.Contains([]string{"get", "put", "post", "patch", "delete"}, method) {
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIIsValid validates the document, examples included, as
// OpenAPI 3.0, with every scope an operation names declared.
func TestOpenAPIIsValid(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(apispec.Identity)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
	// People's scopes are the authorization code flow's; services' own
	// (people:read, mail:send) only the client credentials flow's.
	flows := doc.Components.SecuritySchemes["campus"].Value.Flows
	declared := maps.Clone(flows.AuthorizationCode.Scopes)
	maps.Copy(declared, flows.ClientCredentials.Scopes)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security == nil {
				t.Errorf("%s %s does not say who may call it", method, path)
				continue
			}
			for _, req := range *op.Security {
				for _, scope := range req["campus"] {
					if _, ok := declared[scope]; !ok {
						t.Errorf("%s %s needs the undeclared scope %s", method, path, scope)
					}
				}
			}
		}
	}
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	t.Parallel()
	routes := APIRoutes()
	slices.Sort(routes)
	if got := specRoutes(t, apispec.Identity); !slices.Equal(got, routes) {
		t.Fatalf("OpenAPI operations and routes differ:\nspec:   %v\nroutes: %v", got, routes)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type body struct {
		Name    string           `json:"name"`
		Count   int              `json:"count"`
		Nick    optional[string] `json:"nick"`
		Windows []string         `json:"windows"`
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		fields      []string
		check       func(t *testing.T, b body)
	}{
		{name: "fields set, absent and null", contentType: "application/json", body: `{"name":"x","nick":null}`, status: 0,
			check: func(t *testing.T, b body) {
				if b.Name != "x" || !b.Nick.Set || !b.Nick.Null || b.Count != 0 {
					t.Fatalf("decoded %+v", b)
				}
			}},
		{name: "merge patch", contentType: "application/merge-patch+json; charset=utf-8", body: `{"nick":"n"}`, status: 0,
			check: func(t *testing.T, b body) {
				if !b.Nick.Set || b.Nick.Null || b.Nick.Value != "n" {
					t.Fatalf("decoded %+v", b)
				}
			}},
		{name: "wrong content type", contentType: "text/plain", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "not JSON", contentType: "application/json", body: `{"name":`, status: http.StatusBadRequest},
		{name: "not an object", contentType: "application/json", body: `[1]`, status: http.StatusBadRequest},
		{name: "null body", contentType: "application/json", body: `null`, status: http.StatusBadRequest},
		{name: "every unknown and mistyped field at once", contentType: "application/json",
			body: `{"name":1,"count":"2","roles":[],"colour":"red","windows":"x"}`, status: http.StatusUnprocessableEntity,
			fields: []string{"colour", "roles", "name", "count", "windows"}},
		{name: "too large", contentType: "application/json", body: `{"name":"` + strings.Repeat("x", rest.MaxBody) + `"}`, status: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.contentType)
			w := httptest.NewRecorder()
			var b body
			ok := decode(w, r, &b, nil)
			if ok != (tc.status == 0) || (!ok && w.Code != tc.status) {
				t.Fatalf("ok %v, status %d %s; want %d", ok, w.Code, w.Body, tc.status)
			}
			for _, f := range tc.fields {
				if !strings.Contains(w.Body.String(), `"field":"`+f+`"`) {
					t.Errorf("no error for %s in %s", f, w.Body)
				}
			}
			if strings.Contains(w.Body.String(), `"field":"roles","detail":"is not a field`) {
				t.Error("a read-only field got the generic message")
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	current := func() (int, error) { return 7, nil }
	tests := []struct {
		name, header string
		want         int
		status       int
	}{
		{"missing", "", 0, http.StatusPreconditionRequired},
		{"any", "*", 0, 0},
		{"one", `"3"`, 3, 0},
		{"one in the former format", `"v3"`, 3, 0},
		{"weak never matches", `W/"7"`, 0, http.StatusPreconditionFailed},
		{"weak never matches, in the former format", `W/"v7"`, 0, http.StatusPreconditionFailed},
		{"garbage", `"x3"`, 0, http.StatusPreconditionFailed},
		{"a list with the current one", `"2", "7"`, 7, 0},
		{"a list with the current one, in the former format", `"v2", "v7"`, 7, 0},
		{"a list without it", `"v2", "3"`, 0, http.StatusPreconditionFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPatch, "/", nil)
			if tc.header != "" {
				r.Header.Set("If-Match", tc.header)
			}
			w := httptest.NewRecorder()
			v, ok := ifMatch(w, r, current)
			if ok != (tc.status == 0) || v != tc.want || (!ok && w.Code != tc.status) {
				t.Fatalf("ifMatch = %d, %v (status %d); want %d, status %d", v, ok, w.Code, tc.want, tc.status)
			}
		})
	}
}

func TestHourlyLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now, datakeys.Test())
	l := policy.NewSharedLimiter("test/address", st, 10, time.Hour, 3, func() time.Time { return now })
	allow := func(key string) (bool, time.Duration) {
		ok, retry, err := l.Allow(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok, retry
	}
	for i := range 3 {
		if ok, _ := allow("ip"); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, wait := allow("ip")
	if ok {
		t.Fatal("fourth attempt allowed")
	}
	if wait < 5*time.Minute || wait > 6*time.Minute {
		t.Fatalf("retry after %s, want 6 minutes (10 an hour)", wait)
	}
	if ok, _ := allow("other-ip"); !ok {
		t.Fatal("another address was refused")
	}
	now = now.Add(6 * time.Minute)
	if ok, _ := allow("ip"); !ok {
		t.Fatal("refused after waiting")
	}
}

func TestRegistrationValidate(t *testing.T) {
	t.Parallel()
	good := registration{Username: "anna.s", Email: "anna@uni.example", Password: "a-long-enough-pass", GivenName: "Anna", FamilyName: "S"}
	tests := []struct {
		name   string
		change func(*registration)
		fields []string
	}{
		{"good", func(*registration) {}, nil},
		{"everything missing", func(r *registration) { *r = registration{} }, []string{"username", "email", "given_name", "family_name", "password"}},
		{"username with @", func(r *registration) { r.Username = "anna@uni" }, []string{"username"}},
		{"e-mail with a name", func(r *registration) { r.Email = "Anna <anna@uni.example>" }, []string{"email"}},
		{"e-mail without domain dot", func(r *registration) { r.Email = "anna@localhost" }, []string{"email"}},
		{"short password", func(r *registration) { r.Password = "short" }, []string{"password"}},
		{"common password", func(r *registration) { r.Password = "password123" }, []string{"password"}},
		{"password with the username", func(r *registration) { r.Password = "xx-anna.s-2026-xx" }, []string{"password"}},
		{"control characters, also in the derived display name", func(r *registration) { r.GivenName = "An\x00na" }, []string{"given_name", "display_name"}},
		{"too long", func(r *registration) { r.ProgrammeTitle = strings.Repeat("x", 201) }, []string{"programme_title"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := good
			tc.change(&in)
			in.trim()
			var got []string
			for _, e := range in.validate(policy.DefaultPasswordPolicy()) {
				if !slices.Contains(got, e.Field) {
					got = append(got, e.Field)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("errors on %v, want %v", got, want)
			}
		})
	}
}

func TestProfilePatch(t *testing.T) {
	t.Parallel()
	base := store.AccountRecord{}
	base.Username, base.Email, base.Semester = "ada", "ada@uni.example", 2
	tests := []struct {
		name    string
		patch   profilePatch
		changed []string
		errs    []string
	}{
		{"nothing", profilePatch{}, nil, nil},
		{"same value is no change", profilePatch{Username: optional[string]{Set: true, Value: " ada "}}, nil, nil},
		{"several", profilePatch{Semester: optional[int]{Set: true, Value: 3}, DisplayName: optional[string]{Set: true, Value: "Ada"}}, []string{"display_name", "semester"}, nil},
		{"window set", profilePatch{LoginWindow: optional[store.LoginWindow]{Set: true, Value: store.LoginWindow{Earliest: "08:00", Latest: "18:00"}}}, []string{"login_window"}, nil},
		{"null string", profilePatch{Email: optional[string]{Set: true, Null: true}}, nil, []string{"email"}},
		{"bad window", profilePatch{LoginWindow: optional[store.LoginWindow]{Set: true, Value: store.LoginWindow{Earliest: "25:00", Latest: "18:00"}}}, nil, []string{"login_window"}},
		{"bad semester", profilePatch{Semester: optional[int]{Set: true, Value: 99}}, nil, []string{"semester"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := base
			changed, errs := tc.patch.apply(&rec)
			slices.Sort(changed)
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			if !slices.Equal(changed, tc.changed) || !slices.Equal(fields, tc.errs) {
				t.Fatalf("changed %v errors %v; want %v, %v", changed, fields, tc.changed, tc.errs)
			}
		})
	}
}

func TestConflictText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"last admin", store.ErrLastAdmin, "This is the last active administrator; give another account the admin role first."},
		{"wrapped", fmt.Errorf("a role named %q exists already: %w", "x", identity.ErrConflict), `A role named "x" exists already.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := conflictText(tc.err); got != tc.want {
				t.Fatalf("conflictText = %q, want %q", got, tc.want)
			}
		})
	}
}
