package portal

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Canned answers of identity's events API.
const (
	eventsJSON = `{"items":[
		{"id":"ev-3","name":"Student council election","description":"Vote for the council.","window":{"earliest":"08:00","latest":"18:00","first_date":"2026-12-10","last_date":"2026-12-11"},
		 "applications":["campus-portal","moodle"],"role":"voters","own_role":"event-ev-3","username_prefix":"vote","pin_length":8,"afterwards":"delete",
		 "accounts":0,"generated_at":null,"ended_at":null,"created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:00:00Z","version":1},
		{"id":"ev-2","name":"Maths exam","description":"","window":{"earliest":"09:00","latest":"12:00","first_date":"2026-03-02","last_date":"2026-03-02"},
		 "applications":[],"role":"","own_role":"event-ev-2","username_prefix":"","pin_length":6,"afterwards":"disable",
		 "accounts":120,"generated_at":"2026-03-01T15:00:00Z","ended_at":null,"created_at":"2026-02-20T09:00:00Z","updated_at":"2026-03-01T15:00:00Z","version":3},
		{"id":"ev-1","name":"Open day","description":"","window":{"earliest":"10:00","latest":"16:00","first_date":"2026-02-01","last_date":"2026-02-01"},
		 "applications":["gone-app"],"role":"","own_role":"event-ev-1","username_prefix":"","pin_length":8,"afterwards":"delete",
		 "accounts":40,"generated_at":"2026-01-30T15:00:00Z","ended_at":"2026-02-01T16:00:00Z","created_at":"2026-01-20T09:00:00Z","updated_at":"2026-02-01T16:00:00Z","version":5}]}`
	eventJSON = `{"id":"ev-3","name":"Student council election","description":"Vote for the council.","window":{"earliest":"08:00","latest":"18:00","first_date":"2026-12-10","last_date":"2026-12-11"},
		 "applications":["campus-portal","moodle"],"role":"voters","own_role":"event-ev-3","username_prefix":"vote","pin_length":8,"afterwards":"delete",
		 "accounts":12,"generated_at":"2026-03-01T15:00:00Z","ended_at":null,"created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:00:00Z","version":2}`
	endedEventJSON = `{"id":"ev-1","name":"Open day","description":"","window":{"earliest":"10:00","latest":"16:00","first_date":"2026-02-01","last_date":"2026-02-01"},
		 "applications":[],"role":"","own_role":"event-ev-1","username_prefix":"","pin_length":8,"afterwards":"delete",
		 "accounts":40,"generated_at":"2026-01-30T15:00:00Z","ended_at":"2026-02-01T16:00:00Z","created_at":"2026-01-20T09:00:00Z","updated_at":"2026-02-01T16:00:00Z","version":5}`
	eventRolesJSON = `{"items":[
		{"name":"admin","description":"Administrators","builtin":true,"permissions":["users:read"],"version":1},
		{"name":"event-ev-2","description":"Event Maths exam","builtin":false,"permissions":[],"version":1},
		{"name":"voters","description":"May vote","builtin":false,"permissions":[],"version":1},
		{"name":"student","description":"Students","builtin":true,"permissions":[],"version":1}]}`
	batchJSON = `{"event":` + eventJSON + `,"sign_in_url":"https://campus.example/","accounts":[
		{"id":"a1","username":"vote7kq2mxpa","pin":"40917352","label":""},
		{"id":"a2","username":"vote9tz4hbwe","pin":"88120476","label":""}]}`
	labelledBatchJSON = `{"event":` + eventJSON + `,"sign_in_url":"https://campus.example/","accounts":[
		{"id":"a1","username":"vote7kq2mxpa","pin":"40917352","label":"Room 1"},
		{"id":"a2","username":"vote9tz4hbwe","pin":"88120476","label":"Room <2>"}]}`
)

// eventsAPI sets the answers the events pages read.
func (p *portalTest) eventsAPI() {
	p.api.on("GET /idp/api/v1/events", 200, eventsJSON)
	p.api.on("GET /idp/api/v1/events/ev-3", 200, eventJSON)
	p.api.on("GET /idp/api/v1/events/ev-1", 200, endedEventJSON)
	p.api.on("GET /idp/api/v1/clients", 200, clientsJSON)
	p.api.on("GET /idp/api/v1/roles", 200, eventRolesJSON)
}

