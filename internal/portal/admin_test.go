package portal

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// ---- administration: accounts and roles

func TestAdminNeedsAdministrator(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	cookie := p.signIn(staff()) // no users:read
	for _, target := range []string{"/admin", "/admin/users", "/admin/users/u1", "/admin/roles", "/admin/programmes", "/admin/programmes/p1", "/admin/modules/m1"} {
		p.get(cookie, target).want(t, http.StatusForbidden, msg("admin.forbidden"))
	}
	for _, target := range []string{"/admin/users/u1", "/admin/roles", "/admin/programmes", "/admin/programmes/p1", "/admin/modules/m1", "/admin/lock", "/admin/unlock"} {
		p.post(cookie, target, url.Values{"action": {"disable"}, "version": {"7"}, "name": {"x"}}).want(t, http.StatusForbidden, msg("admin.forbidden"))
	}
	p.api.mu.Lock()
	defer p.api.mu.Unlock()
	if len(p.api.reqs) != 0 {
		t.Errorf("a non-administrator's request reached the API: %v", p.api.reqs)
	}
}

func TestAdminHome(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	r := p.get(p.signIn(admin()), "/admin")
	r.want(t, http.StatusOK, "<h1>"+msg("admin.title")+"</h1>", `<a href="/admin/users">`+msg("admin.users")+"</a>",
		`<a href="/admin/roles">`+msg("admin.roles")+"</a>", `<a href="/admin">`+msg("nav.admin")+"</a>", `<a href="/grading">`)
	withScope := admin()
	withScope.Scopes = append(withScope.Scopes, "studies:write")
	p.get(p.signIn(withScope), "/admin").want(t, http.StatusOK, `<a href="/admin/programmes">`+msg("catalogue.admin")+"</a>", msg("admin.catalogue.about"))
}

// TestAdminHomeDirectoryAndMail: the overview shows the directory sync and
// the mail queue as identity tells them, and syncs on demand.
func TestAdminHomeDirectoryAndMail(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	cookie := p.signIn(admin())
	// Without a directory (404) there is no sync button.
	p.get(cookie, "/admin").lacks(t, `action="/admin/directory/sync"`, msg("admin.mail"))
	p.api.on("GET /idp/api/v1/directory", 200, `{"url":"ldaps://dc","group_dn":"cn=students,dc=uni","interval":"15m0s","running":false,
		"last_report":{"members":1000,"created":3,"updated":2,"enabled":0,"disabled":1,"unchanged":994,"skipped":["ada: no e-mail address in the directory"]}}`)
	p.api.on("GET /idp/api/v1/mail", 200, `{"status":{"pending":2,"retrying":1,"failed":0,"sent_last_24h":7,"developer_mailbox":true},"items":[]}`)
	p.get(cookie, "/admin").want(t, http.StatusOK, msg("admin.directory.about", "cn=students,dc=uni"),
		msg("admin.directory.last", 1000, 3, 2, 1, 0, 1), "ada: no e-mail address in the directory", `action="/admin/directory/sync"`,
		msg("admin.mail.state", 2, 1, 0, 7), msg("admin.mail.devbox"))

	p.api.on("POST /idp/api/v1/directory/sync", 200, `{"members":1000}`)
	p.post(cookie, "/admin/directory/sync", url.Values{}).redirects(t, "/admin?done=synced")
	wantHeader(t, p.api.sent("POST /idp/api/v1/directory/sync")[0], "Authorization", "Bearer access-token")
	p.get(cookie, "/admin?done=synced").want(t, http.StatusOK, msg("admin.directory.synced"))
	p.api.on("POST /idp/api/v1/directory/sync", 502, `{"detail":"down"}`)
	p.post(cookie, "/admin/directory/sync", url.Values{}).want(t, http.StatusBadGateway, msg("admin.directory.down"))
	p.api.on("POST /idp/api/v1/directory/sync", 409, `{"detail":"running"}`)
	p.post(cookie, "/admin/directory/sync", url.Values{}).want(t, http.StatusConflict, msg("admin.directory.running"))
	p.post(p.signIn(student()), "/admin/directory/sync", url.Values{}).want(t, http.StatusForbidden)
}

