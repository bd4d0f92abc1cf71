package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/portal/store"
)

// The handler tests run the portal's handler (NewServer) against a fake of
// identity's and the study service's JSON APIs: one httptest server whose
// answers each test sets, and which records what the portal sent.

// testNow is the portal's clock in these tests.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// answer is a canned API answer.
type answer struct {
	status int
	body   string
}

// apiRequest is a request the portal sent to an API.
type apiRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// fakeAPI answers "METHOD /path?query" with what was set for exactly that,
// else what was set for "METHOD /path", else 404. Identity's API is under
// /idp, the study API under /study.
type fakeAPI struct {
	srv     *httptest.Server
	mu      sync.Mutex
	answers map[string]answer
	reqs    []apiRequest
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, apiRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)})
	a, ok := f.answers[r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery]
	if !ok {
		a, ok = f.answers[r.Method+" "+r.URL.Path]
	}
	f.mu.Unlock()
	if !ok {
		a = answer{http.StatusNotFound, `{"status":404,"detail":"no canned answer"}`}
	}
	if a.status/100 == 2 {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/problem+json")
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// on sets the answer to key ("GET /study/v1/programmes", or with a query
// to match it exactly).
func (f *fakeAPI) on(key string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[key] = answer{status, body}
}

// sent returns the requests made to "METHOD /path" (any query).
func (f *fakeAPI) sent(key string) []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiRequest
	for _, r := range f.reqs {
		if r.Method+" "+r.Path == key {
			out = append(out, r)
		}
	}
	return out
}

// only returns the one request made to key, failing the test otherwise.
func (f *fakeAPI) only(t *testing.T, key string) apiRequest {
	t.Helper()
	got := f.sent(key)
	if len(got) != 1 {
		t.Fatalf("%s was sent %d times, want once", key, len(got))
	}
	return got[0]
}

// none fails the test when any of keys was sent.
func (f *fakeAPI) none(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if n := len(f.sent(k)); n != 0 {
			t.Errorf("%s was sent %d times, want never", k, n)
		}
	}
}

// changes returns the requests other than GET the portal sent.
func (f *fakeAPI) changes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// portalTest is a portal with its own session store and fake APIs.
type portalTest struct {
	t        *testing.T
	h        http.Handler
	api      *fakeAPI
	sessions *store.Store
	rp       *relyingParty // seals session tokens with the portal's key
}

func newPortal(t *testing.T) *portalTest {
	t.Helper()
	api := &fakeAPI{answers: map[string]answer{}}
	api.srv = httptest.NewServer(api)
	t.Cleanup(api.srv.Close)
	now := func() time.Time { return testNow }
	sessions := store.New(dbtest.SQLite(t, store.Migrations), now)
	secret := []byte("handler test secret")
	h, err := NewServer(Deps{
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version:     "test",
		Origin:      "https://portal.example",
		IdentityURL: api.srv.URL + "/idp",
		StudyURL:    api.srv.URL + "/study",
		API:         api.srv.Client(),
		Sessions:    sessions,
		OIDC:        OIDC{Issuer: api.srv.URL + "/idp", ClientID: "portal", Client: api.srv.Client(), Scopes: []string{"openid"}},
		Secret:      secret,
		SessionTTL:  time.Hour,
		Now:         now,
	})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := newRelyingParty(OIDC{}, "https://portal.example", "", sessions, secret, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	return &portalTest{t: t, h: h, api: api, sessions: sessions, rp: rp}
}

// signIn stores a session holding tok (sealed as the portal seals it) and
// returns the value of its cookie. The access token lasts an hour: no
// refresh happens.
func (p *portalTest) signIn(tok tokens) string {
	p.t.Helper()
	if tok.Access == "" {
		tok.Access = "access-token"
	}
	if tok.Expiry.IsZero() {
		tok.Expiry = testNow.Add(time.Hour)
	}
	sealed, err := p.rp.sealed(tok)
	if err != nil {
		p.t.Fatal(err)
	}
	id := random(32)
	if err := p.sessions.Create(context.Background(), store.Session{IDHash: hashID(id), Subject: "subject-1", IdPSID: "sid-1",
		Data: []byte(sealed), CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func student() tokens {
	return tokens{Name: "Ada Student", Roles: []string{"student"}, Scopes: []string{"openid", "profile", "email"}}
}

func staff() tokens {
	return tokens{Name: "Grace Staff", Roles: []string{"staff"}, Scopes: []string{"openid", "profile", "grades:read", "grades:write"}}
}

// admin is an administrator as the portal signs one in: the study token
// (studies:write) comes only with unlocking.
func admin() tokens {
	return tokens{Name: "Root Admin", Roles: []string{"admin"},
		Scopes: []string{"openid", "profile", "users:read", "users:write", "roles:write", "grades:read", "grades:write"}}
}

// unlocked adds a study token lasting 15 minutes: catalogue editing is
// unlocked.
func unlocked(tok tokens) tokens {
	tok.Study, tok.StudyExpiry = "study-token", testNow.Add(15*time.Minute)
	return tok
}

// result is the portal's answer.
type result struct {
	code   int
	body   string
	header http.Header
}

func (p *portalTest) do(cookie string, r *http.Request) result {
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return result{w.Code, w.Body.String(), w.Result().Header}
}

func (p *portalTest) get(cookie, target string) result {
	return p.do(cookie, httptest.NewRequest(http.MethodGet, target, nil))
}

// post sends a form as a browser does from one of the portal's pages.
func (p *portalTest) post(cookie, target string, form url.Values) result {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return p.do(cookie, r)
}

// want checks the status and that the body holds each of wants.
func (r result) want(t *testing.T, status int, wants ...string) {
	t.Helper()
	if r.code != status {
		t.Errorf("status %d, want %d; body:\n%s", r.code, status, r.body)
		return
	}
	for _, w := range wants {
		if !strings.Contains(r.body, w) {
			t.Errorf("the page lacks %q; body:\n%s", w, r.body)
		}
	}
}

// lacks checks that the body holds none of unwanted.
func (r result) lacks(t *testing.T, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(r.body, u) {
			t.Errorf("the page has %q; body:\n%s", u, r.body)
		}
	}
}

// redirects checks a 303 to location.
func (r result) redirects(t *testing.T, location string) {
	t.Helper()
	if r.code != http.StatusSeeOther || r.header.Get("Location") != location {
		t.Errorf("got %d to %q, want 303 to %q; body:\n%s", r.code, r.header.Get("Location"), location, r.body)
	}
}

// msg is an English message as a page shows it (HTML-escaped).
func msg(key string, args ...any) string {
	return template.HTMLEscapeString(T(English, key, args...))
}

// jsonBody decodes a request's JSON body.
func jsonBody(t *testing.T, r apiRequest) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// wantJSON checks that a request's JSON body equals want (compared as JSON).
func wantJSON(t *testing.T, r apiRequest, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if got := jsonBody(t, r); !reflect.DeepEqual(got, w) {
		t.Errorf("%s %s sent %s, want %s", r.Method, r.Path, r.Body, want)
	}
}

func wantHeader(t *testing.T, r apiRequest, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("%s %s: %s %q, want %q", r.Method, r.Path, name, got, want)
	}
}

// Canned API answers.
const (
	programmesJSON = `{"items":[
		{"id":"p1","title":"Computer Science","degree":"B.Sc.","semesters":6,"credits_required":180,"description":"Programming, systems and theory.","language":"en","status":"published","version":4},
		{"id":"p2","title":"Mathematics","degree":"M.Sc.","semesters":4,"credits_required":120,"language":"de","status":"draft","version":1}],
		"next_cursor":"cur-2"}`
	programmeJSON = `{"id":"p1","title":"Computer Science","degree":"B.Sc.","semesters":6,"credits_required":180,
		"description":"Programming, systems and theory.","language":"en","status":"published","version":4,
		"modules":[
		{"id":"m1","code":"INF-101","title":"Programming","credits":10,"responsible":"Prof. Lovelace","examination_form":"written exam","compulsory":true,"recommended_semester":1,
		 "lectures":[{"id":"l1","code":"INF-101-V","title":"Programming lecture","semester":"winter","hours_per_week":4}]},
		{"id":"m2","code":"INF-301","title":"Databases","credits":5,"compulsory":false,"recommended_semester":3,"lectures":[]}]}`
	modulesJSON  = `{"items":[{"id":"m1","code":"INF-101","title":"Programming","credits":10},{"id":"m7","code":"MAT-100","title":"Analysis","credits":8}]}`
	lecturesJSON = `{"items":[{"id":"l1","code":"INF-101-V","title":"Programming lecture","semester":"winter","hours_per_week":4,"responsible":"Prof. Lovelace"},
		{"id":"l7","code":"MAT-100-V","title":"Analysis lecture","semester":"summer","hours_per_week":2,"responsible":"Prof. Noether"}]}`
	moduleJSON = `{"id":"m1","code":"INF-101","title":"Programming","credits":10,"description":"Learn to program.","responsible":"Prof. Lovelace","examination_form":"written exam","version":3}`
	meJSON     = `{"id":"subject-1","username":"ada","email":"ada@uni.example","display_name":"Ada Student","given_name":"Ada","family_name":"Student","semester":3,"roles":["student"],"version":3}`
	rolesJSON  = `{"items":[
		{"name":"admin","description":"Administrators","builtin":true,"permissions":["users:read","users:write","roles:write","studies:write"],"version":1},
		{"name":"staff","description":"Lecturers","builtin":true,"permissions":["grades:read","grades:write"],"version":1},
		{"name":"student","description":"Students","builtin":true,"permissions":[],"version":1}]}`
	userJSON = `{"id":"u1","username":"bob","email":"bob@uni.example","email_verified":true,"display_name":"Bob Builder","programme_title":"B.Sc. Computer Science",
		"semester":2,"status":"active","roles":["student"],"locked":true,"locked_until":"2026-03-02T10:30:00Z","failed_sign_ins":5,
		"last_login_at":"2026-03-01T08:00:00Z","created_at":"2025-10-01T00:00:00Z","version":7}`
)

// catalogueAPI sets the study API's catalogue answers an admin page reads.
func (p *portalTest) catalogueAPI() {
	p.api.on("GET /study/v1/programmes", 200, programmesJSON)
	p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
	p.api.on("GET /study/v1/modules", 200, modulesJSON)
	p.api.on("GET /study/v1/lectures", 200, lecturesJSON)
	p.api.on("GET /study/v1/modules/m1", 200, moduleJSON)
}

// upload posts a multipart form with a file field, as the CSV form does;
// an empty name sends the form without a file.
func (p *portalTest) upload(cookie, target, name, content string) result {
	p.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			p.t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return p.do(cookie, r)
}

// ---- public pages

func TestHome(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	r := p.get("", "/")
	r.want(t, http.StatusOK, "<h1>"+msg("home.title")+"</h1>", msg("home.browse"), `href="/programmes"`, msg("nav.signin"), msg("nav.register"))
	r.lacks(t, msg("nav.signout"), msg("nav.mystudy"))
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self' "+p.api.srv.URL) {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Language") != "en" {
		t.Errorf("headers %v", r.header)
	}

	// A browser asking for German gets German.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	de := p.do("", req)
	de.want(t, http.StatusOK, `<html lang="de">`, template.HTMLEscapeString(T(German, "home.title")))

	// Signed in, the bar names the person and shows their pages.
	in := p.get(p.signIn(student()), "/")
	in.want(t, http.StatusOK, msg("nav.signedin", "Ada Student"), `href="/my"`, `href="/profile"`, msg("nav.signout"))
	in.lacks(t, `href="/admin"`, `href="/grading"`)
	if n := len(p.api.sent("GET /idp/api/v1/me")); n != 0 {
		t.Errorf("the home page called the API")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.get("", "/nowhere").want(t, http.StatusNotFound, msg("error.notfound"))
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		r := p.get(p.signIn(student()), "/programmes?q=+Computer+")
		r.want(t, http.StatusOK, msg("catalogue.title"), `<a href="/programmes/p1">B.Sc. Computer Science</a>`,
			msg("catalogue.semesters", 6), msg("catalogue.credits", 180), "Programming, systems and theory.",
			`<a href="/programmes/p2">M.Sc. Mathematics</a>`, "cursor=cur-2", msg("catalogue.next"))
		req := p.api.only(t, "GET /study/v1/programmes")
		if q, _ := url.ParseQuery(req.Query); q.Get("q") != "Computer" || q.Get("limit") != "50" || q.Has("cursor") {
			t.Errorf("query %q", req.Query)
		}
		// The catalogue is public: read without the person's token.
		wantHeader(t, req, "Authorization", "")
	})
	t.Run("next page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, `{"items":[]}`)
		r := p.get("", "/programmes?cursor=cur-2")
		r.want(t, http.StatusOK, msg("catalogue.empty"))
		r.lacks(t, msg("catalogue.next"))
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/programmes").Query); q.Get("cursor") != "cur-2" {
			t.Errorf("cursor not passed on: %v", q)
		}
	})
	t.Run("API fails", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 500, `{"detail":"boom"}`)
		p.get("", "/programmes").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestProgrammePage(t *testing.T) {
	t.Parallel()
	t.Run("study plan", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		r := p.get("", "/programmes/p1")
		r.want(t, http.StatusOK, "<title>B.Sc. Computer Science · campus</title>", "<h1>B.Sc. Computer Science</h1>",
			msg("programme.semester", 1), msg("programme.semester", 3), `<span class="code">INF-101</span> Programming`,
			msg("programme.compulsory"), msg("programme.elective"), "Prof. Lovelace · written exam",
			"Programming lecture", msg("programme.hours", 4))
		if i, j := strings.Index(r.body, msg("programme.semester", 1)), strings.Index(r.body, msg("programme.semester", 3)); i > j {
			t.Error("semester 3 before semester 1")
		}
		wantHeader(t, p.api.only(t, "GET /study/v1/programmes/p1"), "Authorization", "")
	})
	t.Run("signed in reads with the token", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		p.get(p.signIn(student()), "/programmes/p1").want(t, http.StatusOK, "B.Sc. Computer Science")
		wantHeader(t, p.api.only(t, "GET /study/v1/programmes/p1"), "Authorization", "Bearer access-token")
	})
	t.Run("no modules", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p2", 200, `{"id":"p2","title":"Mathematics","degree":"M.Sc.","semesters":4,"credits_required":120}`)
		p.get("", "/programmes/p2").want(t, http.StatusOK, msg("programme.nomodules"))
	})
	t.Run("API 404", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/nope", 404, `{"detail":"not found"}`)
		p.get("", "/programmes/nope").want(t, http.StatusNotFound, msg("error.notfound"))
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 500, `{"detail":"boom"}`)
		p.get("", "/programmes/p1").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

