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
	"campus/internal/study/store"
)

// TestProblemsFollowAcceptLanguage: the study API answers validation
// errors (the catalogue's rules and the grade fields), a 404 and a 401 in
// German when the client asks for German, in English otherwise. The
// handler is wrapped in problem.Localize, as cmd/campus mounts it.
func TestProblemsFollowAcceptLanguage(t *testing.T) {
	t.Parallel()
	const adminToken = "admin.token.x"
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now)
	lec, err := st.CreateLecture(context.Background(), study.Lecture{Code: "L-1", Title: "Programming I", HoursPerWeek: 4})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewServer(Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  st,
		JWT: tokens{
			adminToken: {Subject: "0190f3a4-8b1c-7d2e-9f00-00000000000b", ClientID: "portal", Scopes: []string{"studies:write"}, Roles: []string{"admin"}},
			staffToken: {Subject: graderSub, ClientID: "portal", Scopes: []string{"grades:read", "grades:write"}, Roles: []string{"staff"}},
		},
		Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h = problem.Localize(h)
	type answer struct {
		status int
		header http.Header
		p      problem.Details
	}
	send := func(method, path, token, contentType, body, lang string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if lang != "" {
			r.Header.Set("Accept-Language", lang)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	call := func(method, path, token, body, lang string) answer {
		t.Helper()
		w := send(method, path, token, "application/json", body, lang)
		var a answer
		a.status, a.header = w.Code, w.Header()
		if err := json.Unmarshal(w.Body.Bytes(), &a.p); err != nil {
			t.Fatalf("%s %s: %q: %v", method, path, w.Body, err)
		}
		return a
	}
	fields := func(p problem.Details) map[string]string {
		out := map[string]string{}
		for _, e := range p.Errors {
			out[e.Field] = e.Detail
		}
		return out
	}

	programme := `{"title":"","degree":"B.Sc.","semesters":30,"credits_required":180}`
	de := call("POST", "/v1/programmes", adminToken, programme, "de")
	if de.status != http.StatusUnprocessableEntity || de.header.Get("Content-Language") != "de" || !strings.Contains(de.header.Get("Vary"), "Accept-Language") {
		t.Fatalf("German programme: %d %v %+v", de.status, de.header, de.p)
	}
	if f := fields(de.p); de.p.Title != "Ungültige Werte" || f["title"] != "Geben Sie einen Titel ein." ||
		f["semesters"] != "Die Regelstudienzeit muss zwischen 1 und 20 Semestern liegen." {
		t.Errorf("German programme errors: %+v", de.p)
	}
	en := call("POST", "/v1/programmes", adminToken, programme, "")
	if f := fields(en.p); en.header.Get("Content-Language") != "" || en.p.Title != "Invalid values" || f["title"] != "Enter a title." ||
		f["semesters"] != "The standard period must be between 1 and 20 semesters." {
		t.Errorf("English programme errors: %v %+v", en.header, en.p)
	}

	decode := call("POST", "/v1/programmes", adminToken, `{"title":7,"colour":"red"}`, "de")
	if f := fields(decode.p); decode.p.Title != "Ungültige Eingabe" || f["title"] != "muss eine Zeichenkette sein, kein JSON-Wert vom Typ number" ||
		!strings.HasPrefix(f["colour"], "ist kein Feld dieser Anfrage; erlaubt sind: ") {
		t.Errorf("German decode errors: %+v", decode.p)
	}

	missing := call("GET", "/v1/nothing", adminToken, "", "de")
	if missing.status != http.StatusNotFound || missing.p.Title != "Nicht gefunden" || missing.p.Detail != "Unter dieser Adresse gibt es nichts." {
		t.Errorf("German 404: %d %+v", missing.status, missing.p)
	}
	anon := call("POST", "/v1/programmes", "", programme, "de")
	if anon.status != http.StatusUnauthorized || anon.p.Title != "Nicht angemeldet" ||
		anon.p.Detail != "Melden Sie sich an: Senden Sie ein Zugriffstoken als Authorization: Bearer TOKEN." {
		t.Errorf("German 401: %d %+v", anon.status, anon.p)
	}
	forbidden := call("POST", "/v1/programmes", staffToken, programme, "de")
	if forbidden.status != http.StatusForbidden || forbidden.p.Title != "Berechtigung fehlt" || !strings.HasPrefix(forbidden.p.Detail, "Änderungen am Katalog brauchen das Studientoken") {
		t.Errorf("German 403: %d %+v", forbidden.status, forbidden.p)
	}

	// A grade file's report is no problem, but its reasons are for people
	// too: the grading page shows them beside each row.
	upload := func(lang string) (string, string) {
		w := send("POST", "/v1/lectures/"+lec.ID+"/grades/upload?dry_run=true", staffToken, "text/csv", "subject,grade\nsomeone,9.9\n", lang)
		var rep struct {
			Rows []struct{ Reason string } `json:"rows"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != http.StatusOK || len(rep.Rows) != 1 {
			t.Fatalf("upload: %d %s", w.Code, w.Body)
		}
		return rep.Rows[0].Reason, w.Header().Get("Content-Language")
	}
	if reason, cl := upload("de"); cl != "de" || !strings.HasPrefix(reason, "Verwenden Sie eine Note der Skala") {
		t.Errorf("German report: %q, Content-Language %q", reason, cl)
	}
	if reason, cl := upload(""); cl != "" || !strings.HasPrefix(reason, "Use a grade on the scale") {
		t.Errorf("English report: %q, Content-Language %q", reason, cl)
	}

	if ch := forbidden.header.Get("WWW-Authenticate"); !strings.Contains(ch, `error_description="needs the scope studies:write"`) {
		t.Errorf("WWW-Authenticate = %q; error_description stays English", ch)
	}
}
