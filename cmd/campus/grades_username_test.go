package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestStudyGradesByUsername: with the real identity, a grade file names
// people by username or e-mail address; the study service resolves them
// with its own client credentials; an unknown name is reported with its
// line and value; the subject-id form keeps working. A person's token
// (even an administrator's) cannot use identity's resolve endpoint.
func TestStudyGradesByUsername(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "grading", "--first-party", "--redirect-uri", "https://grading.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read")
	ada := p.addUser(t, "ada.l", "student-password-1", "student")
	bob := p.addUser(t, "bob.b", "student-password-2", "student")
	cem := p.addUser(t, "cem.c", "student-password-3", "student")
	p.addUser(t, "prof", "staff-password-12", "staff")
	tok, _ := newRP(t, p, app, oidc.ScopeOpenID, "grades:write", "grades:read").signIn(t, p, p.browser(t), "prof", "staff-password-12")
	staff := studyAPI{t: t, p: p, token: tok.AccessToken}
	etok, _ := newRP(t, p, app, oidc.ScopeOpenID, "studies:write").signIn(t, p, p.browser(t), "admin", adminPassword,
		oauth2.SetAuthURLParam("prompt", "login"))
	editor := studyAPI{t: t, p: p, token: etok.AccessToken}
	prog := editor.must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "B.Sc. Computer Science", "degree": "B.Sc.",
		"semesters": 6, "credits_required": 180, "status": "published"}).body["id"].(string)
	mod := editor.must(http.StatusCreated, "POST", "/v1/modules", map[string]any{"code": "INF-101", "title": "Programming", "credits": 10}).body["id"].(string)
	lec := editor.must(http.StatusCreated, "POST", "/v1/lectures", map[string]any{"code": "INF-101-V", "title": "Programming lecture", "hours_per_week": 4}).body["id"].(string)
	editor.must(http.StatusCreated, "PUT", "/v1/programmes/"+prog+"/modules/"+mod, map[string]any{"compulsory": true, "recommended_semester": 1})
	editor.must(http.StatusCreated, "PUT", "/v1/modules/"+mod+"/lectures/"+lec, nil)
	for _, s := range []string{ada.ID, bob.ID, cem.ID} {
		staff.must(http.StatusCreated, "POST", "/v1/enrolments", map[string]any{"subject": s, "programme_id": prog})
	}

	file := "subject;username;name;grade\n" +
		";ADA.L;Ada;1,3\n" + // line 2: the username, any case
		"bob.b@uni.example;;;2,0\n" + // line 3: the address
		"nobody.here;;;1,0\n" + // line 4: nobody
		cem.ID + ";;;2,7\n" + // line 5: the subject id
		";cem.c;;\n" // line 6: not graded: left out
	rep := staff.must(http.StatusOK, "POST", "/v1/lectures/"+lec+"/grades/upload?dry_run=false", file)
	if rep.body["applied"] != true || rep.body["accepted"].(float64) != 3 || rep.body["refused"].(float64) != 1 {
		t.Fatalf("report: %s", rep.raw)
	}
	rows := rep.body["rows"].([]any)
	bad := rows[2].(map[string]any)
	if len(rows) != 4 || rows[0].(map[string]any)["subject"] != ada.ID || rows[0].(map[string]any)["person"] != "ADA.L" ||
		rows[1].(map[string]any)["subject"] != bob.ID || bad["line"].(float64) != 4 || bad["subject"] != "nobody.here" ||
		!strings.Contains(bad["reason"].(string), `"nobody.here"`) {
		t.Fatalf("rows: %s", rep.raw)
	}
	grades := staff.must(http.StatusOK, "GET", "/v1/lectures/"+lec+"/grades", nil)
	if n := len(grades.body["items"].([]any)); n != 3 {
		t.Fatalf("%d grades stored, want 3: %s", n, grades.raw)
	}

	// Identity's resolve endpoint is for services only.
	e := &apiEnv{p: p}
	for _, token := range []string{tok.AccessToken, e.serviceToken(t, "no-grades")} {
		if r := e.call(t, "POST", "/api/v1/people/resolve", token, map[string]any{"logins": []string{"ada.l"}}); r.status != http.StatusForbidden {
			t.Errorf("resolve with a token that may not: %s", r)
		}
	}
}