// ---- sessions and cross-site requests

func TestSignedOutRedirectsToSignIn(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, tt := range []struct{ method, target, ret string }{
		{"GET", "/my", "/my"},
		{"GET", "/my?view=detail", "/my?view=detail"},
		{"GET", "/profile", "/profile"},
		{"GET", "/grading/l1", "/grading/l1"},
		{"GET", "/admin/users?q=ada", "/admin/users?q=ada"},
		{"GET", "/admin/programmes", "/admin/programmes"},
		{"POST", "/my/enrol", "/my/enrol"},
		{"POST", "/profile", "/profile"},
	} {
		var r result
		if tt.method == "GET" {
			r = p.get("", tt.target)
		} else {
			r = p.post("", tt.target, url.Values{"programme_id": {"p1"}})
		}
		r.redirects(t, "/auth/login?return="+url.QueryEscape(tt.ret))
	}
	// An unknown or ended session is signed out too.
	p.get("not-a-session", "/profile").redirects(t, "/auth/login?return=%2Fprofile")
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("signed out, the portal still sent %v", got)
	}
	if n := len(p.api.sent("GET /idp/api/v1/me")); n != 0 {
		t.Errorf("signed out, the portal still read the profile")
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
	cookie := p.signIn(student())
	form := url.Values{"username": {"ada"}, "email": {"ada@evil.example"}, "version": {"3"}}

	send := func(header, value string) result {
		r := httptest.NewRequest(http.MethodPost, "/profile", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			r.Header.Set(header, value)
		}
		return p.do(cookie, r)
	}
	if r := send("Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site: cross-site: status %d, want 403", r.code)
	}
	if r := send("Origin", "https://evil.example"); r.code != http.StatusForbidden {
		t.Errorf("Origin of another site: status %d, want 403", r.code)
	}
	if got := p.api.changes(); len(got) != 0 {
		t.Fatalf("a cross-site form reached the API: %v", got)
	}
	// The same form from the portal's own page goes through; so does one
	// without Fetch Metadata or Origin (not a browser's cross-site request).
	send("Sec-Fetch-Site", "same-origin").redirects(t, "/profile?done=saved")
	send("", "").redirects(t, "/profile?done=saved")
	// Safe methods are never refused.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	p.do("", req).want(t, http.StatusOK, msg("home.title"))
}

// ---- my study

const gradesJSON = `{"programmes":[{"programme":{"id":"p1","title":"Computer Science","degree":"B.Sc.","semesters":6,"credits_required":180},
	"credits_earned":15,"credits_required":180,"progress":0.0833,"mean":"1.7",
	"modules":[
	{"module_id":"m2","code":"INF-301","title":"Databases","credits":5,"compulsory":false,"recommended_semester":3,"status":"not_started","mark":"",
	 "lectures":[{"lecture_id":"l2","code":"INF-301-V","title":"Databases lecture","hours_per_week":2,"grade":"","attempt":0,"status":"not_started"}]},
	{"module_id":"m1","code":"INF-101","title":"Programming","credits":10,"compulsory":true,"recommended_semester":1,"status":"passed","mark":"1.7",
	 "lectures":[{"lecture_id":"l1","code":"INF-101-V","title":"Programming lecture","hours_per_week":4,"grade":"1.7","attempt":2,"status":"passed"}]}]}]}`