// TestAdminHomeLinksTheCatalogue: an administrator signed in as the portal
// signs people in reaches the catalogue's administration from /admin.
func TestAdminHomeLinksTheCatalogue(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.get(p.signIn(admin()), "/admin").want(t, http.StatusOK, `<a href="/admin/programmes">`+msg("catalogue.admin")+"</a>")
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	t.Run("search and filters go to identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`],"next_cursor":"c2"}`)
		r := p.get(p.signIn(admin()), "/admin/users?q=+bob+&role=student&status=active")
		r.want(t, http.StatusOK, "<h1>"+msg("admin.users")+"</h1>", `<input type="search" id="q" name="q" value="bob">`,
			`<option value="student" selected>student</option>`, `<option value="staff">staff</option>`,
			`<option value="active" selected>`+msg("admin.status.active")+"</option>",
			`<a href="/admin/users/u1">Bob Builder</a> <span class="meta">bob</span>`, "<td>bob@uni.example</td>",
			"<td>"+msg("admin.status.active")+", "+msg("admin.locked")+"</td>", `rel="next">`+msg("admin.next"))
		r.lacks(t, msg("admin.first")) // on the first page
		req := p.api.only(t, "GET /idp/api/v1/users")
		q, _ := url.ParseQuery(req.Query)
		if want := (url.Values{"q": {"bob"}, "role": {"student"}, "status": {"active"}, "limit": {"50"}}); !reflect.DeepEqual(q, want) {
			t.Errorf("users query %v, want %v", q, want)
		}
		wantHeader(t, req, "Authorization", "Bearer access-token")
	})
	t.Run("later page, unknown status dropped", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`]}`)
		r := p.get(p.signIn(admin()), "/admin/users?status=gone&cursor=c2&q=bob")
		r.want(t, http.StatusOK, `<a href="/admin/users?q=bob&amp;">`+msg("admin.first")+"</a>")
		r.lacks(t, `rel="next"`)
		q, _ := url.ParseQuery(p.api.only(t, "GET /idp/api/v1/users").Query)
		if q.Get("cursor") != "c2" || q.Has("status") {
			t.Errorf("users query %v", q)
		}
	})
	t.Run("nobody matches", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users", 200, `{"items":[]}`)
		p.get(p.signIn(admin()), "/admin/users?q=nobody").want(t, http.StatusOK, msg("admin.nousers"))
	})
	t.Run("stale cursor starts over", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users", 400, `{"detail":"bad cursor"}`)
		p.get(p.signIn(admin()), "/admin/users?cursor=old").redirects(t, "/admin/users")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 500, `{"detail":"boom"}`)
		p.get(p.signIn(admin()), "/admin/users").want(t, http.StatusBadGateway, msg("error.unavailable"))
		p.api.none(t, "GET /idp/api/v1/users")
	})
}

func TestUserPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /idp/api/v1/users/nope", 404, `{"detail":"not found"}`)
	cookie := p.signIn(admin())
	r := p.get(cookie, "/admin/users/u1")
	r.want(t, http.StatusOK, `<h1>Bob Builder <span class="meta">bob</span></h1>`,
		"bob@uni.example ("+msg("admin.verified")+")", msg("admin.locked.until", "2026-03-02 10:30 UTC"),
		"B.Sc. Computer Science, "+msg("programme.semester", 2), "2026-03-01 08:00 UTC", "2025-10-01",
		`<input type="checkbox" id="role-student" name="role" value="student" checked>`,
		`<input type="checkbox" id="role-staff" name="role" value="staff">`,
		`<input type="hidden" name="version" value="7"><input type="hidden" name="action" value="disable">`,
		`<input type="hidden" name="action" value="unlock">`)
	r.lacks(t, `value="enable"`, `class="notice"`, `role="alert">`)

	for _, done := range []string{"roles", "disabled", "enabled", "unlocked"} {
		p.get(cookie, "/admin/users/u1?done="+done).want(t, http.StatusOK, `<p class="notice" role="status">`+msg("admin.done."+done)+"</p>")
	}
	p.get(cookie, "/admin/users/u1?done=other").lacks(t, `class="notice"`)
	p.get(cookie, "/admin/users/nope").want(t, http.StatusNotFound, msg("admin.nouser"))
}