// eventForm is a create form as a browser sends it, with kv changed.
func eventFormValues(kv ...string) url.Values {
	f := url.Values{"name": {" Student council election "}, "description": {"Vote for the council."},
		"first_date": {"2026-12-10"}, "last_date": {"2026-12-11"}, "earliest": {"08:00"}, "latest": {"18:00"},
		"application": {"campus-portal", "moodle"}, "role": {"voters"}, "username_prefix": {"vote"}, "pin_length": {"8"}, "afterwards": {"delete"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// TestEventsList: the events with their days, applications (by name),
// batch and state, and the form to create one, its applications and roles
// from identity (without admin and the events' own roles).
func TestEventsList(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	cookie := p.signIn(admin())
	r := p.get(cookie, "/admin/events")
	r.want(t, http.StatusOK, "<h1>"+msg("events.title")+"</h1>",
		`<th scope="row"><a href="/admin/events/ev-3">Student council election</a></th>`,
		"<td>"+html.EscapeString(msg("events.days", "2026-12-10", "2026-12-11")+", "+T(English, "admin.window.daily", "08:00", "18:00"))+"</td>",
		"<td>2026-03-02, "+html.EscapeString(T(English, "admin.window.daily", "09:00", "12:00"))+"</td>",
		`campus <span class="code">campus-portal</span>, Moodle <span class="code">moodle</span>`,
		`<td>`+msg("admin.role.apps.any")+`</td>`, `<span class="code">gone-app</span>`,
		"<td>120</td>", `<time datetime="2026-03-01T15:00:00Z">`, "<td>"+msg("events.generated.never")+"</td>",
		"<td>"+msg("events.state.upcoming")+"</td>", "<td>"+msg("events.state.running")+"</td>", "<td>"+msg("events.state.ended")+"</td>",
		`<h2 id="create-h">`+msg("events.create")+"</h2>",
		`<form method="post" action="/admin/events" class="stack wide" aria-labelledby="create-h" novalidate>`,
		`<label for="name">`+msg("events.name")+`</label>`,
		`<input type="date" id="first_date" name="first_date" value="" autocomplete="off">`,
		`<input type="time" id="earliest" name="earliest" value="08:00" autocomplete="off">`,
		`<legend>`+msg("events.apps")+`</legend>`,
		`<input type="checkbox" id="app-moodle" name="application" value="moodle">`,
		`<option value="voters">voters</option>`, `<option value="student">student</option>`,
		`<input type="number" id="pin_length" name="pin_length" value="8" autocomplete="off">`,
		`<input type="radio" id="afterwards-delete" name="afterwards" value="delete" checked>`,
		`<a href="/admin">`+msg("admin.title")+`</a>`)
	r.lacks(t, `<option value="admin">`, `<option value="event-ev-2">`, "field-error", "<script")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	p.get(cookie, "/admin").want(t, http.StatusOK, `<a href="/admin/events">`+msg("events.title")+"</a>")

	t.Run("no events yet", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		p.api.on("GET /idp/api/v1/events", 200, `{"items":[]}`)
		r := p.get(p.signIn(admin()), "/admin/events")
		r.want(t, http.StatusOK, msg("events.none.yet"), msg("events.create"))
		r.lacks(t, "<table")
	})
	t.Run("identity cannot be reached", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/events", 503, ``)
		p.get(p.signIn(admin()), "/admin/events").want(t, http.StatusServiceUnavailable, msg("error.identity.down"))
	})
}

// TestEventsCreate: the form goes to identity as its JSON, and the new
// event's page follows.
func TestEventsCreate(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	p.api.on("POST /idp/api/v1/events", 201, eventJSON)
	cookie := p.signIn(admin())
	p.post(cookie, "/admin/events", eventFormValues()).redirects(t, "/admin/events/ev-3?done=created")
	req := p.api.only(t, "POST /idp/api/v1/events")
	wantJSON(t, req, `{"name":"Student council election","description":"Vote for the council.",
		"window":{"earliest":"08:00","latest":"18:00","first_date":"2026-12-10","last_date":"2026-12-11"},
		"applications":["campus-portal","moodle"],"role":"voters","username_prefix":"vote","pin_length":8,"afterwards":"delete"}`)
	wantHeader(t, req, "Authorization", "Bearer access-token")
	p.get(cookie, "/admin/events/ev-3?done=created").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("events.done.created")+"</p>")

	// No application chosen: any; no role, no prefix; disabled afterwards.
	f := eventFormValues("role", "", "username_prefix", "", "pin_length", "12", "afterwards", "disable")
	f.Del("application")
	p.post(cookie, "/admin/events", f).redirects(t, "/admin/events/ev-3?done=created")
	wantJSON(t, p.api.sent("POST /idp/api/v1/events")[1], `{"name":"Student council election","description":"Vote for the council.",
		"window":{"earliest":"08:00","latest":"18:00","first_date":"2026-12-10","last_date":"2026-12-11"},
		"applications":[],"role":"","username_prefix":"","pin_length":12,"afterwards":"disable"}`)
}

