package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/api/spectest"
	"campus/internal/messages/realtime"
	"campus/internal/messages/store"
	"campus/internal/problem"
	"campus/internal/tokencheck"
)

// The people of the tests, by subject id.
const (
	alice   = "sub-alice"   // student; admin of the group
	bob     = "sub-bob"     // student; a member of the group, not an admin
	erin    = "sub-erin"    // student; was a member of the group
	mallory = "sub-mallory" // student; in no conversation of the others
	oscar   = "sub-oscar"   // staff; admin of another group
	carol   = "sub-carol"   // staff, in alice's programme
	root    = "sub-root"    // administrator
	ghost   = "sub-ghost"   // unknown to identity
	study   = "campus-study"
)

// tokens stands in for identity's signature check: each token is a
// caller's claims (a JWT has two dots).
type tokens map[string]*tokencheck.Claims

func (t tokens) Verify(_ context.Context, raw string) (*tokencheck.Claims, error) {
	if c, ok := t[raw]; ok {
		return c, nil
	}
	return nil, errors.New("unknown token")
}

// keys stands in for identity's introspection of API keys.
type keys map[string]*tokencheck.Introspection

func (k keys) Introspect(_ context.Context, raw string) (*tokencheck.Introspection, error) {
	if in, ok := k[raw]; ok {
		return in, nil
	}
	return nil, tokencheck.ErrInactive
}

// directory stands in for identity's people.
type directory map[string]messages.Person

