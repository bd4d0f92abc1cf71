package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/api/spectest"
	"campus/internal/study/store"
)

// TestMyOverviewWithoutProgramme: without programme_id, /v1/me/overview
// answers for the programme the caller studies: 404 when enrolled in
// none, the one active enrolment, 400 naming programme_id with several,
// and with none active the most recent one.
func TestMyOverviewWithoutProgramme(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	ctx := context.Background()
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(raw, "not enrolled in any programme") {
		t.Fatalf("enrolled in none: %d %s", resp.StatusCode, raw)
	}
	first, err := a.store.Enrol(ctx, study.Enrolment{Subject: graderSub, ProgrammeID: a.c.ID, Since: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+a.c.ID+`"`) {
		t.Fatalf("one programme: %d %s", resp.StatusCode, raw)
	}
	other, err := a.store.CreateProgramme(ctx, study.Programme{Title: "M.Sc. Computer Science", Degree: "M.Sc.", Semesters: 4, CreditsRequired: 120, Language: "en", Status: study.ProgrammePublished})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.store.Enrol(ctx, study.Enrolment{Subject: graderSub, ProgrammeID: other.ID, Since: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(raw, `"field":"programme_id"`) {
		t.Fatalf("two programmes: %d %s", resp.StatusCode, raw)
	}
	if resp, raw := a.do("GET", "/v1/me/overview?programme_id="+a.c.ID, "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+a.c.ID+`"`) {
		t.Fatalf("one of two named: %d %s", resp.StatusCode, raw)
	}
	// Neither active: the most recent enrolment.
	for _, e := range []study.Enrolment{first.Enrolment, second.Enrolment} {
		if _, err := a.store.SetEnrolmentStatus(ctx, e.ID, e.Version, study.EnrolmentCompleted); err != nil {
			t.Fatal(err)
		}
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+other.ID+`"`) {
		t.Fatalf("none active: %d %s", resp.StatusCode, raw)
	}
	if resp, raw := a.do("GET", "/v1/me/overview?programme_id=01a244a2-7acf-7c7e-bcb5-30c085e7261d", "", ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(raw, "not enrolled in this programme") {
		t.Fatalf("another programme: %d %s", resp.StatusCode, raw)
	}
}

// keysOf stands in for identity's introspection: each key is a caller.
type keysOf map[string]*Principal

func (k keysOf) Introspect(_ context.Context, key string) (*Principal, error) {
	if p, ok := k[key]; ok {
		c := *p
		return &c, nil
	}
	return nil, errors.New("unknown key")
}

// TestForbiddenSaysWhatIsMissing: every 403 an API key can meet says why
// in the key's case: a read names the permission keys never carry (a
// staff member's key too: keys read the public catalogue only), a change
// says keys are read-only; a token without the staff role learns that
// drafts are for staff.
func TestForbiddenSaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now)
	h, err := NewServer(Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  st,
		JWT:    tokens{"student.token.x": {Subject: "0190f3a4-8b1c-7d2e-9f00-00000000000b", ClientID: "portal", Roles: []string{"student"}}},
		Keys: keysOf{
			"staffkey":   {Subject: graderSub, ClientID: "api-key:1", Scopes: []string{"read"}, Roles: []string{"staff"}},
			"studentkey": {Subject: "0190f3a4-8b1c-7d2e-9f00-00000000000b", ClientID: "api-key:2", Scopes: []string{"read"}, Roles: []string{"student"}},
		},
		Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, key, method, path, want string
	}{
		{"staff key reads grades", "staffkey", "GET", "/v1/lectures/x/grades", "This needs the permission grades:read, which API keys never carry: a key reads only the public catalogue and its owner's own enrolments and grades."},
		{"staff key reads enrolments", "staffkey", "GET", "/v1/enrolments", "This needs the permission grades:read, which API keys never carry"},
		{"staff key exports", "staffkey", "GET", "/v1/grades/export", "This needs the permission grades:read, which API keys never carry"},
		{"staff key adds a grade", "staffkey", "POST", "/v1/lectures/x/grades", "API keys are read-only; sign in to make changes."},
		{"staff key changes the catalogue", "staffkey", "POST", "/v1/programmes", "API keys are read-only; sign in to make changes."},
		{"student key enrols", "studentkey", "POST", "/v1/me/enrolments", "API keys are read-only; sign in to make changes."},
		{"student key lists drafts", "studentkey", "GET", "/v1/programmes?status=draft", "This needs the permission studies:write, which API keys never carry"},
		{"staff key lists drafts", "staffkey", "GET", "/v1/programmes?status=draft", "This needs the permission studies:write, which API keys never carry"},
		{"a student's token lists drafts", "student.token.x", "GET", "/v1/programmes?status=draft", "Draft and archived programmes are listed only for staff and administrators"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+c.key)
			resp, raw := spectest.Validator(t).Do(t, h, req)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(raw), c.want) {
				t.Fatalf("%s %s: %d %s", c.method, c.path, resp.StatusCode, raw)
			}
		})
	}
}

// TestStudyMethodNotAllowed: PUT on a PATCH resource answers 405 with
// Allow, as problem+json; an unknown address is still 404.
func TestStudyMethodNotAllowed(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/v1/programmes/" + a.c.ID, "DELETE, GET, HEAD, PATCH"},
		{"PATCH", "/v1/programmes/" + a.c.ID + "/modules/m", "DELETE, PUT"},
		{"DELETE", "/v1/me/overview", "GET, HEAD"},
	} {
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != c.allow || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d Allow %q %s", c.method, c.path, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, httptest.NewRequest("PUT", "/v1/nothing", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("an unknown address: %d", rec.Code)
	}
}