// TestEventsCreateMistakes: what the portal finds is marked beside its
// field and in a list at the top, with the input kept, and nothing is
// sent; what identity finds (422, in the page's language) alike.
func TestEventsCreateMistakes(t *testing.T) {
	t.Parallel()
	t.Run("found by the portal", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		r := p.post(p.signIn(admin()), "/admin/events", eventFormValues("name", " ", "last_date", "", "earliest", "8 Uhr", "latest", "", "pin_length", "20", "afterwards", "keep"))
		r.want(t, http.StatusUnprocessableEntity,
			`<div class="problems" role="alert">`, `<li><a href="#name">`+msg("events.name.missing")+`</a></li>`,
			`<li><a href="#last_date">`+msg("events.date.missing")+`</a></li>`,
			`<li><a href="#earliest">`+msg("admin.window.badtime")+`</a></li>`,
			`<li><a href="#latest">`+msg("admin.window.badtime")+`</a></li>`,
			`<li><a href="#pin_length">`+msg("events.pin.bad")+`</a></li>`,
			`<li><a href="#afterwards-delete">`+msg("events.afterwards.bad")+`</a></li>`,
			`<input type="text" id="name" name="name" value="" autocomplete="off" aria-invalid="true" aria-describedby="name-error">`,
			`<p class="field-error" id="pin_length-error">`+msg("events.pin.bad")+`</p>`,
			`<input type="text" id="earliest" name="earliest" value="8 Uhr"`, `value="20"`, `>Vote for the council.</textarea>`, `value="2026-12-10"`,
			`<input type="checkbox" id="app-moodle" name="application" value="moodle" checked>`,
			`<option value="voters" selected>voters</option>`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("found by identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		p.api.on("POST /idp/api/v1/events", 422, `{"status":422,"detail":"Some fields are not right; see errors.","errors":[
			{"field":"username_prefix","detail":"The prefix may have 1 to 16 lower-case letters."},
			{"field":"applications[1]","detail":"there is no application \"moodle\""},
			{"field":"window","detail":"The last date is before the first."},
			{"field":"role","detail":"An event's accounts cannot have this role."},
			{"field":"something","detail":"Something else."}]}`)
		r := p.post(p.signIn(admin()), "/admin/events", eventFormValues("username_prefix", "Vote!"))
		r.want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" id="username_prefix-error">The prefix may have 1 to 16 lower-case letters.</p>`,
			`value="Vote!" autocomplete="off" aria-invalid="true"`,
			`<fieldset id="applications" aria-describedby="applications-error">`,
			`<p class="field-error" id="applications-error">there is no application &#34;moodle&#34;</p>`,
			`<p class="field-error" id="window-error">The last date is before the first.</p>`,
			`<li><a href="#first_date">The last date is before the first.</a></li>`,
			`<p class="field-error" id="role-error">An event&#39;s accounts cannot have this role.</p>`,
			`<p class="field-error">Something else.</p>`,
			`value="Student council election"`, `<input type="checkbox" id="app-campus-portal" name="application" value="campus-portal" checked>`)
		wantHeader(t, p.api.only(t, "POST /idp/api/v1/events"), "Accept-Language", "en")
	})
}

