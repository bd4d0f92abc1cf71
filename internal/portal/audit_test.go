package portal

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Canned answers of identity's audit API and of its people lookup.
const (
	auditJSON = `{"items":[
		{"id":"e3","at":"2026-03-01T09:30:05Z","action":"roles_changed","outcome":"success","actor":"u9","target":"u1","client_ip":"192.0.2.7","client_id":"campus-portal","detail":"[student] -> [staff]"},
		{"id":"e2","at":"2026-03-01T08:00:00Z","action":"sign_in","outcome":"failure","actor":"","target":"u1","client_ip":"192.0.2.8","client_id":"campus-portal","detail":"wrong password"},
		{"id":"e1","at":"2026-02-28T23:59:00Z","action":"client_added","outcome":"success","actor":"config file","target":"cli","client_id":"cli","detail":"=HYPERLINK(\"http://evil.example\")"}],
		"next_cursor":"e1"}`
	auditPeopleJSON = `{"items":[{"id":"u1","username":"bob","display_name":"Bob Builder"},{"id":"u9","username":"root","display_name":"Root Admin"}]}`
)

// auditAPI sets the answers the audit page reads.
func (p *portalTest) auditAPI() {
	p.api.on("GET /idp/api/v1/audit", 200, auditJSON)
	p.api.on("GET /idp/api/v1/people", 200, auditPeopleJSON)
}

func apiQuery(t *testing.T, r apiRequest) url.Values {
	t.Helper()
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestAuditPage: the events with their people named (one lookup for the
// page), actions and outcomes in words, and the older page's link.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	r := p.get(p.signIn(admin()), "/admin/audit")
	at := time.Date(2026, 3, 1, 9, 30, 5, 0, time.UTC).Local().Format("2006-01-02 15:04:05 MST")
	r.want(t, http.StatusOK, "<h1>"+msg("audit.title")+"</h1>",
		`<time datetime="2026-03-01T09:30:05Z">`+at+`</time>`,
		msg("audit.action.roles_changed")+` <span class="code">roles_changed</span>`,
		`<td>`+msg("audit.outcome.success")+`</td>`, `<td>`+msg("audit.outcome.failure")+`</td>`,
		`<a href="/admin/users/u9">Root Admin</a> <span class="meta">root</span>`,
		`<a href="/admin/users/u1">Bob Builder</a> <span class="meta">bob</span>`,
		`<span class="code">config file</span>`, `<span class="code">cli</span>`, "<td>192.0.2.7</td>", "[student] -&gt; [staff]",
		`<a href="/admin/audit?cursor=e1" rel="next">`+msg("audit.older")+"</a>",
		`<a href="/admin/audit.csv">`+msg("audit.csv")+"</a>",
		`<option value="sign_in">`+msg("audit.action.sign_in")+"</option>")
	r.lacks(t, msg("audit.newest"), "field-error")
	if q := apiQuery(t, p.api.only(t, "GET /idp/api/v1/audit")); !reflect.DeepEqual(q, url.Values{"limit": {"50"}}) {
		t.Errorf("audit query %v", q)
	}
	people := apiQuery(t, p.api.only(t, "GET /idp/api/v1/people"))
	if got := people["id"]; len(got) != 4 { // u9, u1, config file, cli: once each
		t.Errorf("people asked for %v", got)
	}
	p.get(p.signIn(admin()), "/admin").want(t, http.StatusOK, `<a href="/admin/audit">`+msg("audit.title")+"</a>")
}

// TestAuditFilters: the form's values go to identity as its filters (the
// person by id, whole days in the portal's time zone) and stay in the form
// and the links.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	p.api.on("GET /idp/api/v1/people?id=Bob", 200, `{"items":[]}`)
	p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`]}`)
	r := p.get(p.signIn(admin()), "/admin/audit?person=+Bob+&action=sign_in&outcome=failure&from=2026-03-01&until=2026-03-02&cursor=c7")
	r.want(t, http.StatusOK, `value="Bob"`, `value="sign_in"`, `<option value="failure" selected>`,
		`type="date" id="from" name="from" value="2026-03-01"`, `type="date" id="until" name="until" value="2026-03-02"`,
		msg("audit.person.found")+` <a href="/admin/users/u1">Bob Builder</a>`,
		`<a href="/admin/audit?action=sign_in&amp;from=2026-03-01&amp;outcome=failure&amp;person=Bob&amp;until=2026-03-02">`+msg("audit.newest")+"</a>",
		`<a href="/admin/audit?action=sign_in&amp;cursor=e1&amp;from=2026-03-01&amp;outcome=failure&amp;person=Bob&amp;until=2026-03-02" rel="next">`,
		`<a href="/admin/audit.csv?action=sign_in&amp;from=2026-03-01&amp;outcome=failure&amp;person=Bob&amp;until=2026-03-02">`)
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.Local).UTC().Format(time.RFC3339)
	until := time.Date(2026, 3, 3, 0, 0, 0, 0, time.Local).UTC().Format(time.RFC3339)
	want := url.Values{"person": {"u1"}, "action": {"sign_in"}, "outcome": {"failure"}, "since": {since}, "until": {until},
		"cursor": {"c7"}, "limit": {"50"}}
	if q := apiQuery(t, p.api.only(t, "GET /idp/api/v1/audit")); !reflect.DeepEqual(q, want) {
		t.Errorf("audit query %v, want %v", q, want)
	}
	if q := apiQuery(t, p.api.only(t, "GET /idp/api/v1/users")); q.Get("q") != "Bob" {
		t.Errorf("users query %v", q)
	}

	t.Run("an id that is no account's", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.auditAPI()
		p.api.on("GET /idp/api/v1/users", 200, `{"items":[]}`)
		p.get(p.signIn(admin()), "/admin/audit?person=a%26b%3Dc").want(t, http.StatusOK, msg("audit.person.notfound", "a&b=c"))
		if q := apiQuery(t, p.api.only(t, "GET /idp/api/v1/audit")); q.Get("person") != "a&b=c" || len(q) != 2 {
			t.Errorf("audit query %v", q)
		}
	})
	t.Run("an account's id, from its page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.auditAPI()
		p.get(p.signIn(admin()), "/admin/audit?person=u1").want(t, http.StatusOK, msg("audit.person.found"))
		p.api.none(t, "GET /idp/api/v1/users")
		if q := apiQuery(t, p.api.only(t, "GET /idp/api/v1/audit")); q.Get("person") != "u1" {
			t.Errorf("audit query %v", q)
		}
		p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
		p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
		p.get(p.signIn(admin()), "/admin/users/u1").want(t, http.StatusOK, `<a href="/admin/audit?person=u1">`+msg("audit.of.person")+"</a>")
	})
	t.Run("nothing matches", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/audit", 200, `{"items":[]}`)
		r := p.get(p.signIn(admin()), "/admin/audit?action=lock")
		r.want(t, http.StatusOK, msg("audit.none"))
		r.lacks(t, "audit.csv", `rel="next"`)
		p.api.none(t, "GET /idp/api/v1/people")
	})
}