func (d directory) Lookup(_ context.Context, ids []string) (map[string]messages.Person, error) {
	out := map[string]messages.Person{}
	for _, id := range ids {
		if p, ok := d[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

func (d directory) Search(_ context.Context, q string, limit int) ([]messages.Person, error) {
	var out []messages.Person
	for _, p := range d {
		if strings.HasPrefix(strings.ToLower(p.DisplayName), strings.ToLower(q)) || strings.HasPrefix(p.Username, strings.ToLower(q)) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b messages.Person) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(len(out), limit)], nil
}

var people = directory{
	alice:   {ID: alice, DisplayName: "Alice Adler", Username: "alice", Roles: []string{"student"}},
	bob:     {ID: bob, DisplayName: "Bob Becker", Username: "bob", Roles: []string{"student"}},
	erin:    {ID: erin, DisplayName: "Erin Engel", Username: "erin", Roles: []string{"student"}},
	mallory: {ID: mallory, DisplayName: "Mallory Maier", Username: "mallory", Roles: []string{"student"}},
	oscar:   {ID: oscar, DisplayName: "Oscar Ott", Username: "oscar", Roles: []string{"staff"}},
	carol:   {ID: carol, DisplayName: "Carol Clausen", Username: "carol", Roles: []string{"staff"}},
	root:    {ID: root, DisplayName: "Root Admin", Username: "root", Roles: []string{"admin"}},
}

// tokenOf is each person's access token.
func tokenOf(sub string) string { return "tok." + sub + ".x" }

const (
	keyBob       = "key-of-bob"    // bob's API key
	serviceToken = "tok.service.x" // a service's token without messages:notify
	notifyToken  = "tok.study.x"   // the study service's token with messages:notify
	readerToken  = "tok.reader.x"  // bob's token with messages:read only
)

// env is the messages API over a fresh SQLite store, with a group
// (alice admin, bob member, erin former member), a direct conversation
// of alice and bob, a message of alice's with a file, another group of
// oscar's, and a course group of alice, bob and carol.
type env struct {
	t       testing.TB
	h       http.Handler
	st      *store.Store
	hub     *realtime.Hub
	v       *spectest.V
	group   messages.Conversation
	direct  messages.Conversation
	other   messages.Conversation
	message messages.Message
	file    string // the attachment's id
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, people)
}

func newEnvWith(t testing.TB, dir People) *env {
	t.Helper()
	return newEnvOn(t, dbtest.SQLite(t, store.Migrations), dir)
}

// newEnvOn is the env over d (SQLite or PostgreSQL), wired as the
// service wires it.
func newEnvOn(t testing.TB, d *db.DB, dir People) *env {
	t.Helper()
	st := store.New(d, time.Now)
	hub := realtime.New(st, d, nil, time.Now)
	hub.Enrich = Enrich(st)
	if d.Dialect() == db.SQLite {
		st.Published = hub.Deliver
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go hub.Run(ctx)
	tok := tokens{}
	for sub, p := range people {
		tok[tokenOf(sub)] = &tokencheck.Claims{Subject: sub, ClientID: "portal", Scopes: []string{scopeRead, scopeWrite}, Roles: p.Roles,
			Expiry: time.Now().Add(time.Hour)}
	}
	tok[serviceToken] = &tokencheck.Claims{Subject: "campus-other", ClientID: "campus-other", Expiry: time.Now().Add(time.Hour)}
	tok[notifyToken] = &tokencheck.Claims{Subject: study, ClientID: study, Scopes: []string{scopeNotify}, Expiry: time.Now().Add(time.Hour)}
	tok[readerToken] = &tokencheck.Claims{Subject: bob, ClientID: "portal", Scopes: []string{scopeRead}, Roles: []string{"student"}, Expiry: time.Now().Add(time.Hour)}
	deps := Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  st,
		Hub:    hub,
		JWT:    tok,
		Keys:   keys{keyBob: {Subject: bob, ClientID: "api-key:1", Scopes: []string{"read"}}},
		Now:    time.Now,
	}
	if dir != nil {
		deps.People = dir
	}
	h, err := NewServer(deps)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: problem.Localize(h), st: st, hub: hub, v: spectest.Validator(t)}
	bg := context.Background()
	e.group, _, err = st.CreateConversation(bg, alice, store.NewConversation{Kind: messages.KindGroup, Name: "Lerngruppe", Members: []string{bob, erin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveMember(bg, alice, e.group.ID, erin); err != nil {
		t.Fatal(err)
	}
	if e.direct, _, err = st.CreateConversation(bg, alice, store.NewConversation{Kind: messages.KindDirect, Members: []string{bob}}); err != nil {
		t.Fatal(err)
	}
	if e.other, _, err = st.CreateConversation(bg, oscar, store.NewConversation{Kind: messages.KindGroup, Name: "Oscars", Members: []string{mallory}}); err != nil {
		t.Fatal(err)
	}
	e.message, err = st.Send(bg, alice, e.group.ID, store.NewMessage{Text: "Hallo **Gruppe**", Attachments: []messages.NewAttachment{
		{Name: "plan.txt", ContentType: "text/plain; charset=utf-8", Data: []byte("Plan\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	e.file = e.message.Attachments[0].ID
	if _, err := st.SyncCourseGroups(bg, []messages.CourseGroup{{CourseKind: "programme", CourseID: "p1", Name: "Informatik B.Sc.",
		Students: []string{alice, bob}, Staff: []string{carol}}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// req is a request to the API.
type req struct {
	method, path string
	body         any               // JSON unless a []byte or string
	header       map[string]string // extra headers
	ctype        string            // Content-Type of a []byte body
}

// do makes r as the caller with token (a JWT, an API key, or "" for
// none), checks the exchange against the spec, and returns the status
// and body.
func (e *env) do(token string, r req) (*http.Response, []byte) {
	e.t.Helper()
	var body io.Reader
	ctype := r.ctype
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
		if ctype == "" {
			ctype = "application/json"
		}
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
		ctype = "application/json"
	}
	hr, err := http.NewRequest(r.method, r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.URL.Scheme, hr.URL.Host = "", ""
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if strings.HasPrefix(r.path, "/v1/events") {
		// The stream lasts until the token expires: end it soon.
		ctx, cancel := context.WithTimeout(hr.Context(), 200*time.Millisecond)
		defer cancel()
		hr = hr.WithContext(ctx)
	}
	return e.v.Do(e.t, e.h, hr)
}

// decode reads a JSON body into v.
func decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// form is a multipart/form-data body: fields, then files.
func form(t testing.TB, fields map[string]string, files ...file) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("attachment", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

type file struct {
	name string
	data []byte
}

// httptestDo serves a request outside the spec (an address it does not
// have).
func httptestDo(e *env, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}