func TestMyStudy(t *testing.T) {
	t.Parallel()
	t.Run("enrolled", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, gradesJSON)
		cookie := p.signIn(student())
		r := p.get(cookie, "/my")
		r.want(t, http.StatusOK, msg("my.enrolled", "B.Sc. Computer Science"), msg("my.credits", 15, 180),
			`<progress id="credits" max="180" value="15">8%</progress>`, msg("my.mean", "1.7"),
			`<tr class="module passed">`, `<span class="code">INF-101</span> Programming`, msg("status.passed"),
			`<tr class="module not_started">`, msg("status.not_started"), "("+msg("programme.elective")+")",
			`<a href="/my?view=detail">`+msg("my.view.detail")+"</a>")
		r.lacks(t, "Programming lecture", msg("my.choose"))
		if i, j := strings.Index(r.body, msg("programme.semester", 1)), strings.Index(r.body, msg("programme.semester", 3)); i < 0 || i > j {
			t.Error("the plan is not in semester order")
		}
		wantHeader(t, p.api.only(t, "GET /study/v1/me/grades"), "Authorization", "Bearer access-token")

		d := p.get(cookie, "/my?view=detail")
		d.want(t, http.StatusOK, `<tr class="lecture">`, `<span class="code">INF-101-V</span> Programming lecture`,
			msg("programme.hours", 4), msg("my.attempt", 2), `<span aria-current="page">`+msg("my.view.detail")+"</span>")
	})
	t.Run("not enrolled shows the choices", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /idp/api/v1/me", 200, meJSON) // no programme chosen at registration
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		r := p.get(p.signIn(student()), "/my")
		r.want(t, http.StatusOK, msg("my.none"), `<form method="post" action="/my/enrol"`,
			`<option value="p1">B.Sc. Computer Science</option>`, `<option value="p2">M.Sc. Mathematics</option>`, msg("my.enrol"))
		r.lacks(t, msg("my.plan"))
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/programmes").Query); q.Get("limit") != "200" {
			t.Errorf("programmes query %v", q)
		}
	})
	t.Run("enrols in the programme chosen at registration", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /idp/api/v1/me", 200, strings.Replace(meJSON, `"version":3`, `"programme_id":"p2","version":3`, 1))
		p.api.on("POST /study/v1/me/enrolments", 201, `{"programme_id":"p2"}`)
		p.get(p.signIn(student()), "/my").redirects(t, "/my?from=registration")
		req := p.api.only(t, "POST /study/v1/me/enrolments")
		wantJSON(t, req, `{"programme_id":"p2"}`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
	})
	t.Run("after registration it does not try again", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		p.get(p.signIn(student()), "/my?from=registration").want(t, http.StatusOK, msg("my.none"))
		p.api.none(t, "GET /idp/api/v1/me", "POST /study/v1/me/enrolments")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 500, `{"detail":"boom"}`)
		p.get(p.signIn(student()), "/my").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
	t.Run("API 401 signs in again", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 401, `{"detail":"token revoked"}`)
		p.get(p.signIn(student()), "/my?view=detail").redirects(t, "/auth/login?return=%2Fmy%3Fview%3Ddetail")
	})
}

func TestEnrol(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusCreated, http.StatusConflict} { // 409: enrolled already
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.api.on("POST /study/v1/me/enrolments", status, `{"programme_id":"p1"}`)
			p.post(p.signIn(student()), "/my/enrol", url.Values{"programme_id": {"p1"}}).redirects(t, "/my")
			req := p.api.only(t, "POST /study/v1/me/enrolments")
			wantJSON(t, req, `{"programme_id":"p1"}`)
			wantHeader(t, req, "Authorization", "Bearer access-token")
			wantHeader(t, req, "Content-Type", "application/json")
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /study/v1/me/enrolments", 422, `{"status":422,"detail":"The programme is not open for enrolment."}`)
		p.post(p.signIn(student()), "/my/enrol", url.Values{"programme_id": {"p2"}}).
			want(t, http.StatusUnprocessableEntity, msg("error.title"), "The programme is not open for enrolment.")
	})
}

// ---- profile

func TestProfilePage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	cookie := p.signIn(student())
	r := p.get(cookie, "/profile")
	r.want(t, http.StatusOK, msg("profile.title"), `<input type="hidden" name="version" value="3">`,
		`name="username" value="ada"`, `name="email" value="ada@uni.example"`, `name="display_name" value="Ada Student"`,
		`name="given_name" value="Ada"`, `name="family_name" value="Student"`, `name="semester" value="3"`,
		`action="/profile/password"`)
	r.lacks(t, `aria-invalid`, `class="notice"`)
	wantHeader(t, p.api.sent("GET /idp/api/v1/me")[0], "Authorization", "Bearer access-token")

	p.get(cookie, "/profile?done=saved").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("profile.saved")+"</p>")
	p.get(cookie, "/profile?done=password").want(t, http.StatusOK, msg("profile.password.changed"))
	p.get(cookie, "/profile?done=other").lacks(t, `class="notice"`)

	// A new address waiting for its confirmation is named beside the field.
	p.api.on("GET /idp/api/v1/me", 200, strings.Replace(meJSON, `"version"`, `"pending_email":"new@uni.example","version"`, 1))
	p.get(cookie, "/profile").want(t, http.StatusOK, `id="email-pending"`, msg("profile.email.pending", "new@uni.example"),
		`name="email" value="ada@uni.example"`)

	p.api.on("GET /idp/api/v1/me", 503, `{"detail":"down"}`)
	p.get(cookie, "/profile").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

