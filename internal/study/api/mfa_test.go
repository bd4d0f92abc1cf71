package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/problem"
	"campus/internal/study"
	"campus/internal/study/api/spectest"
	"campus/internal/study/store"
	"campus/internal/tokencheck"
)

// The callers of the tests of RequireMFA: each token is a JWT (two dots)
// whose claims say how the person signed in.
const (
	adminPwd   = "admin.pwd.x"   // studies:write, password only
	adminMFA   = "admin.mfa.x"   // studies:write, password and authenticator app
	adminOld   = "admin.old.x"   // studies:write, issued before tokens had amr
	staffPwd   = "staff.pwd.x"   // grades:read and grades:write, password only
	staffMFA   = "staff.mfa.x"   // the same with a passkey
	studentPwd = "student.pwd.x" // a student, password only
	serviceTok = "service.tok.x" // a service's client-credentials token with grades:write
	// allScopesPwd holds every scope of the API, password only.
	allScopesPwd = "all.pwd.x"
)

const ada = "0190f3a4-8b1c-7d2e-9f00-0000000000ad"

// mfaTokens are the claims of the callers above.
func mfaTokens() tokens {
	admin := func(amr ...string) *tokencheck.Claims {
		return &tokencheck.Claims{Subject: "0190f3a4-8b1c-7d2e-9f00-00000000000b", ClientID: "portal",
			Scopes: []string{"openid", "studies:write"}, Roles: []string{"admin"}, AMR: amr}
	}
	staff := func(amr ...string) *tokencheck.Claims {
		return &tokencheck.Claims{Subject: graderSub, ClientID: "portal",
			Scopes: []string{"openid", "grades:read", "grades:write"}, Roles: []string{"staff"}, AMR: amr}
	}
	return tokens{
		adminPwd:   admin("pwd"),
		adminMFA:   admin("pwd", "otp", "mfa"),
		adminOld:   admin(),
		staffPwd:   staff("pwd"),
		staffMFA:   staff("hwk", "user", "mfa"),
		studentPwd: {Subject: "0190f3a4-8b1c-7d2e-9f00-0000000000c1", ClientID: "portal", Scopes: []string{"openid"}, Roles: []string{"student"}, AMR: []string{"pwd"}},
		serviceTok: {Subject: "campus-exams", ClientID: "campus-exams", Scopes: []string{"grades:write"}},
		allScopesPwd: {Subject: graderSub, ClientID: "portal", AMR: []string{"pwd"},
			Scopes: []string{"studies:write", "grades:read", "grades:write", "rosters:read"}, Roles: []string{"admin", "staff"}},
	}
}

// mfaAPI is the study API with RequireMFA as given, wrapped in
// problem.Localize as cmd/campus mounts it, over a catalogue of one
// published programme with a module and a lecture, and ada enrolled.
type mfaAPI struct {
	h                  http.Handler
	programme, lecture string
}

