package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/api/spectest"
	"campus/internal/study/store"
)

const (
	editorToken  = "editor.token.x"  // an administrator's study token
	serviceToken = "service.token.x" // the messages service's own token
	personToken  = "person.token.x"  // a person whose token carries rosters:read (it must not help)
	lecturer     = "0190f3a4-8b1c-7d2e-9f00-0000000000c1"
	student      = "0190f3a4-8b1c-7d2e-9f00-0000000000d1"
)

func newStaffAPI(t *testing.T) (http.Handler, *store.Store, study.Programme, study.Module) {
	t.Helper()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now)
	h, err := NewServer(Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  st,
		JWT: tokens{
			editorToken:  {Subject: graderSub, ClientID: "portal", Scopes: []string{"studies:write"}, Roles: []string{"admin"}},
			serviceToken: {Subject: "campus-messages", ClientID: "campus-messages", Scopes: []string{"rosters:read"}},
			personToken:  {Subject: student, ClientID: "portal", Scopes: []string{"rosters:read"}, Roles: []string{"student"}},
		},
		People: &knownPeople{ids: map[string]bool{lecturer: true}},
		Now:    time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := st.CreateProgramme(ctx, study.Programme{Title: "B.Sc. Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Status: study.ProgrammePublished})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateModule(ctx, study.Module{Code: "INF-101", Title: "Programming", Credits: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: p.ID, ModuleID: m.ID, Compulsory: true, RecommendedSemester: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enrol(ctx, study.Enrolment{Subject: student, ProgrammeID: p.ID}, true); err != nil {
		t.Fatal(err)
	}
	return h, st, p, m
}

func call(t *testing.T, h http.Handler, method, path, token string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return spectest.Validator(t).Do(t, h, req)
}

// TestStaffRoutes: staff are added (only people identity knows) and
// removed with the study token, and shown in both details.
func TestStaffRoutes(t *testing.T) {
	t.Parallel()
	h, _, p, m := newStaffAPI(t)
	// Read first, so that the rendered tree is cached: the change below
	// must replace it.
	if resp, _ := call(t, h, "GET", "/v1/programmes/"+p.ID, ""); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"add to programme", "PUT", "/v1/programmes/" + p.ID + "/staff/" + lecturer, editorToken, 204},
		{"again", "PUT", "/v1/programmes/" + p.ID + "/staff/" + lecturer, editorToken, 204},
		{"add to module", "PUT", "/v1/modules/" + m.ID + "/staff/" + lecturer, editorToken, 204},
		{"unknown person", "PUT", "/v1/modules/" + m.ID + "/staff/" + student, editorToken, 422},
		{"not a subject id", "PUT", "/v1/modules/" + m.ID + "/staff/bob", editorToken, 422},
		{"no such module", "PUT", "/v1/modules/nope/staff/" + lecturer, editorToken, 404},
		{"without the study token", "PUT", "/v1/modules/" + m.ID + "/staff/" + lecturer, personToken, 403},
		{"anonymous", "DELETE", "/v1/modules/" + m.ID + "/staff/" + lecturer, "", 401},
		{"remove from module", "DELETE", "/v1/modules/" + m.ID + "/staff/" + lecturer, editorToken, 204},
		{"remove again", "DELETE", "/v1/modules/" + m.ID + "/staff/" + lecturer, editorToken, 404},
	}
	for _, tt := range tests {
		if resp, body := call(t, h, tt.method, tt.path, tt.token); resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode, body, tt.status)
		}
	}
	var detail struct{ Staff []string }
	_, body := call(t, h, "GET", "/v1/programmes/"+p.ID, editorToken)
	if json.Unmarshal(body, &detail); !slices.Equal(detail.Staff, []string{lecturer}) {
		t.Errorf("programme staff %v (%s)", detail.Staff, body)
	}
	detail.Staff = nil
	_, body = call(t, h, "GET", "/v1/modules/"+m.ID, editorToken)
	if json.Unmarshal(body, &detail); detail.Staff == nil || len(detail.Staff) != 0 {
		t.Errorf("module staff %v (%s)", detail.Staff, body)
	}
	// The public catalogue and a student's token get no subject ids of
	// staff, from the cached tree either.
	for _, token := range []string{"", personToken, personToken} {
		for _, path := range []string{"/v1/programmes/" + p.ID, "/v1/modules/" + m.ID} {
			if _, body := call(t, h, "GET", path, token); bytes.Contains(body, []byte(`"staff"`)) || bytes.Contains(body, []byte(lecturer)) {
				t.Errorf("GET %s with %q shows the staff: %s", path, token, body)
			}
		}
	}
}

// TestRosters: the messages service's own token reads the rosters, with an
// ETag that answers 304 until a roster changes; a person's token is
// refused even with the scope.
func TestRosters(t *testing.T) {
	t.Parallel()
	h, st, p, m := newStaffAPI(t)
	if _, err := st.AddModuleStaff(context.Background(), m.ID, lecturer); err != nil {
		t.Fatal(err)
	}
	if resp, body := call(t, h, "GET", "/v1/rosters", personToken); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a person's token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call(t, h, "GET", "/v1/rosters", editorToken); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without the scope: %d", resp.StatusCode)
	}
	resp, body := call(t, h, "GET", "/v1/rosters", serviceToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rosters: %d %s", resp.StatusCode, body)
	}
	var r struct {
		Revision int64
		Groups   []rosterGroupJSON
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := []rosterGroupJSON{
		{Kind: "programme", ID: p.ID, Title: p.Title, Students: []string{student}, Staff: []string{}},
		{Kind: "module", ID: m.ID, Code: "INF-101", Title: "Programming", Students: []string{student}, Staff: []string{lecturer}},
	}
	if len(r.Groups) != 2 || !equalGroups(r.Groups, want) {
		t.Fatalf("groups %+v, want %+v", r.Groups, want)
	}
	etag := resp.Header.Get("ETag")
	if resp, body := call(t, h, "GET", "/v1/rosters", serviceToken, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("unchanged: %d %s", resp.StatusCode, body)
	}
	if err := st.RemoveModuleStaff(context.Background(), m.ID, lecturer); err != nil {
		t.Fatal(err)
	}
	resp, _ = call(t, h, "GET", "/v1/rosters", serviceToken, "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a change: %d %s", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

func equalGroups(a, b []rosterGroupJSON) bool {
	return slices.EqualFunc(a, b, func(x, y rosterGroupJSON) bool {
		return x.Kind == y.Kind && x.ID == y.ID && x.Code == y.Code && x.Title == y.Title &&
			slices.Equal(x.Students, y.Students) && slices.Equal(x.Staff, y.Staff)
	})
}

// TestRostersGzip: a client that takes gzip gets the rosters compressed.
func TestRostersGzip(t *testing.T) {
	t.Parallel()
	h, _, _, _ := newStaffAPI(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/rosters", nil)
	req.Header.Set("Authorization", "Bearer "+serviceToken)
	req.Header.Set("Accept-Encoding", "br;q=1, gzip;q=0.5")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Groups []rosterGroupJSON }
	if err := json.NewDecoder(zr).Decode(&r); err != nil || len(r.Groups) != 2 {
		t.Fatalf("%v %+v", err, r)
	}
}