// TestAuditInvalidFilters: a value the portal cannot use is marked in the
// form, kept as typed, and nothing is asked of identity.
func TestAuditInvalidFilters(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	cookie := p.signIn(admin())
	r := p.get(cookie, "/admin/audit?from=2026-13-01&until=1.3.2026&outcome=maybe&action=DROP+TABLE")
	r.want(t, http.StatusUnprocessableEntity, `type="text" id="from" name="from" value="2026-13-01" aria-invalid="true"`,
		`value="1.3.2026"`, `<option value="maybe" selected>maybe</option>`, `value="DROP TABLE"`,
		msg("audit.date.bad"), msg("audit.outcome.bad"), msg("audit.action.bad"))
	p.get(cookie, "/admin/audit?from=2026-03-02&until=2026-03-01").want(t, http.StatusUnprocessableEntity, msg("audit.date.order"))
	p.get(cookie, "/admin/audit.csv?from=yesterday").want(t, http.StatusUnprocessableEntity, msg("audit.date.bad"))
	p.api.none(t, "GET /idp/api/v1/audit")

	// A cursor identity does not take.
	p.api.on("GET /idp/api/v1/audit", 400, `{"status":400,"detail":"bad","errors":[{"field":"cursor","detail":"is not a cursor"}]}`)
	p.get(cookie, "/admin/audit?cursor=zzz&action=lock").want(t, http.StatusUnprocessableEntity, msg("audit.badquery"), `value="lock"`)
}