func TestUserActions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		form   url.Values
		call   string
		body   string // JSON, "" for none
		done   string
		status int
	}{
		{"roles", url.Values{"action": {"roles"}, "role": {"staff", "student"}}, "PUT /idp/api/v1/users/u1/roles", `{"roles":["staff","student"]}`, "roles", 200},
		{"no roles", url.Values{"action": {"roles"}}, "PUT /idp/api/v1/users/u1/roles", `{"roles":[]}`, "roles", 200},
		{"disable", url.Values{"action": {"disable"}}, "POST /idp/api/v1/users/u1/disable", "", "disabled", 204},
		{"enable", url.Values{"action": {"enable"}}, "POST /idp/api/v1/users/u1/enable", "", "enabled", 204},
		{"unlock", url.Values{"action": {"unlock"}}, "POST /idp/api/v1/users/u1/unlock", "", "unlocked", 204},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.api.on(tt.call, tt.status, "")
			tt.form.Set("version", "7")
			p.post(p.signIn(admin()), "/admin/users/u1", tt.form).redirects(t, "/admin/users/u1?done="+tt.done)
			req := p.api.only(t, tt.call)
			wantHeader(t, req, "If-Match", `"7"`)
			wantHeader(t, req, "Authorization", "Bearer access-token")
			if tt.body == "" && req.Body != "" {
				t.Errorf("body %q, want none", req.Body)
			} else if tt.body != "" {
				wantJSON(t, req, tt.body)
			}
			if got := p.api.changes(); len(got) != 1 {
				t.Errorf("changes %v", got)
			}
		})
	}
}