// profileForm is the profile form as sent from version 3.
func profileForm(changes ...string) url.Values {
	f := url.Values{"version": {"3"}, "username": {"ada"}, "email": {"ada@uni.example"}, "display_name": {"Ada Lovelace"},
		"given_name": {"Ada"}, "family_name": {"Lovelace"}, "semester": {"4"}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestProfileSave(t *testing.T) {
	t.Parallel()
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		cookie := p.signIn(student())
		p.post(cookie, "/profile", profileForm("email", "  ada@lovelace.example ")).redirects(t, "/profile?done=saved")
		req := p.api.only(t, "PATCH /idp/api/v1/me")
		wantHeader(t, req, "If-Match", `"v3"`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
		wantJSON(t, req, `{"username":"ada","email":"ada@lovelace.example","display_name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","semester":4}`)
		// The bar shows the new name from now on.
		p.get(cookie, "/profile").want(t, http.StatusOK, msg("nav.signedin", "Ada Lovelace"))
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 412, `{"status":412,"detail":"It was changed since you read it."}`)
		p.api.on("GET /idp/api/v1/me", 200, `{"id":"subject-1","username":"ada","email":"ada@king.example","display_name":"Ada King","semester":5,"version":4}`)
		r := p.post(p.signIn(student()), "/profile", profileForm())
		r.want(t, http.StatusConflict, msg("profile.conflict"), msg("profile.conflict.title"),
			msg("profile.conflict.theirs"), msg("profile.conflict.yours"),
			"<td>Ada King</td><td>Ada Lovelace</td>", "<td>ada@king.example</td><td>ada@uni.example</td>", "<td>5</td><td>4</td>",
			// The form keeps what was typed; saving again overwrites version 4 knowingly.
			`name="display_name" value="Ada Lovelace"`, `<input type="hidden" name="version" value="4">`)
		wantHeader(t, p.api.only(t, "PATCH /idp/api/v1/me"), "If-Match", `"v3"`)
	})
	t.Run("field refused by identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 422, `{"status":422,"detail":"The request has invalid fields.",
			"errors":[{"field":"email","detail":"is not an e-mail address"},{"field":"email","detail":"second message"}]}`)
		r := p.post(p.signIn(student()), "/profile", profileForm("email", "not-an-address"))
		r.want(t, http.StatusUnprocessableEntity,
			`name="email" value="not-an-address" autocomplete="email" aria-invalid="true" aria-describedby="email-error"`,
			`<p class="field-error" id="email-error">is not an e-mail address</p>`,
			`name="display_name" value="Ada Lovelace"`, `name="semester" value="4"`)
		r.lacks(t, "second message", `name="username" value="ada" autocomplete="username" aria-invalid`)
	})
	t.Run("user name taken", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 409, `{"status":409,"errors":[{"field":"username","detail":"This user name is taken."}]}`)
		p.post(p.signIn(student()), "/profile", profileForm("username", "grace")).want(t, http.StatusUnprocessableEntity,
			`name="username" value="grace" autocomplete="username" aria-invalid="true"`, "This user name is taken.")
	})
	t.Run("refused without fields", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 400, `{"status":400,"detail":"The body is not a merge patch."}`)
		p.post(p.signIn(student()), "/profile", profileForm()).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" role="alert">The body is not a merge patch.</p>`)
	})
	t.Run("semester checked here", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		cookie := p.signIn(student())
		for _, sem := range []string{"many", "41", "-1"} {
			r := p.post(cookie, "/profile", profileForm("semester", sem))
			r.want(t, http.StatusUnprocessableEntity, msg("profile.semester.invalid"),
				`name="semester" value="`+sem+`" aria-invalid="true" aria-describedby="semester-error"`,
				`name="display_name" value="Ada Lovelace"`, `<input type="hidden" name="version" value="3">`)
		}
		p.api.none(t, "PATCH /idp/api/v1/me")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 500, `{"detail":"boom"}`)
		p.post(p.signIn(student()), "/profile", profileForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	form := func(current, next, again string) url.Values {
		return url.Values{"current_password": {current}, "new_password": {next}, "new_password_again": {again}}
	}
	t.Run("changed", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /idp/api/v1/me/password", 204, "")
		p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 123")).
			redirects(t, "/profile?done=password")
		req := p.api.only(t, "POST /idp/api/v1/me/password")
		wantJSON(t, req, `{"current_password":"old secret","new_password":"new secret 123"}`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
	})
	t.Run("new passwords differ", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		r := p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 124"))
		r.want(t, http.StatusUnprocessableEntity, msg("profile.password.mismatch"),
			`name="new_password_again" value="" autocomplete="new-password" aria-invalid="true"`,
			`name="email" value="ada@uni.example"`)
		r.lacks(t, "old secret", "new secret 123")
		p.api.none(t, "POST /idp/api/v1/me/password")
	})
	t.Run("current password missing", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.post(p.signIn(student()), "/profile/password", form("", "new secret 123", "new secret 123")).
			want(t, http.StatusUnprocessableEntity, msg("profile.password.current.missing"), `id="current_password-error"`)
		p.api.none(t, "POST /idp/api/v1/me/password")
	})
	t.Run("current password wrong", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.api.on("POST /idp/api/v1/me/password", 422, `{"status":422,"detail":"Refused.","errors":[{"field":"current_password","detail":"The current password is wrong."}]}`)
		r := p.post(p.signIn(student()), "/profile/password", form("guess", "new secret 123", "new secret 123"))
		r.want(t, http.StatusUnprocessableEntity, `name="current_password" value="" autocomplete="current-password" aria-invalid="true"`,
			`<p class="field-error" id="current_password-error">The current password is wrong.</p>`)
		r.lacks(t, "guess", `id="new_password-error"`)
	})
	t.Run("new password refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.api.on("POST /idp/api/v1/me/password", 422, `{"status":422,"detail":"The password is too short."}`)
		p.post(p.signIn(student()), "/profile/password", form("old secret", "short", "short")).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" id="new_password-error">The password is too short.</p>`)
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /idp/api/v1/me/password", 500, `{"detail":"boom"}`)
		p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 123")).
			want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

// ---- grading

const (
	lectureJSON  = `{"id":"l1","code":"INF-101-V","title":"Programming lecture","semester":"winter","hours_per_week":4,"responsible":"Prof. Lovelace"}`
	studentsJSON = `{"items":[{"subject":"s1","grade":"2.0","attempt":1,"status":"provisional","attempts_used":1},
		{"subject":"s2","attempts_used":0},{"subject":"s3","attempts_used":0}]}`
	peopleJSON = `{"items":[{"id":"s1","username":"zoe","display_name":"Zoe Zed"},{"id":"s2","username":"amy","display_name":"Amy Able"}]}`
	statsJSON  = `{"count":3,"mean":"2.3","pass_rate":0.6667,"distribution":{"1.3":1,"2.0":2,"5.0":1}}`
)

// lectureAPI sets the answers the lecture page reads: the lecture, its
// students s1 (Zoe), s2 (Amy) and s3 (unknown to identity), their names
// and the statistics.
func (p *portalTest) lectureAPI() {
	p.api.on("GET /study/v1/lectures/l1", 200, lectureJSON)
	p.api.on("GET /study/v1/lectures/l1/students", 200, studentsJSON)
	p.api.on("GET /idp/api/v1/people", 200, peopleJSON)
	p.api.on("GET /study/v1/lectures/l1/statistics", 200, statsJSON)
}

func TestGradingList(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/lectures", 200, `{"items":[{"id":"l7","code":"MAT-100-V","title":"Analysis lecture","semester":"summer","responsible":"Prof. Noether"}],"next_cursor":"c2"}`)
	cookie := p.signIn(staff())
	r := p.get(cookie, "/grading?q=+analysis+")
	r.want(t, http.StatusOK, msg("grading.title"), `<input type="search" id="q" name="q" value="analysis">`,
		`<a href="/grading/l7"><span class="code">MAT-100-V</span> Analysis lecture</a>`, "<td>Prof. Noether</td>",
		"<td>"+msg("term.summer")+"</td>", `rel="next">`+msg("grading.more"))
	req := p.api.only(t, "GET /study/v1/lectures")
	if q, _ := url.ParseQuery(req.Query); q.Get("q") != "analysis" || q.Get("limit") != "50" || q.Has("cursor") {
		t.Errorf("query %q", req.Query)
	}
	wantHeader(t, req, "Authorization", "Bearer access-token")

	p.api.on("GET /study/v1/lectures", 200, `{"items":[]}`)
	r = p.get(cookie, "/grading?cursor=c2")
	r.want(t, http.StatusOK, msg("grading.nolectures"))
	r.lacks(t, `rel="next"`)
	if q, _ := url.ParseQuery(p.api.sent("GET /study/v1/lectures")[1].Query); q.Get("cursor") != "c2" {
		t.Errorf("cursor not passed on: %v", q)
	}
}

// TestPagingLinksKeepTheirQuery: the "next page" links of the grading and
// the users list carry the cursor and the search as a query string.
func TestPagingLinksKeepTheirQuery(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/lectures", 200, `{"items":[{"id":"l7","code":"MAT-100-V","title":"Analysis lecture","semester":"summer"}],"next_cursor":"c2"}`)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`],"next_cursor":"c2"}`)
	p.get(p.signIn(staff()), "/grading?q=analysis").want(t, http.StatusOK, `href="/grading?cursor=c2&amp;q=analysis"`)
	p.get(p.signIn(admin()), "/admin/users?q=ada&role=student").want(t, http.StatusOK, `href="/admin/users?cursor=c2&amp;q=ada&amp;role=student"`)
}

func TestGradingNeedsStaff(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.lectureAPI()
	cookie := p.signIn(student()) // no grades:write
	for _, r := range []result{
		p.get(cookie, "/grading"),
		p.get(cookie, "/grading/l1"),
		p.post(cookie, "/grading/l1", url.Values{"grade:s1": {"1.0"}}),
		p.upload(cookie, "/grading/l1/upload", "grades.csv", "subject,grade\ns1,1.0\n"),
	} {
		r.want(t, http.StatusForbidden, msg("grading.forbidden"))
	}
	p.api.mu.Lock()
	defer p.api.mu.Unlock()
	if len(p.api.reqs) != 0 {
		t.Errorf("a student's request reached the API: %v", p.api.reqs)
	}
}

func TestLecturePage(t *testing.T) {
	t.Parallel()
	t.Run("students and chart", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		r := p.get(p.signIn(staff()), "/grading/l1")
		r.want(t, http.StatusOK, `<h1><span class="code">INF-101-V</span> Programming lecture</h1>`,
			msg("grading.summary", 3, "2.3", 67), `<svg class="chart" viewBox="0 0 440 200" role="img"`,
			// the tallest bar (2.0, twice) is full height; 1.3 half; 5.0 is marked failed
			`<rect x="127" y="15" width="30" height="160" class="bar"/>`,
			`<rect x="49" y="95" width="30" height="80" class="bar"/>`,
			`<rect x="400" y="95" width="30" height="80" class="bar-fail"/>`,
			`<tr><th scope="row">2.0</th><td>2</td></tr>`,
			// names from identity, sorted; the one it does not know by subject
			`<th scope="row"><span class="code">s3</span></th>`, `<th scope="row">Amy Able (amy)</th>`, `<th scope="row">Zoe Zed (zoe)</th>`,
			"2.0 <span class=\"meta\">("+msg("status.provisional")+", "+msg("my.attempt", 1)+")</span>",
			`<select id="g2" name="grade:s1">`, `action="/grading/l1/upload" enctype="multipart/form-data"`)
		r.lacks(t, `class="notice"`, `aria-invalid`, msg("grading.nostats"))
		if i, j := strings.Index(r.body, "Amy Able"), strings.Index(r.body, "Zoe Zed"); i > j {
			t.Error("students not sorted by name")
		}
		people := p.api.only(t, "GET /idp/api/v1/people")
		if q, _ := url.ParseQuery(people.Query); !reflect.DeepEqual(q["id"], []string{"s1", "s2", "s3"}) {
			t.Errorf("people asked for %v", q["id"])
		}
		wantHeader(t, people, "Authorization", "Bearer access-token")
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/lectures/l1/students").Query); q.Get("limit") != "200" {
			t.Errorf("students query %v", q)
		}
	})
	t.Run("stored notice, no statistics, no names", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/statistics", 200, `{"count":0,"distribution":{}}`)
		p.api.on("GET /idp/api/v1/people", 403, `{"detail":"needs users:read"}`)
		r := p.get(p.signIn(staff()), "/grading/l1?stored=2")
		r.want(t, http.StatusOK, `<p class="notice" role="status">`+msg("grading.stored", 2)+"</p>", msg("grading.nostats"),
			`<th scope="row"><span class="code">s1</span></th>`)
		r.lacks(t, "<svg", "Zoe Zed")
	})
	t.Run("students on several pages", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/students?limit=200", 200, `{"items":[{"subject":"s1"}],"next_cursor":"n2"}`)
		p.api.on("GET /study/v1/lectures/l1/students?limit=200&cursor=n2", 200, `{"items":[{"subject":"s2"}]}`)
		p.get(p.signIn(staff()), "/grading/l1").want(t, http.StatusOK, "Amy Able (amy)", "Zoe Zed (zoe)")
		if n := len(p.api.sent("GET /study/v1/lectures/l1/students")); n != 2 {
			t.Errorf("%d pages of students read, want 2", n)
		}
	})
	t.Run("no such lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/lectures/nope", 404, `{"detail":"not found"}`)
		p.get(p.signIn(staff()), "/grading/nope").want(t, http.StatusNotFound, msg("grading.nolecture"))
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/students", 500, `{"detail":"boom"}`)
		p.get(p.signIn(staff()), "/grading/l1").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