// TestAuditCSV: the selection as a file, page after page through the
// API's cursor, names beside ids, every cell safe for spreadsheets.
func TestAuditCSV(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	p.api.on("GET /idp/api/v1/audit?action=sign_in&cursor=e1&limit=500", 200,
		`{"items":[{"id":"e0","at":"2026-02-27T12:00:00+01:00","action":"sign_in","outcome":"denied","actor":"u1","target":"u1","detail":"@SUM(1+1)"}]}`)
	r := p.get(p.signIn(admin()), "/admin/audit.csv?action=sign_in&cursor=ignored")
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	for name, want := range map[string]string{"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
		"Content-Disposition": `attachment; filename="campus-audit-` + testNow.Local().Format("20060102") + `.csv"`} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, r.body)
	}
	want := [][]string{
		{"id", "time_utc", "action", "outcome", "actor", "actor_username", "actor_name", "target", "target_username", "target_name", "client_ip", "client_id", "detail"},
		{"e3", "2026-03-01T09:30:05Z", "roles_changed", "success", "u9", "root", "Root Admin", "u1", "bob", "Bob Builder", "192.0.2.7", "campus-portal", "[student] -> [staff]"},
		{"e2", "2026-03-01T08:00:00Z", "sign_in", "failure", "", "", "", "u1", "bob", "Bob Builder", "192.0.2.8", "campus-portal", "wrong password"},
		{"e1", "2026-02-28T23:59:00Z", "client_added", "success", "config file", "", "", "cli", "", "", "", "cli", `'=HYPERLINK("http://evil.example")`},
		{"e0", "2026-02-27T11:00:00Z", "sign_in", "denied", "u1", "bob", "Bob Builder", "u1", "bob", "Bob Builder", "", "", "'@SUM(1+1)"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("CSV\n%v\nwant\n%v", rows, want)
	}
	sent := p.api.sent("GET /idp/api/v1/audit")
	if len(sent) != 2 || sent[0].Query != "action=sign_in&limit=500" || sent[1].Query != "action=sign_in&cursor=e1&limit=500" {
		t.Errorf("audit pages asked for: %v", sent)
	}
	// u1 and u9 were named with the first page; the second asks for none.
	if n := len(p.api.sent("GET /idp/api/v1/people")); n != 1 {
		t.Errorf("people asked %d times", n)
	}

	t.Run("identity fails before the file starts", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/audit", 503, `{"detail":"down"}`)
		r := p.get(p.signIn(admin()), "/admin/audit.csv")
		if r.code != http.StatusServiceUnavailable || strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Errorf("%d %s", r.code, r.header.Get("Content-Type"))
		}
	})
	t.Run("identity fails in the middle", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.auditAPI()
		p.api.on("GET /idp/api/v1/audit?cursor=e1&limit=500", 500, `{"detail":"boom"}`)
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("the export ended with %v, not a cut connection", v)
			}
		}()
		p.get(p.signIn(admin()), "/admin/audit.csv")
	})
}

// TestAuditNeedsAdministrator: a student or a lecturer gets 403 and
// identity is not asked.
func TestAuditNeedsAdministrator(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	for _, who := range []tokens{student(), staff()} {
		cookie := p.signIn(who)
		for _, target := range []string{"/admin/audit", "/admin/audit?person=u1", "/admin/audit.csv"} {
			r := p.get(cookie, target)
			r.want(t, http.StatusForbidden, msg("admin.forbidden"))
			r.lacks(t, "Bob Builder")
		}
	}
	p.get("", "/admin/audit.csv").lacks(t, "roles_changed")
	p.api.mu.Lock()
	defer p.api.mu.Unlock()
	if len(p.api.reqs) != 0 {
		t.Errorf("a non-administrator's request reached the API: %v", p.api.reqs)
	}
}

// TestAuditGerman: the page, its mistakes included, in German.
func TestAuditGerman(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.auditAPI()
	p.api.on("GET /idp/api/v1/users", 200, `{"items":[]}`)
	c := newGermanCheck([]string{auditJSON, auditPeopleJSON}, "Root Admin", "nobody")
	cookie := p.signIn(admin())
	for _, tc := range []struct {
		target string
		status int
		wants  []string
	}{
		{"/admin/audit", http.StatusOK, []string{"<h1>Protokoll</h1>", "Rollen eines Kontos geändert", "fehlgeschlagen", "Ältere Ereignisse"}},
		{"/admin/audit?person=nobody&cursor=c1", http.StatusOK, []string{"Kein Konto hat", "Neueste Ereignisse"}},
		{"/admin/audit?from=gestern&outcome=vielleicht", http.StatusUnprocessableEntity, []string{T(German, "audit.date.bad")}},
		{"/admin", http.StatusOK, []string{"Protokoll"}},
	} {
		r := p.germanGet(cookie, tc.target)
		r.want(t, tc.status, tc.wants...)
		for _, problem := range c.problems(r.body) {
			t.Errorf("%s: %s", tc.target, problem)
		}
	}
}

func TestGroupDigits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		lang Lang
		want string
	}{{100_000, English, "100,000"}, {100_000, German, "100.000"}, {1_234_567, English, "1,234,567"}, {999, German, "999"}, {1000, English, "1,000"}} {
		if got := groupDigits(tc.n, tc.lang); got != tc.want {
			t.Errorf("groupDigits(%d, %s) = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}