func TestUserActionErrors(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*portalTest, string) {
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
		return p, p.signIn(admin())
	}
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/users/u1/disable", 412, `{"detail":"It was changed since you read it."}`)
		r := p.post(cookie, "/admin/users/u1", url.Values{"action": {"disable"}, "version": {"6"}})
		// The page shows the account as it is now, with its current version.
		r.want(t, http.StatusConflict, `<p class="field-error" role="alert">`+msg("admin.stale")+"</p>",
			`<h1>Bob Builder`, `<input type="hidden" name="version" value="7">`)
		wantHeader(t, p.api.only(t, "POST /idp/api/v1/users/u1/disable"), "If-Match", `"6"`)
	})
	t.Run("forbidden by identity", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/users/u1/disable", 403, `{"status":403,"detail":"You cannot disable your own account."}`)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"disable"}, "version": {"7"}}).
			want(t, http.StatusUnprocessableEntity, msg("admin.refused", "You cannot disable your own account."))
	})
	t.Run("roles refused keep the choice", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("PUT /idp/api/v1/users/u1/roles", 409, `{"status":409,"detail":"Refused.","errors":[{"field":"roles","detail":"The last administrator keeps the admin role."}]}`)
		r := p.post(cookie, "/admin/users/u1", url.Values{"action": {"roles"}, "version": {"7"}, "role": {"staff"}})
		r.want(t, http.StatusUnprocessableEntity, msg("admin.refused", "Refused. The last administrator keeps the admin role."),
			`<input type="checkbox" id="role-staff" name="role" value="staff" checked>`,
			`<input type="checkbox" id="role-student" name="role" value="student">`)
	})
	t.Run("unknown action", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"delete"}, "version": {"7"}}).want(t, http.StatusBadRequest, msg("error.badform"))
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/users/u1/enable", 500, `{"detail":"boom"}`)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"enable"}, "version": {"7"}}).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*portalTest, string) {
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		return p, p.signIn(admin())
	}
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		r := p.get(cookie, "/admin/roles")
		r.want(t, http.StatusOK, "<h1>"+msg("admin.roles")+"</h1>", `<th scope="row"><a href="/admin/roles/admin">admin</a> <span class="meta">(`+msg("admin.builtin")+")</span></th><td>Administrators</td>",
			`<span class="code">grades:read</span>, <span class="code">grades:write</span>`, msg("admin.role.add"),
			`<input type="checkbox" id="perm-studies:write" name="permission" value="studies:write">`)
		r.lacks(t, `aria-invalid`, `class="notice"`)
		p.get(cookie, "/admin/roles?added=auditor").want(t, http.StatusOK, msg("admin.role.added", "auditor"))

		reader := admin()
		reader.Scopes = []string{"openid", "users:read"}
		p.get(p.signIn(reader), "/admin/roles").lacks(t, msg("admin.role.add"), `action="/admin/roles"`)
	})
	t.Run("name missing", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		r := p.post(cookie, "/admin/roles", url.Values{"name": {"  "}, "description": {"Reads grades"}, "permission": {"grades:read"}})
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="name-error">`+msg("admin.role.name.missing")+"</p>",
			`name="name" value="" autocomplete="off" aria-invalid="true"`, `name="description" value="Reads grades"`,
			`<input type="checkbox" id="perm-grades:read" name="permission" value="grades:read" checked>`)
		p.api.none(t, "POST /idp/api/v1/roles")
	})
	t.Run("name refused by identity", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/roles", 422, `{"status":422,"errors":[{"field":"name","detail":"Use lower-case letters, digits and hyphens."}]}`)
		p.post(cookie, "/admin/roles", url.Values{"name": {"Bad Name"}, "permission": {"grades:read", "grades:write"}}).want(t, http.StatusUnprocessableEntity,
			`name="name" value="Bad Name" autocomplete="off" aria-invalid="true"`, "Use lower-case letters, digits and hyphens.",
			`value="grades:write" checked>`)
	})
	t.Run("permission refused", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/roles", 403, `{"status":403,"errors":[{"field":"permissions","detail":"You cannot grant studies:write."}]}`)
		p.post(cookie, "/admin/roles", url.Values{"name": {"editor"}, "permission": {"studies:write"}}).want(t, http.StatusUnprocessableEntity,
			`<fieldset aria-describedby="permission-error">`, `<p class="field-error" id="permission-error">You cannot grant studies:write.</p>`)
	})
	t.Run("refused without fields", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/roles", 409, `{"status":409,"detail":"The role exists."}`)
		p.post(cookie, "/admin/roles", url.Values{"name": {"staff"}}).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" role="alert">The role exists.</p>`)
	})
	t.Run("added", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("POST /idp/api/v1/roles", 201, `{"name":"auditor"}`)
		p.post(cookie, "/admin/roles", url.Values{"name": {" auditor "}, "description": {"Reads grades"}, "permission": {"grades:read"}}).
			redirects(t, "/admin/roles?added=auditor")
		req := p.api.only(t, "POST /idp/api/v1/roles")
		wantJSON(t, req, `{"name":"auditor","description":"Reads grades","permissions":["grades:read"]}`)
		wantHeader(t, req, "Authorization", "Bearer access-token")

		p.post(cookie, "/admin/roles", url.Values{"name": {"nobody"}}).redirects(t, "/admin/roles?added=nobody")
		wantJSON(t, p.api.sent("POST /idp/api/v1/roles")[1], `{"name":"nobody","description":"","permissions":[]}`)
	})
}