const (
	uploadKey   = "POST /study/v1/lectures/l1/grades/upload"
	dryRunKey   = uploadKey + "?dry_run=true"
	realRunKey  = uploadKey + "?dry_run=false"
	allAccepted = `{"dry_run":%s,"applied":%s,"accepted":2,"refused":0,"rows":[
		{"line":2,"subject":"s1","grade":"1.3","attempt":1,"result":"accepted"},{"line":3,"subject":"s2","grade":"2.0","attempt":1,"result":"accepted"}]}`
)

func accepted(dryRun bool) string {
	return fmt.Sprintf(allAccepted, strconv.FormatBool(dryRun), strconv.FormatBool(!dryRun))
}

func TestRecordGrades(t *testing.T) {
	t.Parallel()
	t.Run("all accepted: checked, then stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, accepted(true))
		p.api.on(realRunKey, 200, accepted(false))
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s2": {"2.0"}, "grade:s1": {"1.3"}, "grade:s3": {""}, "final": {"on"}}).
			redirects(t, "/grading/l1?stored=2")
		ups := p.api.sent(uploadKey)
		if len(ups) != 2 || ups[0].Query != "dry_run=true" || ups[1].Query != "dry_run=false" {
			t.Fatalf("uploads %+v, want a dry run, then the real one", ups)
		}
		for _, up := range ups {
			if want := "subject,grade,status\ns1,1.3,final\ns2,2.0,final\n"; up.Body != want {
				t.Errorf("CSV %q, want %q", up.Body, want)
			}
			wantHeader(t, up, "Content-Type", "text/csv")
			wantHeader(t, up, "Authorization", "Bearer access-token")
		}
	})
	t.Run("provisional unless final", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"accepted":1}`)
		p.api.on(realRunKey, 200, `{"applied":true,"accepted":1}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"4.0"}}).redirects(t, "/grading/l1?stored=1")
		if up := p.api.sent(uploadKey)[0]; up.Body != "subject,grade,status\ns1,4.0,provisional\n" {
			t.Errorf("CSV %q", up.Body)
		}
	})
	t.Run("refused: nothing stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"applied":false,"accepted":1,"refused":1,"rows":[
			{"line":2,"subject":"s1","grade":"1.3","result":"accepted"},
			{"line":3,"subject":"s2","grade":"2.0","result":"refused","reason":"Amy has used all three attempts."}]}`)
		p.api.on(realRunKey, 200, accepted(false))
		r := p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}, "grade:s2": {"2.0"}, "final": {"on"}})
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" role="alert">`+msg("grading.refused", 1)+"</p>",
			`<select id="g1" name="grade:s2" aria-invalid="true" aria-describedby="g1-error">`,
			`<p class="field-error" id="g1-error">Amy has used all three attempts.</p>`,
			`<option selected>2.0</option>`, `<option selected>1.3</option>`, `<input type="checkbox" id="final" name="final" checked>`)
		r.lacks(t, `id="g2-error"`, `id="g0-error"`)
		if got := p.api.sent(uploadKey); len(got) != 1 || got[0].Query != "dry_run=true" {
			t.Errorf("uploads %+v, want only the dry run", got)
		}
	})
	t.Run("refused meanwhile: says what was stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, accepted(true))
		p.api.on(realRunKey, 200, `{"applied":true,"accepted":1,"refused":1,"rows":[{"line":3,"subject":"s2","result":"refused","reason":"graded meanwhile"}]}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}, "grade:s2": {"2.0"}}).
			want(t, http.StatusUnprocessableEntity, msg("grading.partly", 1, 1), `<p class="field-error" id="g1-error">graded meanwhile</p>`)
	})
	t.Run("nothing chosen", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		r := p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {""}, "grade:s2": {""}, "final": {"on"}})
		r.want(t, http.StatusUnprocessableEntity, msg("grading.nothing"), `<input type="checkbox" id="final" name="final" checked>`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("study service refuses the file", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 400, `{"status":400,"detail":"line 2: unknown grade"}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}}).
			want(t, http.StatusUnprocessableEntity, msg("grading.badfile", "line 2: unknown grade"))
		if n := len(p.api.sent(uploadKey)); n != 1 {
			t.Errorf("%d uploads", n)
		}
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 500, `{"detail":"boom"}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}}).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestUploadCSV(t *testing.T) {
	t.Parallel()
	const file = "subject;grade\ns1;1,3\ns2;2,0\ns9;1,0\n"
	t.Run("preview, then confirm", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"applied":false,"accepted":2,"refused":1,"rows":[
			{"line":2,"subject":"s1","grade":"1.3","result":"accepted"},{"line":3,"subject":"s2","grade":"2.0","result":"accepted"},
			{"line":4,"subject":"s9","grade":"1.0","result":"refused","reason":"not enrolled in a programme with this lecture"}]}`)
		p.api.on(realRunKey, 200, `{"dry_run":false,"applied":true,"accepted":2,"refused":1}`)
		cookie := p.signIn(staff())
		r := p.upload(cookie, "/grading/l1/upload", "grades.csv", file)
		r.want(t, http.StatusOK, `<p role="status">`+msg("grading.report", 2, 1)+"</p>",
			`<tr class="failed"><td>4</td><td class="code">s9</td><td>1.0</td><td>`+msg("grading.refused.row")+": not enrolled in a programme with this lecture</td></tr>",
			`<tr class="passed"><td>2</td><td class="code">s1</td><td>1.3</td><td>`+msg("grading.accepted")+"</td></tr>",
			`<textarea name="csv" hidden>`+template.HTMLEscapeString(file)+"</textarea>",
			`<input type="hidden" name="confirm" value="1">`, msg("grading.confirm", 2))
		up := p.api.only(t, uploadKey)
		if up.Query != "dry_run=true" || up.Body != file {
			t.Errorf("preview sent %q with %q", up.Query, up.Body)
		}
		wantHeader(t, up, "Content-Type", "text/csv")

		p.post(cookie, "/grading/l1/upload", url.Values{"csv": {file}, "confirm": {"1"}}).redirects(t, "/grading/l1?stored=2")
		ups := p.api.sent(uploadKey)
		if len(ups) != 2 || ups[1].Query != "dry_run=false" || ups[1].Body != file {
			t.Errorf("confirmation sent %+v", ups)
		}
	})
	t.Run("nothing acceptable: no confirmation offered", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"accepted":0,"refused":1,"rows":[{"line":2,"subject":"s9","grade":"1.0","result":"refused","reason":"unknown"}]}`)
		r := p.upload(p.signIn(staff()), "/grading/l1/upload", "grades.csv", "subject,grade\ns9,1.0\n")
		r.want(t, http.StatusOK, msg("grading.report", 0, 1))
		r.lacks(t, `name="confirm"`, `<textarea name="csv"`)
	})
	t.Run("no file", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		cookie := p.signIn(staff())
		p.upload(cookie, "/grading/l1/upload", "", "").want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.upload(cookie, "/grading/l1/upload", "empty.csv", "").want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.post(cookie, "/grading/l1/upload", url.Values{"confirm": {"1"}}).want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.api.none(t, uploadKey)
	})
	t.Run("file refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 400, `{"status":400,"detail":"line 1: there is no subject column"}`)
		p.upload(p.signIn(staff()), "/grading/l1/upload", "grades.csv", "name,grade\nx,1.0\n").
			want(t, http.StatusUnprocessableEntity, msg("grading.badfile", "line 1: there is no subject column"))
	})
}

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
			wantHeader(t, req, "If-Match", `"v7"`)
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
		wantHeader(t, p.api.only(t, "POST /idp/api/v1/users/u1/disable"), "If-Match", `"v6"`)
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
		r.want(t, http.StatusOK, "<h1>"+msg("admin.roles")+"</h1>", `<th scope="row">admin <span class="meta">(`+msg("admin.builtin")+")</span></th><td>Administrators</td>",
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

// ---- administration: the study catalogue

// needUnlock is a form button while editing is locked.
func needUnlock(label string) string {
	return `<button type="submit" disabled>` + msg(label) + " – " + msg("catalogue.needunlock") + "</button>"
}

func TestCatalogueEditingLocked(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	cookie := p.signIn(admin()) // no study token
	r := p.get(cookie, "/admin/programmes")
	r.want(t, http.StatusOK, "<h1>"+msg("catalogue.admin")+"</h1>", msg("catalogue.lockednote"),
		`<form method="post" action="/admin/unlock"><input type="hidden" name="return" value="/admin/programmes">`,
		`<a href="/admin/programmes/p1">B.Sc. Computer Science</a>`, "<td>"+msg("catalogue.status.published")+"</td>",
		needUnlock("catalogue.add.programme"), `name="semesters" value="6"`, `name="credits_required" value="180"`,
		`<option value="draft" selected>`)
	r.lacks(t, msg("catalogue.lock"))
	wantHeader(t, p.api.only(t, "GET /study/v1/programmes"), "Authorization", "Bearer access-token")

	pg := p.get(cookie, "/admin/programmes/p1")
	pg.want(t, http.StatusOK, needUnlock("catalogue.unlink.module"), needUnlock("catalogue.unlink.lecture"),
		needUnlock("catalogue.add.lecture"), needUnlock("catalogue.add.module"), needUnlock("catalogue.save"))
	pg.lacks(t, `<button type="submit">`+msg("catalogue.save"))
	p.get(cookie, "/admin/modules/m1").want(t, http.StatusOK, needUnlock("catalogue.save"))

	locked := msg("catalogue.locked")
	p.post(cookie, "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, `role="alert">`+locked, `name="title" value="Data Science"`)
	p.post(cookie, "/admin/programmes/p1", editForm()).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {"m7"}, "recommended_semester": {"2"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {"l7"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m1"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"unlink-lecture"}, "module": {"m1"}, "lecture": {"l1"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/modules/m1", moduleForm()).want(t, http.StatusForbidden, locked)
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("locked, the portal still sent %v", got)
	}

	// A study token about to end counts as none.
	ending := admin()
	ending.Study, ending.StudyExpiry = "study-token", testNow.Add(3*time.Second)
	p.post(p.signIn(ending), "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, locked)
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("with an ending study token, the portal still sent %v", got)
	}
}

func TestCatalogueStudyTokenRevoked(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("POST /study/v1/programmes", 401, `{"detail":"token revoked"}`)
	p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, msg("catalogue.locked"))
}

func TestLockEditing(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	cookie := p.signIn(unlocked(admin()))
	p.get(cookie, "/admin/programmes").want(t, http.StatusOK, msg("catalogue.unlocked", 15, "10:15"), msg("catalogue.lock"))
	p.post(cookie, "/admin/lock", nil).redirects(t, "/admin/programmes?done=locked")
	r := p.get(cookie, "/admin/programmes?done=locked")
	r.want(t, http.StatusOK, msg("catalogue.done.locked"), msg("catalogue.lockednote"), needUnlock("catalogue.add.programme"))
	r.lacks(t, msg("catalogue.unlocked", 15, "10:15"))
}

// programmeForm is the add-programme form, filled in.
func programmeForm(changes ...string) url.Values {
	f := url.Values{"title": {"Data Science"}, "degree": {"M.Sc."}, "semesters": {"4"}, "credits_required": {"120"},
		"language": {"en"}, "status": {"draft"}, "description": {"All about data."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestCreateProgramme(t *testing.T) {
	t.Parallel()
	t.Run("unlocked page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.get(p.signIn(unlocked(admin())), "/admin/programmes?done=unlocked")
		r.want(t, http.StatusOK, msg("catalogue.done.unlocked"), msg("catalogue.unlocked", 15, "10:15"),
			`<button type="submit">`+msg("catalogue.add.programme")+"</button>")
		r.lacks(t, msg("catalogue.needunlock"), msg("catalogue.lockednote"))
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("semesters", "four"))
		r.want(t, http.StatusUnprocessableEntity, `name="semesters" value="four" autocomplete="off" aria-invalid="true" aria-describedby="semesters-error"`,
			`<p class="field-error" id="semesters-error">`+msg("catalogue.number")+"</p>",
			`name="title" value="Data Science"`, `name="degree" value="M.Sc."`, `name="credits_required" value="120"`,
			">All about data.</textarea>")
		r.lacks(t, `id="credits_required-error"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("created", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 201, `{"id":"p9"}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("title", "  Data Science ")).redirects(t, "/admin/programmes/p9?done=created")
		req := p.api.only(t, "POST /study/v1/programmes")
		wantJSON(t, req, `{"title":"Data Science","degree":"M.Sc.","semesters":4,"credits_required":120,"language":"en","status":"draft","description":"All about data."}`)
		wantHeader(t, req, "Authorization", "Bearer study-token")
		p.get(p.signIn(unlocked(admin())), "/admin/programmes/p1?done=created").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("catalogue.done.created")+"</p>")
	})
	t.Run("field refused by the study service", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 422, `{"status":422,"errors":[{"field":"language","detail":"Use a language tag such as de or en."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("language", "English")).want(t, http.StatusUnprocessableEntity,
			`name="language" value="English" autocomplete="off" aria-invalid="true"`, `<p class="field-error" id="language-error">Use a language tag such as de or en.</p>`,
			`name="title" value="Data Science"`)
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 500, `{"detail":"boom"}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestAdminProgrammePage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("GET /study/v1/programmes/nope", 404, `{"detail":"not found"}`)
	cookie := p.signIn(unlocked(admin()))
	r := p.get(cookie, "/admin/programmes/p1")
	r.want(t, http.StatusOK, "<h1>B.Sc. Computer Science</h1>", msg("catalogue.unlocked", 15, "10:15"),
		`<span class="code">INF-101</span> Programming <span class="meta">`+msg("catalogue.module.meta", 10, 1)+"</span>",
		msg("catalogue.module.meta", 5, 3)+", "+msg("programme.elective"),
		`<a href="/admin/modules/m1?programme=p1">`+msg("catalogue.edit.module")+"</a>",
		`<span class="code">INF-101-V</span> Programming lecture`, msg("catalogue.nolectures"),
		`<option value="m7">MAT-100 Analysis</option>`, `<option value="l7">MAT-100-V Analysis lecture</option>`,
		`<input type="hidden" name="action" value="edit">`, `<input type="hidden" name="version" value="4">`,
		`name="title" value="Computer Science"`, `name="semesters" value="6"`, `<option value="published" selected>`,
		`<button type="submit">`+msg("catalogue.save")+"</button>")
	r.lacks(t, msg("catalogue.needunlock"), `aria-invalid`, "<details open>")
	for _, u := range []string{"GET /study/v1/modules", "GET /study/v1/lectures"} {
		if q, _ := url.ParseQuery(p.api.only(t, u).Query); q.Get("limit") != "200" {
			t.Errorf("%s query %v", u, q)
		}
	}
	p.get(cookie, "/admin/programmes/nope").want(t, http.StatusNotFound, msg("catalogue.noprogramme"))
}

// editForm is the edit-programme form, made from version 4.
func editForm(changes ...string) url.Values {
	f := url.Values{"action": {"edit"}, "version": {"4"}, "title": {"Computer Science and AI"}, "degree": {"B.Sc."}, "semesters": {"7"},
		"credits_required": {"210"}, "language": {"en"}, "status": {"published"}, "description": {"Now with AI."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestEditProgramme(t *testing.T) {
	t.Parallel()
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/programmes/p1", 200, programmeJSON)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm()).redirects(t, "/admin/programmes/p1?done=saved")
		req := p.api.only(t, "PATCH /study/v1/programmes/p1")
		wantHeader(t, req, "If-Match", `"4"`) // the study API's ETags have no v
		wantHeader(t, req, "Authorization", "Bearer study-token")
		wantJSON(t, req, `{"title":"Computer Science and AI","degree":"B.Sc.","semesters":7,"credits_required":210,"language":"en","status":"published","description":"Now with AI."}`)
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("credits_required", "lots"))
		r.want(t, http.StatusUnprocessableEntity, `name="credits_required" value="lots" autocomplete="off" aria-invalid="true"`,
			msg("catalogue.number"), `name="title" value="Computer Science and AI"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI() // the programme is at version 4 now
		p.api.on("PATCH /study/v1/programmes/p1", 412, `{"status":412,"detail":"It was changed meanwhile."}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("version", "3"))
		r.want(t, http.StatusConflict, `<p class="field-error" role="alert">`+msg("catalogue.conflict")+"</p>", msg("profile.conflict.title"),
			"<td>Computer Science</td><td>Computer Science and AI</td>", "<td>6</td><td>7</td>", "<td>180</td><td>210</td>",
			"<td>Programming, systems and theory.</td><td>Now with AI.</td>",
			// The form keeps what was typed, against the version now stored.
			`name="title" value="Computer Science and AI"`, `<input type="hidden" name="version" value="4">`)
		wantHeader(t, p.api.only(t, "PATCH /study/v1/programmes/p1"), "If-Match", `"3"`)
	})
	t.Run("field refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/programmes/p1", 422, `{"status":422,"errors":[{"field":"status","detail":"A published programme cannot go back to draft."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("status", "draft")).want(t, http.StatusUnprocessableEntity,
			`<select id="status" name="status" aria-invalid="true">`, "A published programme cannot go back to draft.", `<option value="draft" selected>`)
	})
}

func TestAddModule(t *testing.T) {
	t.Parallel()
	t.Run("new module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/modules", 201, `{"id":"m9"}`)
		p.api.on("PUT /study/v1/programmes/p1/modules/m9", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-999"}, "title": {"Ethics"}, "credits": {"5"}, "recommended_semester": {"2"}, "compulsory": {"on"}}).
			redirects(t, "/admin/programmes/p1?done=linked")
		made := p.api.only(t, "POST /study/v1/modules")
		wantJSON(t, made, `{"code":"INF-999","title":"Ethics","credits":5}`)
		wantHeader(t, made, "Authorization", "Bearer study-token")
		link := p.api.only(t, "PUT /study/v1/programmes/p1/modules/m9")
		wantJSON(t, link, `{"compulsory":true,"recommended_semester":2}`)
		wantHeader(t, link, "Authorization", "Bearer study-token")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"POST /study/v1/modules", "PUT /study/v1/programmes/p1/modules/m9"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("existing module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PUT /study/v1/programmes/p1/modules/m7", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {"m7"},
			"credits": {"5"}, "recommended_semester": {"4"}}).redirects(t, "/admin/programmes/p1?done=linked")
		wantJSON(t, p.api.only(t, "PUT /study/v1/programmes/p1/modules/m7"), `{"compulsory":false,"recommended_semester":4}`)
		p.api.none(t, "POST /study/v1/modules")
	})
	t.Run("not a number keeps the input", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-999"}, "title": {"Ethics"}, "credits": {"five"}, "recommended_semester": {"2"}})
		r.want(t, http.StatusUnprocessableEntity, `name="credits" value="five" autocomplete="off" aria-invalid="true"`,
			`<p class="field-error" id="credits-error">`+msg("catalogue.number")+"</p>",
			`id="mcode" name="code" value="INF-999"`, `id="mtitle" name="title" value="Ethics"`, `name="recommended_semester" value="2"`,
			// the edit form still shows the programme
			`name="title" value="Computer Science"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("module refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/modules", 409, `{"status":409,"errors":[{"field":"code","detail":"The code INF-101 is taken."}]}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-101"}, "title": {"Again"}, "credits": {"5"}, "recommended_semester": {"1"}})
		r.want(t, http.StatusUnprocessableEntity, `id="mcode" name="code" value="INF-101" autocomplete="off" aria-invalid="true" aria-describedby="mcode-error"`,
			`<p class="field-error" id="mcode-error">The code INF-101 is taken.</p>`)
		p.api.none(t, "PUT /study/v1/programmes/p1/modules/")
		if got := p.api.changes(); len(got) != 1 {
			t.Errorf("changes %v, want only the refused module", got)
		}
	})
}

func TestAddLecture(t *testing.T) {
	t.Parallel()
	t.Run("new lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/lectures", 201, `{"id":"l9"}`)
		p.api.on("PUT /study/v1/modules/m1/lectures/l9", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {""},
			"code": {"INF-101-U"}, "title": {"Programming tutorial"}}).redirects(t, "/admin/programmes/p1?done=linked")
		made := p.api.only(t, "POST /study/v1/lectures")
		wantJSON(t, made, `{"code":"INF-101-U","title":"Programming tutorial"}`)
		wantHeader(t, made, "Authorization", "Bearer study-token")
		wantHeader(t, p.api.only(t, "PUT /study/v1/modules/m1/lectures/l9"), "Authorization", "Bearer study-token")
	})
	t.Run("existing lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PUT /study/v1/modules/m1/lectures/l7", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {"l7"}}).
			redirects(t, "/admin/programmes/p1?done=linked")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"PUT /study/v1/modules/m1/lectures/l7"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("lecture refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/lectures", 422, `{"status":422,"errors":[{"field":"title","detail":"Enter a title."}]}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {""},
			"code": {"INF-101-U"}, "title": {""}})
		// The module's add form is open, with the input and the reason.
		r.want(t, http.StatusUnprocessableEntity, "<details open>", `<input id="lcode-m1" name="code" value="INF-101-U">`,
			`<p class="field-error" role="alert">title: Enter a title.</p>`)
		if strings.Count(r.body, "<details open>") != 1 {
			t.Error("more than one add-lecture form is open")
		}
		p.api.none(t, "PUT /study/v1/modules/m1/lectures/")
	})
}

func TestUnlink(t *testing.T) {
	t.Parallel()
	t.Run("module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/programmes/p1/modules/m2", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m2"}}).
			redirects(t, "/admin/programmes/p1?done=unlinked")
		wantHeader(t, p.api.only(t, "DELETE /study/v1/programmes/p1/modules/m2"), "Authorization", "Bearer study-token")
		p.get(p.signIn(admin()), "/admin/programmes/p1?done=unlinked").want(t, http.StatusOK, msg("catalogue.done.unlinked"))
	})
	t.Run("lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/modules/m1/lectures/l1", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-lecture"}, "module": {"m1"}, "lecture": {"l1"}}).
			redirects(t, "/admin/programmes/p1?done=unlinked")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"DELETE /study/v1/modules/m1/lectures/l1"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/programmes/p1/modules/m1", 409, `{"status":409,"detail":"Students hold grades in this module."}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m1"}}).
			want(t, http.StatusUnprocessableEntity, `<p class="field-error" role="alert">Students hold grades in this module.</p>`)
	})
	t.Run("unknown action", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"delete"}}).want(t, http.StatusBadRequest, msg("error.badform"))
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
}