// TestEventPage: the event's settings, the form for a new batch with its
// warning and its script, and the end.
func TestEventPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	cookie := p.signIn(admin())
	r := p.get(cookie, "/admin/events/ev-3")
	r.want(t, http.StatusOK, "<title>Student council election · campus</title>", "<h1>Student council election</h1>",
		"<p>Vote for the council.</p>", "<dd>"+msg("events.state.upcoming")+"</dd>",
		`<span class="code">event-ev-3</span>, <span class="code">voters</span>`, `<span class="code">vote</span>`,
		msg("events.pin.digits", 8), msg("events.afterwards.delete"), "<dd>12</dd>",
		msg("events.generate.replaces", 12), msg("events.generate.once"),
		`<form method="post" action="/admin/events/ev-3/accounts" class="stack wide" id="generate"`,
		`data-making="`+msg("events.making", "{n}")+`"`, `data-cookie="/admin/events/"`,
		`<input type="number" id="count" name="count" value="" autocomplete="off">`,
		`<textarea id="labels" name="labels" rows="6" aria-describedby="labels-help">`,
		`<input type="radio" id="format-show" name="format" value="show" checked>`,
		`<input type="radio" id="format-pdf" name="format" value="pdf">`,
		`<progress id="generate-progress" hidden aria-labelledby="generate-status"></progress>`,
		`<form method="post" action="/admin/events/ev-3/end"`,
		`<input type="checkbox" id="confirm" name="confirm" value="yes">`, msg("events.end.confirm.delete", 12),
		`<script src="/static/events.js" defer></script>`)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "connect-src") {
		t.Errorf("CSP %q", csp)
	}
	if n := strings.Count(r.body, "<script"); n != 1 {
		t.Errorf("%d scripts on the page", n)
	}
	if got := p.get(cookie, "/static/events.js"); got.code != http.StatusOK || !strings.Contains(got.body, "generate-progress") {
		t.Errorf("the script: %d", got.code)
	}

	t.Run("ended", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		r := p.get(p.signIn(admin()), "/admin/events/ev-1")
		r.want(t, http.StatusOK, msg("events.ended.about"), "<dd>"+msg("events.state.ended"))
		r.lacks(t, `id="generate"`, "/end")
	})
	t.Run("no such event", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		p.get(p.signIn(admin()), "/admin/events/nope").want(t, http.StatusNotFound, msg("events.none"))
	})
}

// TestGenerateShown: a batch shown on a page, never cached, with the
// names when there are any.
func TestGenerateShown(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 201, batchJSON)
	cookie := p.signIn(admin())
	r := p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"count": {" 2 "}, "labels": {"\r\n  \r\n"}, "format": {"show"}})
	r.want(t, http.StatusOK, "<h1>"+msg("events.accounts.of", "Student council election")+"</h1>",
		msg("events.accounts.made", "2"), msg("events.accounts.once"),
		`<tr><th scope="row" class="code">vote7kq2mxpa</th><td class="code">40917352</td></tr>`,
		`<tr><th scope="row" class="code">vote9tz4hbwe</th><td class="code">88120476</td></tr>`,
		`<dd class="code">https://campus.example/</dd>`,
		`<button type="button" id="print" class="secondary" hidden>`+msg("events.print")+`</button>`,
		`<script src="/static/events.js" defer></script>`)
	r.lacks(t, msg("events.label"))
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	req := p.api.only(t, "POST /idp/api/v1/events/ev-3/accounts")
	wantJSON(t, req, `{"count":2}`)
	wantHeader(t, req, "Accept", "application/json")

	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 201, labelledBatchJSON)
	r = p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"count": {""}, "labels": {"Room 1\r\n\r\n  Room <2>  \r\n"}, "format": {"show"}})
	r.want(t, http.StatusOK, `<th scope="col">`+msg("events.label")+`</th>`,
		`<tr><th scope="row">Room &lt;2&gt;</th><td class="code">vote9tz4hbwe</td><td class="code">88120476</td></tr>`)
	wantJSON(t, p.api.sent("POST /idp/api/v1/events/ev-3/accounts")[1], `{"labels":["Room 1","Room <2>"]}`)
}

