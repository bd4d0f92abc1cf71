package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestStudyAuthorisationMatrix calls every operation of the study API as
// each kind of caller and checks who is let through: not let through is
// 401 (no or bad token) or 403 (not allowed); let through is anything
// else (the operation may still refuse the values).
func TestStudyAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "matrix", "--first-party", "--redirect-uri", "https://matrix.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read")
	p.addUser(t, "stud", "student-password-1", "student")
	p.addUser(t, "prof", "staff-password-12", "staff")
	scopes := []string{oidc.ScopeOpenID, "studies:write", "grades:write", "grades:read"}
	token := func(user, pw string, extra ...oauth2.AuthCodeOption) string {
		tok, _ := newRP(t, p, app, scopes...).signIn(t, p, p.browser(t), user, pw, extra...)
		return tok.AccessToken
	}
	callers := []struct {
		name string
		api  studyAPI
	}{
		{"anonymous", studyAPI{t: t, p: p}},
		{"student", studyAPI{t: t, p: p, token: token("stud", "student-password-1")}},
		{"staff", studyAPI{t: t, p: p, token: token("prof", "staff-password-12")}},
		{"admin", studyAPI{t: t, p: p, token: token("admin", adminPassword)}},
		{"admin+study token", studyAPI{t: t, p: p, token: token("admin", adminPassword, oauth2.SetAuthURLParam("prompt", "login"))}},
	}
	editor := callers[4].api
	prog := editor.must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "P", "degree": "B.Sc.", "semesters": 6, "credits_required": 180, "status": "published"}).body["id"].(string)
	mod := editor.must(http.StatusCreated, "POST", "/v1/modules", map[string]any{"code": "M-1", "title": "M", "credits": 5}).body["id"].(string)
	lec := editor.must(http.StatusCreated, "POST", "/v1/lectures", map[string]any{"code": "L-1", "title": "L"}).body["id"].(string)

	const (
		everyone = iota // public
		persons         // any signed-in person
		gradesR         // grades:read (staff, admin)
		gradesW         // grades:write (staff, admin)
		editors         // studies:write (the study token)
	)
	allowed := map[int][]bool{ // anonymous, student, staff, admin, admin+study token
		everyone: {true, true, true, true, true},
		persons:  {false, true, true, true, true},
		gradesR:  {false, false, true, true, true},
		gradesW:  {false, false, true, true, true},
		editors:  {false, false, false, false, true},
	}
	ops := []struct {
		method, path string
		body         any
		who          int
	}{
		{"GET", "/v1/programmes", nil, everyone},
		{"POST", "/v1/programmes", map[string]any{"title": "X"}, editors},
		{"GET", "/v1/programmes/" + prog, nil, everyone},
		{"PATCH", "/v1/programmes/" + prog, map[string]any{"title": "Y"}, editors},
		{"DELETE", "/v1/programmes/does-not-exist", nil, editors},
		{"PUT", "/v1/programmes/" + prog + "/modules/" + mod, map[string]any{"compulsory": true}, editors},
		{"DELETE", "/v1/programmes/" + prog + "/modules/does-not-exist", nil, editors},
		{"GET", "/v1/modules", nil, everyone},
		{"POST", "/v1/modules", map[string]any{"title": "X"}, editors},
		{"GET", "/v1/modules/" + mod, nil, everyone},
		{"PATCH", "/v1/modules/" + mod, map[string]any{"title": "Y"}, editors},
		{"DELETE", "/v1/modules/does-not-exist", nil, editors},
		{"PUT", "/v1/modules/" + mod + "/lectures/" + lec, nil, editors},
		{"DELETE", "/v1/modules/" + mod + "/lectures/does-not-exist", nil, editors},
		{"GET", "/v1/lectures", nil, everyone},
		{"POST", "/v1/lectures", map[string]any{"title": "X"}, editors},
		{"GET", "/v1/lectures/" + lec, nil, everyone},
		{"PATCH", "/v1/lectures/" + lec, map[string]any{"title": "Y"}, editors},
		{"DELETE", "/v1/lectures/does-not-exist", nil, editors},
		{"GET", "/v1/me/enrolments", nil, persons},
		{"POST", "/v1/me/enrolments", map[string]any{"programme_id": "none"}, persons},
		{"PATCH", "/v1/me/enrolments/none", map[string]any{"status": "withdrawn"}, persons},
		{"GET", "/v1/me/grades", nil, persons},
		{"GET", "/v1/me/overview?programme_id=" + prog, nil, persons},
		{"GET", "/v1/enrolments", nil, gradesR},
		{"POST", "/v1/enrolments", map[string]any{"subject": "x", "programme_id": "none"}, gradesW},
		{"GET", "/v1/lectures/" + lec + "/students", nil, gradesR},
		{"GET", "/v1/lectures/" + lec + "/grades", nil, gradesR},
		{"POST", "/v1/lectures/" + lec + "/grades", map[string]any{"subject": "x", "grade": "1.0"}, gradesW},
		{"POST", "/v1/lectures/" + lec + "/grades/upload", "subject,grade\nx,1.0\n", gradesW},
		{"GET", "/v1/lectures/" + lec + "/statistics", nil, gradesR},
		{"POST", "/v1/modules/" + mod + "/grades", map[string]any{"subject": "x", "grade": "1.0"}, gradesW},
		{"PATCH", "/v1/grades/none", map[string]any{"status": "final"}, gradesW},
		{"DELETE", "/v1/grades/none", nil, gradesW},
		{"GET", "/v1/grades/export", nil, gradesR},
		{"GET", "/v1/openapi.yaml", nil, everyone},
		{"GET", "/v1/docs", nil, everyone},
		{"GET", "/v1/docs.css", nil, everyone},
	}
	for _, op := range ops {
		for i, c := range callers {
			headers := []string{}
			if op.method == "PATCH" || op.method == "DELETE" {
				headers = []string{"If-Match", `"1"`}
			}
			r := c.api.do(op.method, op.path, op.body, headers...)
			let := r.status != http.StatusUnauthorized && r.status != http.StatusForbidden
			if let != allowed[op.who][i] {
				t.Errorf("%s %s as %s: status %d (%s)", op.method, op.path, c.name, r.status, strings.TrimSpace(r.raw[:min(len(r.raw), 120)]))
			}
		}
	}
}