// moduleForm is the module form, made from version 3.
func moduleForm(changes ...string) url.Values {
	f := url.Values{"version": {"3"}, "programme": {"p1"}, "code": {"INF-101"}, "title": {"Programming 1"}, "credits": {"6"},
		"responsible": {"Prof. Hopper"}, "examination_form": {"project"}, "description": {"Learn to program well."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestEditModule(t *testing.T) {
	t.Parallel()
	t.Run("page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("GET /study/v1/modules/nope", 404, `{"detail":"not found"}`)
		cookie := p.signIn(unlocked(admin()))
		r := p.get(cookie, "/admin/modules/m1?programme=p1&done=saved")
		r.want(t, http.StatusOK, `<a href="/admin/programmes/p1">`+msg("catalogue.back.programme")+"</a>",
			`<h1><span class="code">INF-101</span> Programming</h1>`, msg("catalogue.done.saved"),
			`<input type="hidden" name="version" value="3">`, `<input type="hidden" name="programme" value="p1">`,
			`name="credits" value="10"`, `name="responsible" value="Prof. Lovelace"`, ">Learn to program.</textarea>")
		p.get(cookie, "/admin/modules/m1").want(t, http.StatusOK, `<a href="/admin/programmes">`+msg("catalogue.admin")+"</a>")
		p.get(cookie, "/admin/modules/nope").want(t, http.StatusNotFound, msg("catalogue.nomodule"))
	})
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/modules/m1", 200, moduleJSON)
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm()).redirects(t, "/admin/modules/m1?done=saved&programme=p1")
		req := p.api.only(t, "PATCH /study/v1/modules/m1")
		wantHeader(t, req, "If-Match", `"3"`)
		wantHeader(t, req, "Authorization", "Bearer study-token")
		wantJSON(t, req, `{"code":"INF-101","title":"Programming 1","credits":6,"responsible":"Prof. Hopper","examination_form":"project","description":"Learn to program well."}`)
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("credits", "6.5")).want(t, http.StatusUnprocessableEntity,
			`name="credits" value="6.5" autocomplete="off" aria-invalid="true"`, msg("catalogue.number"), `name="title" value="Programming 1"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI() // the module is at version 3 now
		p.api.on("PATCH /study/v1/modules/m1", 412, `{"status":412,"detail":"It was changed meanwhile."}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("version", "2"))
		r.want(t, http.StatusConflict, msg("catalogue.conflict"), msg("profile.conflict.title"),
			"<td>Programming</td><td>Programming 1</td>", "<td>10</td><td>6</td>", "<td>Prof. Lovelace</td><td>Prof. Hopper</td>",
			`name="title" value="Programming 1"`, `<input type="hidden" name="version" value="3">`)
		wantHeader(t, p.api.only(t, "PATCH /study/v1/modules/m1"), "If-Match", `"2"`)
	})
	t.Run("field refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/modules/m1", 422, `{"status":422,"errors":[{"field":"credits","detail":"Credits are 1 to 60."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("credits", "0")).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" id="credits-error">Credits are 1 to 60.</p>`, `name="credits" value="0"`)
	})
}

