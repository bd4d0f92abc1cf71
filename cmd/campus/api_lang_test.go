package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPortalShowsAPIErrorsInThePageLanguage runs campus as it is served
// and checks, through the real wiring (problem.Localize in mount, the
// portal's page language on every API call), that a German page shows
// the field errors of identity's and the study API in German, and that
// the APIs answer a client that asks for German in German.
func TestPortalShowsAPIErrorsInThePageLanguage(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)
	// The language switch sets the portal's cookie.
	if pg := getPage(t, b, p.url+"/lang?to=de&back=/register"); pg.status != http.StatusOK {
		t.Fatalf("switch to German: %d\n%s", pg.status, pg.body)
	}
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		pg := visit(t, b, req)
		pg.body = html.UnescapeString(pg.body)
		return pg
	}

	// Registration: the password policy's reason comes from identity's API.
	reg := post("/register", url.Values{"given_name": {"Rita"}, "family_name": {"Roth"}, "username": {"rita.roth"},
		"email": {"rita@uni.example"}, "password": {"Zq7!xw"}, "password_again": {"Zq7!xw"}})
	if reg.status != http.StatusUnprocessableEntity || !strings.Contains(reg.body, "Verwenden Sie mindestens") || strings.Contains(reg.body, "Use at least") {
		t.Fatalf("German registration with a short password: %d\n%s", reg.status, reg.body)
	}

	// The catalogue: the study API's rule for the standard period.
	list := submitLogin(t, p, b, getPage(t, b, p.url+"/admin/programmes"), "admin", adminPassword)
	ask := post("/admin/unlock", url.Values{"return": {"/admin/programmes"}})
	if open := submitLogin(t, p, b, ask, "admin", adminPassword); open.status != http.StatusOK {
		t.Fatalf("unlock: %d (list %d)\n%s", open.status, list.status, open.body)
	}
	bad := post("/admin/programmes", url.Values{"title": {"Data Science"}, "degree": {"M.Sc."}, "semesters": {"30"},
		"credits_required": {"120"}, "language": {"en"}, "status": {"draft"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Die Regelstudienzeit muss zwischen 1 und 20 Semestern liegen.") {
		t.Fatalf("German programme with 30 semesters: %d\n%s", bad.status, bad.body)
	}

	// The APIs themselves, through the real mount.
	for _, tc := range []struct{ path, want string }{
		{"/idp/api/v1/users", "Ein gültiges Zugriffstoken ist erforderlich"},
		{"/study/v1/programmes/none", "Diese Ressource gibt es nicht."},
	} {
		req, _ := http.NewRequest(http.MethodGet, p.url+tc.path, nil)
		req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Language") != "de" || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s in German: %d %v\n%s", tc.path, resp.StatusCode, resp.Header, body)
		}
	}
}