// TestGenerateFiles: CSV and PDF are identity's files passed on as they
// came, never cached; the PDF's letters are in the page's language.
func TestGenerateFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format, accept, contentType, name, body string
	}{
		{"csv", "text/csv", "text/csv; charset=utf-8", "student-council-election-accounts.csv", "username,pin,label,event,sign_in_url\nvote7kq2mxpa,40917352,,x,y\n"},
		{"pdf", "application/pdf", "application/pdf", "student-council-election-accounts.pdf", "%PDF-1.7\n\x00\x01binary\n%%EOF\n"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.eventsAPI()
			disposition := `attachment; filename="` + tc.name + `"`
			p.api.onRaw("POST /idp/api/v1/events/ev-3/accounts", 201, http.Header{"Content-Type": {tc.contentType},
				"Content-Disposition": {disposition}, "Cache-Control": {"no-store"}}, tc.body)
			form := url.Values{"count": {"1"}, "format": {tc.format}, "download": {"0123456789abcdef"}}
			req := httptest.NewRequest(http.MethodPost, "/admin/events/ev-3/accounts", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
			r := p.do(p.signIn(admin()), req)
			if r.code != http.StatusOK || r.body != tc.body {
				t.Fatalf("%d %q", r.code, r.body)
			}
			for name, want := range map[string]string{"Content-Type": tc.contentType, "Content-Disposition": disposition,
				"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
				if got := r.header.Get(name); got != want {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
			if got := r.header.Get("Set-Cookie"); !strings.HasPrefix(got, downloadCookie+"=0123456789abcdef; Path=/admin/events/;") || strings.Contains(got, "HttpOnly") {
				t.Errorf("Set-Cookie %q", got)
			}
			sent := p.api.only(t, "POST /idp/api/v1/events/ev-3/accounts")
			wantHeader(t, sent, "Accept", tc.accept)
			wantHeader(t, sent, "Accept-Language", "de")
			wantJSON(t, sent, `{"count":1}`)
		})
	}
	t.Run("not the file asked for", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		p.api.onRaw("POST /idp/api/v1/events/ev-3/accounts", 201, http.Header{"Content-Type": {"text/html"}}, "<p>hello</p>")
		r := p.post(p.signIn(admin()), "/admin/events/ev-3/accounts", url.Values{"count": {"1"}, "format": {"csv"}, "download": {"no"}})
		r.want(t, http.StatusBadGateway, msg("events.generate.badfile"))
		r.lacks(t, "<p>hello</p>")
		if got := r.header.Get("Set-Cookie"); got != "" {
			t.Errorf("Set-Cookie %q", got)
		}
	})
}

// TestGenerateRefused: mistakes the portal finds are shown and nothing is
// sent; identity's refusals are shown with the form kept.
func TestGenerateRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	cookie := p.signIn(admin())
	for _, tc := range []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"count": {""}, "format": {"show"}}, "count", msg("events.count.missing")},
		{url.Values{"count": {"5001"}, "format": {"show"}}, "count", msg("events.count.bad", "5,000")},
		{url.Values{"count": {"zwei"}, "format": {"csv"}}, "count", msg("events.count.bad", "5,000")},
		{url.Values{"count": {"3"}, "labels": {"A\nB"}, "format": {"show"}}, "count", msg("events.count.both", "2")},
		{url.Values{"labels": {strings.Repeat("x", 101)}, "format": {"show"}}, "labels", msg("events.labels.long")},
		{url.Values{"labels": {strings.Repeat("a\n", 5001)}, "format": {"show"}}, "labels", msg("events.labels.many", "5,000")},
		{url.Values{"count": {"2"}, "format": {"xml"}}, "format", msg("events.format.bad")},
	} {
		r := p.post(cookie, "/admin/events/ev-3/accounts", tc.form)
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="`+tc.field+`-error">`+tc.msg+`</p>`,
			`<div class="problems" role="alert">`, msg("events.generate.problems"), `<li><a href="#`+tc.field)
		if c := tc.form.Get("count"); c != "" {
			r.want(t, http.StatusUnprocessableEntity, `value="`+c+`"`)
		}
	}
	p.api.none(t, "POST /idp/api/v1/events/ev-3/accounts")

	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 422, `{"status":422,"errors":[{"field":"labels","detail":"Each name of the list has 1 to 100 characters on a line of its own."}]}`)
	p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"labels": {"Room 1\nRoom 2"}, "format": {"pdf"}}).want(t, http.StatusUnprocessableEntity,
		`<p class="field-error" id="labels-error">Each name of the list has 1 to 100 characters on a line of its own.</p>`,
		"Room 1\nRoom 2</textarea>", `<input type="radio" id="format-pdf" name="format" value="pdf" checked>`)
	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 409, `{"status":409,"detail":"The event has ended; create a new event for new accounts."}`)
	p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"count": {"2"}, "format": {"show"}}).want(t, http.StatusConflict,
		`<p class="field-error" role="alert">`+msg("events.generate.ended")+`</p>`)
	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 503, `{"status":503,"detail":"Another batch of accounts is being made."}`)
	r := p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"count": {"2000"}, "format": {"csv"}})
	r.want(t, http.StatusServiceUnavailable, msg("events.generate.busy"), `value="2000"`, `<input type="radio" id="format-csv" name="format" value="csv" checked>`)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 404, `{"status":404}`)
	p.post(cookie, "/admin/events/ev-3/accounts", url.Values{"count": {"2"}, "format": {"show"}}).want(t, http.StatusNotFound, msg("events.none"))
}