// ---- registration

func registerForm(changes ...string) url.Values {
	f := url.Values{"given_name": {"Ada"}, "family_name": {"Lovelace"}, "username": {"ada"}, "email": {"ada@uni.example"},
		"password": {"correct horse"}, "password_again": {"correct horse"}, "programme_id": {"p1"}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestRegisterPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/programmes", 200, programmesJSON)
	r := p.get("", "/register?programme=p1")
	r.want(t, http.StatusOK, "<h1>"+msg("register.title")+"</h1>", `<option value="">`+msg("register.programme.later")+"</option>",
		`<option value="p1" selected>B.Sc. Computer Science</option>`, `<option value="p2">M.Sc. Mathematics</option>`,
		`name="password" value="" autocomplete="new-password"`)
	r.lacks(t, `aria-invalid`)
	req := p.api.only(t, "GET /study/v1/programmes")
	wantHeader(t, req, "Authorization", "")
	if q, _ := url.ParseQuery(req.Query); q.Get("limit") != "200" {
		t.Errorf("programmes query %v", q)
	}
	p.get("", "/register/done").want(t, http.StatusOK, msg("register.done.title"), msg("register.done"), `href="/auth/login?return=/my"`)

	p.api.on("GET /study/v1/programmes", 500, `{"detail":"boom"}`)
	p.get("", "/register").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

func TestRegister(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *portalTest {
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		return p
	}
	t.Run("fields missing", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		r := p.post("", "/register", url.Values{"given_name": {"  "}, "email": {"ada@uni.example"}})
		r.want(t, http.StatusUnprocessableEntity, `name="email" value="ada@uni.example"`)
		for _, f := range []string{"given_name", "family_name", "username", "password"} {
			r.want(t, http.StatusUnprocessableEntity, `name="`+f+`" value="" autocomplete=`, `<p class="field-error" id="`+f+`-error">`+msg("register.missing")+"</p>")
		}
		r.lacks(t, `id="email-error"`)
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("passwords differ", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		r := p.post("", "/register", registerForm("password_again", "correct horsf"))
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="password_again-error">`+msg("profile.password.mismatch")+"</p>",
			`name="password_again" value="" autocomplete="new-password" aria-invalid="true"`,
			`name="given_name" value="Ada"`, `name="username" value="ada"`, `<option value="p1" selected>`)
		r.lacks(t, "correct horse")
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("user name taken", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 409, `{"status":409,"detail":"Refused.","errors":[{"field":"username","detail":"This user name is taken."}]}`)
		r := p.post("", "/register", registerForm())
		r.want(t, http.StatusUnprocessableEntity, `name="username" value="ada" autocomplete="username" aria-invalid="true" aria-describedby="username-error"`,
			`<p class="field-error" id="username-error">This user name is taken.</p>`, `name="family_name" value="Lovelace"`)
		r.lacks(t, "correct horse")
	})
	t.Run("unknown programme", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("GET /study/v1/programmes/gone", 404, `{"detail":"not found"}`)
		p.post("", "/register", registerForm("programme_id", "gone")).want(t, http.StatusUnprocessableEntity,
			`<select id="programme_id" name="programme_id" aria-invalid="true" aria-describedby="programme_id-error">`,
			msg("register.programme.unknown"))
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("too many", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 429, `{"status":429,"detail":"Too many registrations."}`)
		p.post("", "/register", registerForm()).want(t, http.StatusTooManyRequests, `<p class="field-error" role="alert">`+msg("register.toomany")+"</p>")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 500, `{"detail":"boom"}`)
		p.post("", "/register", registerForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
	for _, tt := range []struct{ remote, forwarded string }{
		{"203.0.113.7:51234", "203.0.113.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
	} {
		t.Run("made from "+tt.forwarded, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9"}`)
			form := registerForm("username", " ada ")
			r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.RemoteAddr = tt.remote
			p.do("", r).redirects(t, "/register/done?confirm=1")
			req := p.api.only(t, "POST /idp/api/v1/registrations")
			wantHeader(t, req, "X-Forwarded-For", tt.forwarded)
			wantHeader(t, req, "Authorization", "")
			wantJSON(t, req, `{"username":"ada","email":"ada@uni.example","password":"correct horse","given_name":"Ada","family_name":"Lovelace",
				"programme_id":"p1","programme_title":"B.Sc. Computer Science"}`)
		})
	}
	t.Run("programme chosen later", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9"}`)
		p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9","email_verified":true}`)
		p.post("", "/register", registerForm("programme_id", "")).redirects(t, "/register/done")
		body := jsonBody(t, p.api.only(t, "POST /idp/api/v1/registrations"))
		if _, ok := body["programme_id"]; ok {
			t.Errorf("sent a programme: %v", body)
		}
		p.api.none(t, "GET /study/v1/programmes/p1")
	})
}

