package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"campus/internal/identity"
)

func TestAPIUsersListSearchAndPaging(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	people := []struct{ username, role string }{
		{"anna.schmidt", "student"}, {"annette.berg", "student"}, {"bert.schmidt", "staff"}, {"carla.ann", "staff"},
		{"dora.ost", "student"}, {"emil.weber", "student"}, {"frida.weber", "student"}, {"gustav.nann", "student"},
	}
	ids := map[string]string{}
	for _, pp := range people {
		ids[pp.username] = e.addUser(t, pp.username, "a-password-for-"+pp.username, pp.role).ID
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
		{"everyone, oldest first (the default)", "", all},
		{"newest first", "order=desc", reversed(all)},
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
		query := "limit=2&order=desc"
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
			query = "limit=2&order=desc&cursor=" + url.QueryEscape(next)
		}
		want := reversed(all)
		if !slices.Equal(got, want) {
			t.Fatalf("pages gave %v, want %v", got, want)
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		t.Parallel()
		_, first := list(t, "limit=1")
		tests := []struct{ query, field string }{
			{"sort=password", "sort"},
			{"sort=username", "sort"}, // stored encrypted
			{"sort=email", "sort"},
			{"order=sideways", "order"},
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"status=sleeping", "status"},
			{"serach=anna", "serach"},
			{"cursor=" + url.QueryEscape(first.str("next_cursor")) + "&sort=last_login_at", "cursor"},
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
	target := e.addUser(t, "target", "target-password-1", identity.RoleStudent)
	e.addUser(t, "other", "other-password-12", identity.RoleStudent)
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
		req, _ := http.NewRequest("PATCH", e.issuer+u, strings.NewReader("semester=3"))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("If-Match", tag)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := e.http.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
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
		helper := e.addUser(t, "helper", "helper-password-1")
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
		start, _ := e.authorize(t, e.console)
		for range 5 {
			e.submitLogin(t, start, "other", "wrong-password")
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
			"permissions": []string{"users:read", "users:write", "roles:write", "studies:write", "grades:write", "grades:read", "events:write"}})
		rootUser := e.addUser(t, "rooty", "rooty-password-1")
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
