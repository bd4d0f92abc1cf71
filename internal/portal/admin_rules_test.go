package portal

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	windowUserJSON = `{"id":"u1","username":"bob","email":"bob@uni.example","email_verified":true,"display_name":"Bob Builder",
		"status":"active","roles":["student"],"created_at":"2025-10-01T00:00:00Z","version":7,
		"login_window":{"earliest":"08:00","latest":"18:00","last_date":"2027-03-31"}}`
	examsRoleJSON = `{"name":"exams","description":"Exam office","builtin":false,"permissions":["grades:read"],
		"allowed_clients":["campus-portal","gone-app"],"login_window":{"earliest":"07:30","latest":"19:00","first_date":"2026-10-01"},"version":4}`
	clientsJSON = `{"items":[{"id":"campus-portal","name":"campus"},{"id":"moodle","name":"Moodle"}]}`
)

// TestUserLoginWindow: the user page shows the account's login window and
// lets an administrator set or remove it, against the page's version;
// mistakes are shown beside their fields with the input kept, and nothing
// is sent; identity's refusal is shown too.
func TestUserLoginWindow(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*portalTest, string) {
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users/u1", 200, windowUserJSON)
		return p, p.signIn(admin())
	}
	t.Run("shown", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.get(cookie, "/admin/users/u1").want(t, http.StatusOK, "<h2 id=\"window-h\">"+msg("admin.window")+"</h2>",
			html.EscapeString(msg("admin.window.daily", "08:00", "18:00")+", "+msg("admin.window.until", "2027-03-31")),
			`<input type="time" id="earliest" name="earliest" value="08:00" autocomplete="off">`,
			`<input type="date" id="last_date" name="last_date" value="2027-03-31" autocomplete="off">`,
			`<input type="hidden" name="action" value="window">`)
		p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
		p.get(cookie, "/admin/users/u1").want(t, http.StatusOK, msg("admin.window.none"), `<input type="time" id="earliest" name="earliest" value="" autocomplete="off">`)
		p.get(cookie, "/admin/users/u1?done=window").want(t, http.StatusOK, msg("admin.done.window"))
	})
	t.Run("set and remove", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("PATCH /idp/api/v1/users/u1", 200, windowUserJSON)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"window"}, "version": {"7"}, "earliest": {"22:00"}, "latest": {"06:00"},
			"first_date": {"2026-10-01"}, "last_date": {""}}).redirects(t, "/admin/users/u1?done=window")
		req := p.api.sent("PATCH /idp/api/v1/users/u1")[0]
		wantHeader(t, req, "If-Match", `"7"`)
		wantJSON(t, req, `{"login_window":{"earliest":"22:00","latest":"06:00","first_date":"2026-10-01"}}`)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"window"}, "version": {"7"}}).redirects(t, "/admin/users/u1?done=window")
		wantJSON(t, p.api.sent("PATCH /idp/api/v1/users/u1")[1], `{"login_window":null}`)
	})
	t.Run("mistakes beside the fields", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		r := p.post(cookie, "/admin/users/u1", url.Values{"action": {"window"}, "version": {"7"}, "earliest": {"8 Uhr"}, "latest": {""},
			"first_date": {"2027-04-01"}, "last_date": {"2027-03-31"}})
		r.want(t, http.StatusUnprocessableEntity,
			`value="8 Uhr" autocomplete="off" aria-invalid="true" aria-describedby="earliest-error">`,
			`<p class="field-error" id="earliest-error">`+msg("admin.window.badtime")+`</p>`,
			`<p class="field-error" id="latest-error">`+msg("admin.window.needtime")+`</p>`,
			`<p class="field-error" id="last_date-error">`+msg("admin.window.order")+`</p>`,
			`value="2027-04-01"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Fatalf("sent %v", got)
		}
		p.api.on("PATCH /idp/api/v1/users/u1", 403, `{"status":403,"detail":"You cannot change your own login window."}`)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"window"}, "version": {"7"}, "earliest": {"08:00"}, "latest": {"17:00"}}).
			want(t, http.StatusUnprocessableEntity, "You cannot change your own login window.", `value="17:00"`)
		p.api.on("PATCH /idp/api/v1/users/u1", 412, `{"status":412}`)
		p.post(cookie, "/admin/users/u1", url.Values{"action": {"window"}, "version": {"6"}, "earliest": {"08:00"}, "latest": {"17:00"}}).
			want(t, http.StatusConflict, msg("admin.stale"), `value="18:00"`, `<input type="hidden" name="version" value="7">`)
	})
}

// TestRoleRules: a role's page shows and changes its allowed applications
// (chosen from identity's registered applications) and its login window,
// against the role's version; errors keep the input.
func TestRoleRules(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*portalTest, string) {
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/roles/exams", 200, examsRoleJSON)
		p.api.on("GET /idp/api/v1/clients", 200, clientsJSON)
		return p, p.signIn(admin())
	}
	t.Run("shown", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.get(cookie, "/admin/roles/exams").want(t, http.StatusOK, "<h1>"+msg("admin.role.edit.title", "exams")+"</h1>",
			`<input type="checkbox" id="app-campus-portal" name="app" value="campus-portal" checked>`,
			`<input type="checkbox" id="app-moodle" name="app" value="moodle">`,
			`<input type="checkbox" id="app-gone-app" name="app" value="gone-app" checked>`, msg("admin.role.apps.unknown"),
			`<input type="time" id="earliest" name="earliest" value="07:30" autocomplete="off">`,
			`<input type="hidden" name="version" value="4">`, msg("admin.role.save"))
		p.api.on("GET /idp/api/v1/roles", 200, `{"items":[`+examsRoleJSON+`]}`)
		p.get(cookie, "/admin/roles").want(t, http.StatusOK, `<a href="/admin/roles/exams">exams</a>`,
			`<span class="code">campus-portal</span>, <span class="code">gone-app</span>`,
			html.EscapeString(msg("admin.window.daily", "07:30", "19:00")+", "+msg("admin.window.from", "2026-10-01")))
		// Reading without roles:write: no form.
		reader := admin()
		reader.Scopes = []string{"openid", "users:read"}
		p.get(p.signIn(reader), "/admin/roles/exams").lacks(t, `name="app"`, msg("admin.role.save"))
		p.post(p.signIn(reader), "/admin/roles/exams", url.Values{"version": {"4"}}).want(t, http.StatusForbidden)
		p.api.on("GET /idp/api/v1/roles/nope", 404, `{"status":404}`)
		p.get(cookie, "/admin/roles/nope").want(t, http.StatusNotFound, msg("admin.role.none"))
		// An event's own role: marked, pointing at its event, no form.
		eventRole := strings.Replace(examsRoleJSON, `"name":"exams"`, `"name":"event-0123456789ab","event":"ev-7"`, 1)
		p.api.on("GET /idp/api/v1/roles/event-0123456789ab", 200, eventRole)
		page := p.get(cookie, "/admin/roles/event-0123456789ab")
		page.want(t, http.StatusOK, msg("events.ownrole.about"), `<a href="/admin/events/ev-7">`+msg("events.ownrole.link")+`</a>`)
		page.lacks(t, `name="app"`, msg("admin.role.save"))
		p.api.on("GET /idp/api/v1/roles", 200, `{"items":[`+eventRole+`]}`)
		p.get(cookie, "/admin/roles").want(t, http.StatusOK, "("+msg("events.ownrole.of")+")")
	})
	t.Run("save", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		p.api.on("PATCH /idp/api/v1/roles/exams", 200, examsRoleJSON)
		p.post(cookie, "/admin/roles/exams", url.Values{"version": {"4"}, "app": {"moodle"}, "earliest": {"07:00"}, "latest": {"20:00"}}).
			redirects(t, "/admin/roles/exams?saved=1")
		req := p.api.sent("PATCH /idp/api/v1/roles/exams")[0]
		wantHeader(t, req, "If-Match", `"4"`)
		wantJSON(t, req, `{"allowed_clients":["moodle"],"login_window":{"earliest":"07:00","latest":"20:00"}}`)
		p.post(cookie, "/admin/roles/exams", url.Values{"version": {"4"}}).redirects(t, "/admin/roles/exams?saved=1")
		wantJSON(t, p.api.sent("PATCH /idp/api/v1/roles/exams")[1], `{"allowed_clients":[],"login_window":null}`)
		p.get(cookie, "/admin/roles/exams?saved=1").want(t, http.StatusOK, msg("admin.role.saved", "exams"))
	})
	t.Run("errors keep the input", func(t *testing.T) {
		t.Parallel()
		p, cookie := setup(t)
		r := p.post(cookie, "/admin/roles/exams", url.Values{"version": {"4"}, "app": {"moodle"}, "earliest": {"25:00"}, "latest": {"20:00"}})
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="earliest-error">`+msg("admin.window.badtime")+`</p>`,
			`value="25:00"`, `<input type="checkbox" id="app-moodle" name="app" value="moodle" checked>`,
			`<input type="checkbox" id="app-campus-portal" name="app" value="campus-portal">`)
		if got := p.api.changes(); len(got) != 0 {
			t.Fatalf("sent %v", got)
		}
		p.api.on("PATCH /idp/api/v1/roles/exams", 422, `{"status":422,"detail":"Some fields are not right; see errors.","errors":[{"field":"allowed_clients[0]","detail":"there is no application \"x\""}]}`)
		p.post(cookie, "/admin/roles/exams", url.Values{"version": {"4"}, "app": {"x"}, "earliest": {"07:00"}, "latest": {"20:00"}}).
			want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="apps-error">there is no application &#34;x&#34;</p>`,
				`<input type="checkbox" id="app-x" name="app" value="x" checked>`, `value="20:00"`)
		p.api.on("PATCH /idp/api/v1/roles/exams", 412, `{"status":412}`)
		p.post(cookie, "/admin/roles/exams", url.Values{"version": {"3"}, "earliest": {"07:00"}, "latest": {"20:00"}}).
			want(t, http.StatusConflict, msg("admin.role.stale"), `value="07:30"`)
	})
}
