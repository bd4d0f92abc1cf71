package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
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
	header http.Header // sent as well (a file's headers); nil: JSON
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
	// handlers answer "METHOD /path" themselves (an event stream).
	handlers map[string]http.Handler
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.handlers[r.Method+" "+r.URL.Path]
	if h != nil {
		f.reqs = append(f.reqs, apiRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()})
	}
	f.mu.Unlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, apiRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)})
	a, ok := f.answers[r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery]
	if !ok {
		a, ok = f.answers[r.Method+" "+r.URL.Path]
	}
	f.mu.Unlock()
	if !ok {
		a = answer{status: http.StatusNotFound, body: `{"status":404,"detail":"no canned answer"}`}
	}
	switch {
	case a.header != nil:
		for k, v := range a.header {
			w.Header()[k] = v
		}
	case a.status/100 == 2:
		w.Header().Set("Content-Type", "application/json")
	default:
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
	f.answers[key] = answer{status: status, body: body}
}

// onRaw sets an answer with its own headers (a file, an event stream).
func (f *fakeAPI) onRaw(key string, status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[key] = answer{status: status, body: body, header: header}
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
	t        testing.TB
	h        http.Handler
	api      *fakeAPI
	sessions *store.Store
	rp       *relyingParty // seals session tokens with the portal's key
}

// newPortal makes the portal; opts change its Deps first (withMessaging).
func newPortal(t testing.TB, opts ...func(*Deps, *fakeAPI)) *portalTest {
	t.Helper()
	api := &fakeAPI{answers: map[string]answer{}}
	api.srv = httptest.NewServer(api)
	t.Cleanup(api.srv.Close)
	now := func() time.Time { return testNow }
	sessions := store.New(dbtest.SQLite(t, store.Migrations), now)
	secret := []byte("handler test secret")
	d := Deps{
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
	}
	for _, o := range opts {
		o(&d, api)
	}
	h, err := NewServer(d)
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
	return p.signInAt(tok, "sid-1")
}

// signInAt is signIn in identity's session sid.
func (p *portalTest) signInAt(tok tokens, sid string) string {
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
	if err := p.sessions.Create(context.Background(), store.Session{IDHash: hashID(id), Subject: "subject-1", IdPSID: sid,
		Data: []byte(sealed), CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func student() tokens {
	return tokens{Name: "Ada Student", Roles: []string{"student"}, Scopes: []string{"openid", "profile", "email", "messages:read", "messages:write"}}
}

func staff() tokens {
	return tokens{Name: "Grace Staff", Roles: []string{"staff"}, Scopes: []string{"openid", "profile", "grades:read", "grades:write", "messages:read", "messages:write"}}
}

// admin is an administrator as the portal signs one in: the study token
// (studies:write) comes only with unlocking.
func admin() tokens {
	return tokens{Name: "Root Admin", Roles: []string{"admin"},
		Scopes: []string{"openid", "profile", "users:read", "users:write", "roles:write", "grades:read", "grades:write", "messages:read", "messages:write", "events:write"}}
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
