package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var formVersion = regexp.MustCompile(`name="version" value="(\d+)"`)

// submitPortalForm posts a form as the browser does and returns where it ended.
func submitPortalForm(t *testing.T, b *http.Client, u string, form url.Values) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

// TestPortalLoginWindowsAndApplications: through the portal and the real
// identity, an administrator sets a person's login window and a role's
// allowed applications and window; mistakes are shown beside the fields
// with the input kept; a stale version is refused; identity enforces what
// was saved (the person cannot sign in outside the window).
func TestPortalLoginWindowsAndApplications(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	kim := p.addUser(t, "kim", "kim-password-1", "student")
	p.addClient(t, "--id", "moodle", "--name", "Moodle", "--redirect-uri", "https://moodle.uni.example/cb")
	b := p.browser(t)
	start := getPage(t, b, p.url+"/auth/login?return=/admin/users/"+kim.ID)
	userPage := submitLogin(t, p, b, start, "admin", adminPassword)
	if !strings.Contains(userPage.body, "sign-in at any time") {
		t.Fatalf("kim's page: %d\n%s", userPage.status, userPage.body)
	}
	version := formVersion.FindStringSubmatch(userPage.body)[1]

	// A mistake: shown beside the field, the input kept, nothing stored.
	bad := submitPortalForm(t, b, p.url+"/admin/users/"+kim.ID, url.Values{"action": {"window"}, "version": {version}, "earliest": {"8 Uhr"}, "latest": {"09:00"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="earliest-error">Enter a time like 08:00.`) || !strings.Contains(bad.body, `value="8 Uhr"`) {
		t.Fatalf("a bad time: %d\n%s", bad.status, bad.body)
	}
	// A window that has ended: kim can no longer sign in.
	saved := submitPortalForm(t, b, p.url+"/admin/users/"+kim.ID, url.Values{"action": {"window"}, "version": {version},
		"earliest": {"00:00"}, "latest": {"23:59"}, "first_date": {"2020-01-01"}, "last_date": {"2020-12-31"}})
	if saved.status != http.StatusOK || !strings.Contains(html.UnescapeString(saved.body), "every day 00:00–23:59, from 2020-01-01, until 2020-12-31") ||
		!strings.Contains(saved.body, "The login window is saved.") {
		t.Fatalf("saved: %d\n%s", saved.status, saved.body)
	}
	stale := submitPortalForm(t, b, p.url+"/admin/users/"+kim.ID, url.Values{"action": {"window"}, "version": {version}})
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "Someone changed this account meanwhile") {
		t.Fatalf("stale: %d\n%s", stale.status, stale.body)
	}
	kb := p.browser(t)
	refused := submitLogin(t, p, kb, getPage(t, kb, p.url+"/auth/login?return=/my"), "kim", "kim-password-1")
	if strings.Contains(html.UnescapeString(refused.body), "Signed in as") {
		t.Fatal("kim signed in outside her login window")
	}

	// A role: allowed applications chosen from identity's applications,
	// and a window.
	added := submitPortalForm(t, b, p.url+"/admin/roles", url.Values{"name": {"exams"}, "description": {"Exam office"}, "permission": {"grades:read"}})
	if !strings.Contains(added.body, "The role exams is added.") {
		t.Fatalf("add role: %d\n%s", added.status, added.body)
	}
	rolePage := getPage(t, b, p.url+"/admin/roles/exams")
	for _, want := range []string{`id="app-moodle" name="app" value="moodle"`, `id="app-campus-portal" name="app" value="campus-portal"`, "any application"} {
		if !strings.Contains(rolePage.body, want) {
			t.Fatalf("role page lacks %s:\n%s", want, rolePage.body)
		}
	}
	if strings.Contains(rolePage.body, `value="campus-study"`) {
		t.Error("a service-only client is offered as an application")
	}
	rv := formVersion.FindStringSubmatch(rolePage.body)[1]
	badRole := submitPortalForm(t, b, p.url+"/admin/roles/exams", url.Values{"version": {rv}, "app": {"moodle"}, "earliest": {"07:00"}, "latest": {"25:00"}})
	if badRole.status != http.StatusUnprocessableEntity || !strings.Contains(badRole.body, `id="latest-error"`) ||
		!strings.Contains(badRole.body, `value="moodle" checked`) || !strings.Contains(badRole.body, `value="25:00"`) {
		t.Fatalf("a bad role form: %d\n%s", badRole.status, badRole.body)
	}
	ok := submitPortalForm(t, b, p.url+"/admin/roles/exams", url.Values{"version": {rv}, "app": {"moodle", "campus-portal"}, "earliest": {"07:00"}, "latest": {"19:00"}})
	if ok.status != http.StatusOK || !strings.Contains(ok.body, "The role exams is saved.") || !strings.Contains(ok.body, `value="moodle" checked`) ||
		!strings.Contains(html.UnescapeString(ok.body), "every day 07:00–19:00") {
		t.Fatalf("role saved: %d\n%s", ok.status, ok.body)
	}
	if again := submitPortalForm(t, b, p.url+"/admin/roles/exams", url.Values{"version": {rv}}); again.status != http.StatusConflict {
		t.Fatalf("a stale role form: %d", again.status)
	}
	list := html.UnescapeString(getPage(t, b, p.url+"/admin/roles").body)
	if !strings.Contains(list, `<span class="code">moodle</span>`) || !strings.Contains(list, "every day 07:00–19:00") {
		t.Fatalf("roles list:\n%s", list)
	}
}