func newMFAAPI(t *testing.T, requireMFA bool) mfaAPI {
	t.Helper()
	ctx := context.Background()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now)
	c, err := st.CreateProgramme(ctx, study.Programme{Title: "B.Sc. Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Language: "en", Status: study.ProgrammePublished})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateModule(ctx, study.Module{Code: "INF-101", Title: "Programming", Credits: 10})
	if err != nil {
		t.Fatal(err)
	}
	lec, err := st.CreateLecture(ctx, study.Lecture{Code: "L-1", Title: "Programming I", HoursPerWeek: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkLecture(ctx, m.ID, lec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.ID, ModuleID: m.ID, Compulsory: true, RecommendedSemester: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enrol(ctx, study.Enrolment{Subject: ada, ProgrammeID: c.ID}, false); err != nil {
		t.Fatal(err)
	}
	h, err := NewServer(Deps{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer:     "https://id.uni.example",
		Store:      st,
		JWT:        mfaTokens(),
		Keys:       fakeKeys{},
		People:     &knownPeople{ids: map[string]bool{ada: true, "0190f3a4-8b1c-7d2e-9f00-0000000000be": true}},
		Now:        time.Now,
		RequireMFA: requireMFA,
	})
	if err != nil {
		t.Fatal(err)
	}
	return mfaAPI{h: problem.Localize(h), programme: c.ID, lecture: lec.ID}
}

// The answer to a change without a second factor (RFC 9470 section 3).
const (
	stepUpChallenge = `Bearer realm="campus", error="insufficient_user_authentication", ` +
		`error_description="this change needs a sign-in with a second factor", acr_values="urn:campus:acr:mfa"`
	stepUpTitle    = "Second factor needed"
	stepUpDetail   = "This change needs a sign-in with a second factor (a passkey or an authenticator app). Sign in again with one, then repeat the change."
	stepUpTitleDE  = "Zweiter Faktor nötig"
	stepUpDetailDE = "Diese Änderung braucht eine Anmeldung mit einem zweiten Faktor (einem Passkey oder einer Authenticator-App). Melden Sie sich damit erneut an und wiederholen Sie dann die Änderung."
)

// TestRequireMFA: with RequireMFA, the catalogue's and grades' changes
// need a token whose amr has mfa, and answer any other valid token with
// the step-up challenge of RFC 9470 section 3 and a problem document in
// the client's language; reads, people's own enrolments and the API
// without the setting are as before. Every exchange is checked against
// api/study.yaml.
func TestRequireMFA(t *testing.T) {
	t.Parallel()
	programme := `{"title":"M.Sc. Data Science","degree":"M.Sc.","semesters":4,"credits_required":120}`
	tests := []struct {
		name       string
		requireMFA bool
		method     string
		path       string // {programme} and {lecture} stand for the fixture's ids
		token      string
		body       string // JSON, or CSV for an upload
		lang       string
		status     int
		stepUp     bool // the answer is the step-up challenge
	}{
		// The catalogue (studies:write).
		{name: "catalogue change with a password only", requireMFA: true, method: "POST", path: "/v1/programmes", token: adminPwd, body: programme, status: 401, stepUp: true},
		{name: "catalogue change with a password only, in German", requireMFA: true, method: "POST", path: "/v1/programmes", token: adminPwd, body: programme, lang: "de", status: 401, stepUp: true},
		{name: "catalogue change with a token from before amr", requireMFA: true, method: "POST", path: "/v1/programmes", token: adminOld, body: programme, status: 401, stepUp: true},
		{name: "catalogue change with a second factor", requireMFA: true, method: "POST", path: "/v1/programmes", token: adminMFA, body: programme, status: 201},
		{name: "catalogue change with a password only, not required", method: "POST", path: "/v1/programmes", token: adminPwd, body: programme, status: 201},
		{name: "catalogue link with a password only", requireMFA: true, method: "DELETE", path: "/v1/programmes/{programme}/staff/" + graderSub, token: adminPwd, status: 401, stepUp: true},
		// Without the scope, the scope is what is missing: 403 first.
		{name: "catalogue change without the scope", requireMFA: true, method: "POST", path: "/v1/programmes", token: staffPwd, body: programme, status: 403},
		// API keys never change anything, and never carry mfa.
		{name: "catalogue change with an API key", requireMFA: true, method: "POST", path: "/v1/programmes", token: testAPIKey, body: programme, status: 403},
		{name: "grade with an API key", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades", token: testAPIKey,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, status: 403},

		// Grades and others' enrolments (grades:write).
		{name: "grade with a password only", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades", token: staffPwd,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, status: 401, stepUp: true},
		{name: "grade with a password only, in German", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades", token: staffPwd,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, lang: "de-DE,de;q=0.9", status: 401, stepUp: true},
		{name: "grade with a second factor", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades", token: staffMFA,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, status: 201},
		{name: "grade with a password only, not required", method: "POST", path: "/v1/lectures/{lecture}/grades", token: staffPwd,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, status: 201},
		{name: "grade file, even a dry run, with a password only", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades/upload?dry_run=true", token: staffPwd,
			body: "subject,grade\n" + ada + ",1.3\n", status: 401, stepUp: true},
		{name: "grade file with a second factor", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades/upload?dry_run=true", token: staffMFA,
			body: "subject,grade\n" + ada + ",1.3\n", status: 200},
		{name: "enrolling someone with a password only", requireMFA: true, method: "POST", path: "/v1/enrolments", token: staffPwd,
			body: `{"subject":"0190f3a4-8b1c-7d2e-9f00-0000000000be","programme_id":"{programme}"}`, status: 401, stepUp: true},
		{name: "enrolling someone with a second factor", requireMFA: true, method: "POST", path: "/v1/enrolments", token: staffMFA,
			body: `{"subject":"0190f3a4-8b1c-7d2e-9f00-0000000000be","programme_id":"{programme}"}`, status: 201},
		{name: "grade by a service, whose token has no amr", requireMFA: true, method: "POST", path: "/v1/lectures/{lecture}/grades", token: serviceTok,
			body: `{"subject":"` + ada + `","grade":"1.3","graded_on":"2026-02-14"}`, status: 401, stepUp: true},

		// Reads are as before.
		{name: "public read with a password only", requireMFA: true, method: "GET", path: "/v1/programmes", token: adminPwd, status: 200},
		{name: "staff read with a password only", requireMFA: true, method: "GET", path: "/v1/lectures/{lecture}/grades", token: staffPwd, status: 200},
		{name: "enrolments read with a password only", requireMFA: true, method: "GET", path: "/v1/enrolments", token: staffPwd, status: 200},
		{name: "own enrolments read with an API key", requireMFA: true, method: "GET", path: "/v1/me/enrolments", token: testAPIKey, status: 200},

		// A person's own enrolment is theirs to change without a second
		// factor.
		{name: "own enrolment with a password only", requireMFA: true, method: "POST", path: "/v1/me/enrolments", token: studentPwd,
			body: `{"programme_id":"{programme}"}`, status: 201},
	}
	v := spectest.Validator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newMFAAPI(t, tt.requireMFA)
			ids := strings.NewReplacer("{programme}", a.programme, "{lecture}", a.lecture)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(ids.Replace(tt.body))
			}
			req := httptest.NewRequest(tt.method, ids.Replace(tt.path), body)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
				if strings.HasPrefix(tt.body, "subject,") {
					req.Header.Set("Content-Type", "text/csv")
				}
			}
			if tt.method == "PATCH" || tt.method == "DELETE" {
				req.Header.Set("If-Match", "*")
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			if tt.lang != "" {
				req.Header.Set("Accept-Language", tt.lang)
			}
			resp, raw := v.Do(t, a.h, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			ch := resp.Header.Get("WWW-Authenticate")
			if !tt.stepUp {
				if strings.Contains(ch, "insufficient_user_authentication") {
					t.Errorf("WWW-Authenticate = %q", ch)
				}
				return
			}
			if ch != stepUpChallenge {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", ch, stepUpChallenge)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var p problem.Details
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			want := problem.Details{Status: http.StatusUnauthorized, Title: stepUpTitle, Detail: stepUpDetail}
			wantLang := ""
			if tt.lang != "" {
				want.Title, want.Detail, wantLang = stepUpTitleDE, stepUpDetailDE, "de"
			}
			if p.Status != want.Status || p.Title != want.Title || p.Detail != want.Detail || p.Type != "" || len(p.Errors) != 0 {
				t.Errorf("problem\n got %+v\nwant %+v", p, want)
			}
			if cl := resp.Header.Get("Content-Language"); cl != wantLang {
				t.Errorf("Content-Language = %q, want %q", cl, wantLang)
			}
		})
	}
}

// TestRequireMFAGuardsEveryWrite: under RequireMFA, every route that
// changes something and is not a person's own (/v1/me/) answers a
// password-only token holding every scope with the step-up challenge, and
// no other route does; so a new change cannot slip past the setting.
func TestRequireMFAGuardsEveryWrite(t *testing.T) {
	t.Parallel()
	a := newMFAAPI(t, true)
	d, err := newDocs()
	if err != nil {
		t.Fatal(err)
	}
	guarded := 0
	for _, rt := range (&server{store: &store.Store{}}).routes(d) {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{id}", "x", "{moduleId}", "x", "{lectureId}", "x", "{sub}", "x").Replace(path)
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+allScopesPwd)
		w := httptest.NewRecorder()
		a.h.ServeHTTP(w, req)
		stepped := w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == stepUpChallenge
		changesOthers := method != http.MethodGet && !strings.HasPrefix(path, "/v1/me/")
		if stepped != changesOthers {
			t.Errorf("%s: step-up %v, want %v (%d %s)", rt.pattern, stepped, changesOthers, w.Code, w.Body)
		}
		if stepped {
			guarded++
		}
	}
	if guarded < 20 {
		t.Errorf("only %d routes guarded; is the table of routes read?", guarded)
	}
}

// TestSpecDescribesTheStepUp: api/study.yaml documents the step-up answer
// (ChangeUnauthorized) as the 401 of exactly the operations that need
// studies:write or grades:write, the ones RequireMFA guards.
func TestSpecDescribesTheStepUp(t *testing.T) {
	t.Parallel()
	doc := spectest.Validator(t).Document()
	const ref = "#/components/responses/ChangeUnauthorized"
	r := doc.Components.Responses["ChangeUnauthorized"]
	if r == nil || r.Value.Headers["WWW-Authenticate"] == nil || !strings.Contains(*r.Value.Description, stepUpChallenge) ||
		!strings.Contains(*r.Value.Description, stepUpDetail) {
		t.Fatal("components.responses.ChangeUnauthorized does not give the challenge and the detail the API answers")
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			guarded := false
			for _, s := range scopesOf(op) {
				guarded = guarded || secondFactorScopes[s]
			}
			got := op.Responses.Status(http.StatusUnauthorized)
			if documented := got != nil && got.Ref == ref; documented != guarded {
				t.Errorf("%s %s: 401 is ChangeUnauthorized: %v, want %v", method, path, documented, guarded)
			}
			if guarded {
				n++
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d operations need studies:write or grades:write; is x-scopes read?", n)
	}
}