// TestGenerateTakesItsTime: making a batch may take minutes, longer than
// the portal's other calls to identity may.
func TestGenerateTakesItsTime(t *testing.T) {
	t.Parallel()
	p := newPortal(t, func(d *Deps, api *fakeAPI) {
		client := api.srv.Client()
		client.Timeout = 200 * time.Millisecond
		d.API = client
	})
	p.eventsAPI()
	p.api.handlers = map[string]http.Handler{"POST /idp/api/v1/events/ev-3/accounts": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(batchJSON))
	})}
	p.post(p.signIn(admin()), "/admin/events/ev-3/accounts", url.Values{"count": {"2"}, "format": {"show"}}).
		want(t, http.StatusOK, "vote7kq2mxpa")
	if got := slowClient(&http.Client{}, batchTimeout).Timeout; got != 0 {
		t.Errorf("a client without a limit got %v", got)
	}
}

// TestEndEvent: ending needs the box ticked; then identity is asked and
// the event's page says so.
func TestEndEvent(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	cookie := p.signIn(admin())
	p.post(cookie, "/admin/events/ev-3/end", url.Values{}).want(t, http.StatusUnprocessableEntity,
		`<p class="field-error" id="confirm-error" role="alert">`+msg("events.end.confirm.missing")+`</p>`,
		`<input type="checkbox" id="confirm" name="confirm" value="yes" aria-invalid="true" aria-describedby="confirm-error">`)
	p.api.none(t, "POST /idp/api/v1/events/ev-3/end")
	p.api.on("POST /idp/api/v1/events/ev-3/end", 200, eventJSON)
	p.post(cookie, "/admin/events/ev-3/end", url.Values{"confirm": {"yes"}}).redirects(t, "/admin/events/ev-3?done=ended")
	p.api.only(t, "POST /idp/api/v1/events/ev-3/end")
	p.get(cookie, "/admin/events/ev-3?done=ended").want(t, http.StatusOK, msg("events.done.ended"))
	p.api.on("POST /idp/api/v1/events/ev-9/end", 404, `{"status":404}`)
	p.post(cookie, "/admin/events/ev-9/end", url.Values{"confirm": {"yes"}}).want(t, http.StatusNotFound, msg("events.none"))
}

// TestEventsNeedTheScope: without events:write every events page is
// forbidden and identity is not asked; the top bar and the administration
// page offer no link. A person with events:write who does not administer
// accounts gets a link in the top bar, and types the applications and the
// role, which they may not list.
func TestEventsNeedTheScope(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	noEvents := admin()
	noEvents.Scopes = []string{"openid", "profile", "users:read"}
	for _, who := range []tokens{student(), staff(), noEvents} {
		cookie := p.signIn(who)
		for _, target := range []string{"/admin/events", "/admin/events/ev-3"} {
			r := p.get(cookie, target)
			r.want(t, http.StatusForbidden, msg("events.forbidden"))
			r.lacks(t, "Student council election", `href="/admin/events"`)
		}
		for _, target := range []string{"/admin/events", "/admin/events/ev-3/accounts", "/admin/events/ev-3/end"} {
			p.post(cookie, target, url.Values{"confirm": {"yes"}, "count": {"2"}, "format": {"show"}}).want(t, http.StatusForbidden)
		}
		p.get(cookie, "/programmes").lacks(t, `href="/admin/events"`)
	}
	p.get(p.signIn(noEvents), "/admin").lacks(t, `href="/admin/events"`)
	if got := len(p.api.sent("GET /idp/api/v1/events")) + len(p.api.changes()); got != 0 {
		t.Errorf("identity was asked %d times", got)
	}

	t.Run("events only", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.eventsAPI()
		p.api.on("GET /idp/api/v1/clients", 403, `{"status":403}`)
		p.api.on("GET /idp/api/v1/roles", 403, `{"status":403}`)
		p.api.on("POST /idp/api/v1/events", 201, eventJSON)
		cookie := p.signIn(tokens{Name: "Exam Office", Roles: []string{"exams"}, Scopes: []string{"openid", "profile", "events:write"}})
		r := p.get(cookie, "/admin/events")
		r.want(t, http.StatusOK, `<li><a href="/admin/events">`+msg("events.title")+`</a></li>`,
			`<input type="text" id="applications_text" name="applications_text" value="" autocomplete="off">`,
			`<input type="text" id="role" name="role" value="" autocomplete="off">`,
			`<span class="code">campus-portal</span>`)
		r.lacks(t, `<a href="/admin">`)
		f := eventFormValues("applications_text", "campus-portal, moodle  campus-portal", "role", "")
		f.Del("application")
		p.post(cookie, "/admin/events", f).redirects(t, "/admin/events/ev-3?done=created")
		if got := jsonBody(t, p.api.only(t, "POST /idp/api/v1/events"))["applications"]; len(got.([]any)) != 2 {
			t.Errorf("applications %v", got)
		}
		p.get(cookie, "/admin/events/ev-3").want(t, http.StatusOK, `<span class="code">moodle</span>`)
		p.get(cookie, "/admin").want(t, http.StatusForbidden)
	})
}