// ---- API access

const keysJSON = `{"items":[{"id":"k1","name":"calendar","prefix":"campus_AbCdEf","created_at":"2026-11-01T10:00:00Z","expires_at":null,"last_used_at":"2026-11-20T08:30:00Z"}]}`

func TestAPIAccessPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
	p.get(p.signIn(student()), "/api-access").want(t, http.StatusOK, msg("apikeys.title"), "calendar", "campus_AbCdEf…", msg("apikeys.never"),
		"/v1/me/grades?key=YOUR_KEY", `action="/api-access/k1/revoke"`)
	p2 := newPortal(t)
	p2.api.on("GET /idp/api/v1/me/api-keys", 500, `{}`)
	p2.get(p2.signIn(student()), "/api-access").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

func TestCreateAPIKey(t *testing.T) {
	t.Parallel()
	t.Run("made, shown once", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
		p.api.on("POST /idp/api/v1/me/api-keys", 201, `{"id":"k2","name":"sheet","prefix":"campus_XyZ123","key":"campus_XyZ123secretsecretsecretsecretsecretsecret","created_at":"2026-11-22T09:00:00Z","expires_at":null,"last_used_at":null}`)
		r := p.post(p.signIn(student()), "/api-access", url.Values{"name": {"sheet"}, "days": {"0"}})
		r.want(t, http.StatusCreated, msg("apikeys.new.once"), `value="campus_XyZ123secretsecretsecretsecretsecretsecret"`,
			"/v1/me/grades?key=campus_XyZ123secretsecretsecretsecretsecretsecret")
		wantJSON(t, p.api.only(t, "POST /idp/api/v1/me/api-keys"), `{"name":"sheet"}`)
	})
	t.Run("with an expiry", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, `{"items":[]}`)
		p.api.on("POST /idp/api/v1/me/api-keys", 201, `{"id":"k3","name":"x","prefix":"campus_a","key":"campus_abc","created_at":"2026-11-22T09:00:00Z"}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {"x"}, "days": {"30"}}).want(t, http.StatusCreated)
		body := jsonBody(t, p.api.only(t, "POST /idp/api/v1/me/api-keys"))
		if exp, _ := body["expires_at"].(string); exp == "" {
			t.Fatalf("no expiry sent: %v", body)
		}
	})
	t.Run("no name, bad expiry", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, `{"items":[]}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {" "}, "days": {"forever"}}).
			want(t, http.StatusUnprocessableEntity, `id="name-error"`, `id="days-error"`, msg("apikeys.days.invalid"))
		p.api.none(t, "POST /idp/api/v1/me/api-keys")
	})
	t.Run("refused by identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
		p.api.on("POST /idp/api/v1/me/api-keys", 409, `{"status":409,"detail":"You have 20 keys already; revoke one you no longer use first."}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {"one too many"}, "days": {"90"}}).
			want(t, http.StatusUnprocessableEntity, "You have 20 keys already", `value="one too many"`)
	})
}

func TestRevokeAPIKey(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("DELETE /idp/api/v1/me/api-keys/k1", 204, ``)
	p.post(p.signIn(student()), "/api-access/k1/revoke", nil).redirects(t, "/api-access?done=revoked")
	p.api.only(t, "DELETE /idp/api/v1/me/api-keys/k1")
	p2 := newPortal(t)
	p2.api.on("DELETE /idp/api/v1/me/api-keys/k1", 500, `{}`)
	p2.post(p2.signIn(student()), "/api-access/k1/revoke", nil).want(t, http.StatusBadGateway)
}