// TestEventsGerman: the pages, their mistakes and a batch, in German.
func TestEventsGerman(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.eventsAPI()
	p.api.on("POST /idp/api/v1/events/ev-3/accounts", 201, labelledBatchJSON)
	c := newGermanCheck([]string{eventsJSON, eventJSON, endedEventJSON, eventRolesJSON, clientsJSON, labelledBatchJSON}, "Root Admin")
	cookie := p.signIn(admin())
	for _, tc := range []struct {
		target string
		status int
		wants  []string
	}{
		{"/admin/events", http.StatusOK, []string{"<h1>Veranstaltungen</h1>", "bevorstehend", "läuft", "beendet", "Veranstaltung anlegen", "2026-12-10 bis 2026-12-11, täglich 08:00–18:00"}},
		{"/admin/events/ev-3", http.StatusOK, []string{"Konten erzeugen", "ersetzt den aktuellen Satz von 12 Konten", "Auf der Seite zeigen", "PDF-Briefe herunterladen", "Veranstaltung jetzt beenden",
			`data-making="{n} Konten werden angelegt`}},
		{"/admin/events/ev-1", http.StatusOK, []string{"Diese Veranstaltung ist beendet."}},
		{"/admin", http.StatusOK, []string{"Veranstaltungen"}},
	} {
		r := p.germanGet(cookie, tc.target)
		r.want(t, tc.status, tc.wants...)
		for _, problem := range c.problems(r.body) {
			t.Errorf("%s: %s", tc.target, problem)
		}
	}
	for _, f := range []struct {
		target string
		form   url.Values
		status int
		wants  []string
	}{
		{"/admin/events", eventFormValues("name", "", "pin_length", "5", "first_date", "10.12.2026"), http.StatusUnprocessableEntity,
			[]string{T(German, "events.problems"), T(German, "events.name.missing"), T(German, "events.pin.bad"), T(German, "admin.window.baddate")}},
		{"/admin/events/ev-3/accounts", url.Values{"count": {"9999"}, "format": {"show"}}, http.StatusUnprocessableEntity,
			[]string{T(German, "events.count.bad", "5.000")}},
		{"/admin/events/ev-3/end", url.Values{}, http.StatusUnprocessableEntity, []string{T(German, "events.end.confirm.missing")}},
		{"/admin/events/ev-3/accounts", url.Values{"labels": {"Room 1\nRoom <2>"}, "format": {"show"}}, http.StatusOK,
			[]string{"<h1>Konten von Student council election</h1>", "2 Konten sind angelegt.", "Benutzername"}},
	} {
		r := httptest.NewRequest(http.MethodPost, f.target, strings.NewReader(f.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.AddCookie(&http.Cookie{Name: langCookie, Value: "de"})
		res := p.do(cookie, r)
		res.want(t, f.status, f.wants...)
		for _, problem := range c.problems(res.body) {
			t.Errorf("POST %s: %s", f.target, problem)
		}
	}
	wantHeader(t, p.api.only(t, "POST /idp/api/v1/events/ev-3/accounts"), "Accept-Language", "de")
}
