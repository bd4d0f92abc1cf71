package main

import (
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPortalSignInAndOut(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)

	// Anonymous: the public catalogue, in the browser's language.
	req, _ := http.NewRequest(http.MethodGet, p.url+"/programmes", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	if pg := visit(t, b, req); pg.status != http.StatusOK || !strings.Contains(pg.body, "Studiengänge") || !strings.Contains(pg.body, `lang="de"`) {
		t.Fatalf("German catalogue: %d\n%s", pg.status, pg.body)
	}

	// Sign in: to identity's form and back to the page asked for.
	start := getPage(t, b, p.url+"/auth/login?return="+url.QueryEscape("/programmes?q=x"))
	if !formAuthRequest.MatchString(start.body) {
		t.Fatalf("no identity sign-in form: %d %s", start.status, start.body)
	}
	done := submitLogin(t, p, b, start, "admin", adminPassword)
	if done.status != http.StatusOK || !strings.Contains(html.UnescapeString(done.body), "Signed in as Administrator") {
		t.Fatalf("after sign-in: %d\n%s", done.status, done.body)
	}
	// The browser holds only an opaque, HttpOnly session cookie: no token.
	u, _ := url.Parse(p.url + "/")
	var session *http.Cookie
	for _, c := range b.Jar.Cookies(u) {
		if strings.Count(c.Value, ".") == 2 {
			t.Errorf("cookie %s looks like a JWT", c.Name)
		}
		if c.Name == "campus_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no portal session cookie")
	}

	// Back-channel logout: ending the identity session elsewhere ends the
	// portal's session too (identity tells the portal).
	app := p.addClient(t, "--id", "elsewhere", "--first-party", "--redirect-uri", "https://else.uni.example/cb",
		"--post-logout-redirect-uri", "https://else.uni.example/")
	// The same browser signs in to another application (single sign-on), and
	// that application logs the person out.
	tok, _ := newRP(t, p, app, "openid").signIn(t, p, b, "", "")
	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://else.uni.example/"}}
	getPage(t, b, p.issuer+"/end_session?"+q.Encode())
	deadline := time.Now().Add(10 * time.Second)
	for {
		home := getPage(t, b, p.url+"/")
		if !strings.Contains(html.UnescapeString(home.body), "Signed in as") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the portal session survived the end of the identity session")
		}
		time.Sleep(50 * time.Millisecond) // delivery is asynchronous; bounded wait
	}

	// Sign in again and sign out from the portal: everywhere.
	start = getPage(t, b, p.url+"/auth/login?return=/")
	submitLogin(t, p, b, start, "admin", adminPassword)
	req, _ = http.NewRequest(http.MethodPost, p.url+"/auth/logout", nil)
	out := visit(t, b, req)
	if strings.Contains(html.UnescapeString(out.body), "Signed in as") {
		t.Fatalf("still signed in after signing out: %d", out.status)
	}
	again := getPage(t, b, p.url+"/auth/login?return=/")
	if !formAuthRequest.MatchString(again.body) {
		t.Fatal("after signing out, identity signed the browser in without asking: not signed out everywhere")
	}

	// A sign-in callback without the sign-in's cookie is refused.
	bad := getPage(t, p.browser(t), p.url+"/auth/callback?code=x&state=y")
	if bad.status != http.StatusBadRequest {
		t.Fatalf("forged callback: %d", bad.status)
	}
	// Return paths stay on the portal.
	evil := getPage(t, p.browser(t), p.url+"/auth/login?return="+url.QueryEscape("//evil.example/"))
	if evil.location != nil && evil.location.Host == "evil.example" {
		t.Fatal("open redirect through return")
	}
}

func TestPortalMyStudy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	b := p.browser(t)

	// Signed out, my study sends to sign-in and back.
	start := getPage(t, b, p.url+"/my")
	if !formAuthRequest.MatchString(start.body) {
		t.Fatalf("my study signed out: %d", start.status)
	}
	page := submitLogin(t, p, b, start, "ben.krueger", creds["ben.krueger"])
	body := html.UnescapeString(page.body)
	for _, want := range []string{"My study", "B.Sc. Computer Science", "ECTS credits earned", "<progress", "Semester 1", "passed", "Introduction to Programming"} {
		if !strings.Contains(body, want) {
			t.Errorf("my study lacks %q", want)
		}
	}
	if strings.Contains(body, "(lecture)") {
		t.Error("the list view shows lectures")
	}
	detail := html.UnescapeString(getPage(t, b, p.url+"/my?view=detail").body)
	if !strings.Contains(detail, "Introduction to Programming (lecture)") || !strings.Contains(detail, `aria-current="page"`) {
		t.Error("the detailed view lacks the lectures")
	}

	// A new student is not enrolled: the page offers to enrol.
	p.addUser(t, "newbie", "newbie-password-1", "student")
	nb := p.browser(t)
	first := submitLogin(t, p, nb, getPage(t, nb, p.url+"/my"), "newbie", "newbie-password-1")
	if !strings.Contains(html.UnescapeString(first.body), "not enrolled") {
		t.Fatalf("newbie's page: %s", first.body)
	}
	id := regexp.MustCompile(`<option value="([^"]+)">M\.Sc\. Computer Science`).FindStringSubmatch(first.body)
	if id == nil {
		t.Fatal("no programme to choose")
	}
	req, _ := http.NewRequest(http.MethodPost, p.url+"/my/enrol", strings.NewReader(url.Values{"programme_id": {id[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	after := visit(t, nb, req)
	if !strings.Contains(html.UnescapeString(after.body), "You are enrolled in M.Sc. Computer Science") {
		t.Fatalf("after enrolling: %d %s", after.status, after.body)
	}
}

// demoCredentials reads the demo accounts' passwords from the output.
func demoCredentials(t testing.TB, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.Count(f[len(f)-1], "-") == 5 && strings.Contains(f[0], ".") {
			m[f[0]] = f[len(f)-1]
		}
	}
	if len(m) == 0 {
		t.Fatalf("no demo credentials in:\n%s", out)
	}
	return m
}

func TestPortalProfile(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	p.addUser(t, "paula", "paula-password-1", "student")
	b := p.browser(t)
	pg := submitLogin(t, p, b, getPage(t, b, p.url+"/profile"), "paula", "paula-password-1")
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `value="paula@uni.example"`) {
		t.Fatalf("profile: %d\n%s", pg.status, pg.body)
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(pg.body)[1]
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	form := func(version, name, email, semester string) url.Values {
		return url.Values{"version": {version}, "username": {"paula"}, "email": {email}, "display_name": {name},
			"given_name": {"Paula"}, "family_name": {"Schmidt"}, "semester": {semester}}
	}

	// Saved, then shown with a notice (post, redirect, get).
	saved := post("/profile", form(version, "Paula S.", "paula@uni.example", "3"))
	if saved.status != http.StatusOK || !strings.Contains(saved.body, "Your profile is saved.") || !strings.Contains(saved.body, `value="Paula S."`) {
		t.Fatalf("after saving: %d\n%s", saved.status, saved.body)
	}

	// Bad input: the form comes back with the message and what was typed.
	bad := post("/profile", form(version, "Paula T.", "paula@uni.example", "forty-two"))
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Enter a whole number") ||
		!strings.Contains(bad.body, `value="forty-two"`) || !strings.Contains(bad.body, `value="Paula T."`) {
		t.Fatalf("bad semester: %d\n%s", bad.status, bad.body)
	}
	if !strings.Contains(bad.body, `aria-invalid="true" aria-describedby="semester-error"`) {
		t.Error("the invalid field is not marked for assistive technology")
	}
	badMail := post("/profile", form(regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(saved.body)[1], "Paula T.", "not-an-address", "3"))
	if badMail.status != http.StatusUnprocessableEntity || !strings.Contains(badMail.body, `id="email-error"`) || !strings.Contains(badMail.body, `value="not-an-address"`) {
		t.Fatalf("identity's field error: %d\n%s", badMail.status, badMail.body)
	}

	// A change made meanwhile (the form's version is old) is shown, not overwritten.
	stale := post("/profile", form(version, "Paula Old Tab", "paula@uni.example", "3"))
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "changed elsewhere") ||
		!strings.Contains(stale.body, "<td>Paula S.</td>") || !strings.Contains(stale.body, `value="Paula Old Tab"`) {
		t.Fatalf("stale edit: %d\n%s", stale.status, stale.body)
	}
	if now := getPage(t, b, p.url+"/profile"); !strings.Contains(now.body, `value="Paula S."`) {
		t.Fatal("the stale edit overwrote the newer one")
	}

	// Password: mismatch, wrong current, then right; the new one signs in.
	if pw := post("/profile/password", url.Values{"current_password": {"paula-password-1"}, "new_password": {"a-new-password-2"}, "new_password_again": {"a-new-password-3"}}); pw.status != http.StatusUnprocessableEntity || !strings.Contains(pw.body, "The two new passwords differ.") {
		t.Fatalf("mismatch: %d\n%s", pw.status, pw.body)
	}
	if pw := post("/profile/password", url.Values{"current_password": {"wrong-password"}, "new_password": {"a-new-password-2"}, "new_password_again": {"a-new-password-2"}}); pw.status != http.StatusUnprocessableEntity || !strings.Contains(pw.body, `id="current_password-error"`) {
		t.Fatalf("wrong current: %d\n%s", pw.status, pw.body)
	}
	if pw := post("/profile/password", url.Values{"current_password": {"paula-password-1"}, "new_password": {"a-new-password-2"}, "new_password_again": {"a-new-password-2"}}); pw.status != http.StatusOK || !strings.Contains(pw.body, "Your password is changed.") {
		t.Fatalf("change: %d\n%s", pw.status, pw.body)
	}
	nb := p.browser(t)
	if in := submitLogin(t, p, nb, getPage(t, nb, p.url+"/profile"), "paula", "a-new-password-2"); !strings.Contains(in.body, `value="Paula S."`) {
		t.Fatalf("sign-in with the new password: %d", in.status)
	}
}

func TestPortalGrading(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}

	// Students may not grade.
	sb := p.browser(t)
	if pg := submitLogin(t, p, sb, getPage(t, sb, p.url+"/grading"), "ben.krueger", creds["ben.krueger"]); pg.status != http.StatusForbidden {
		t.Fatalf("a student on the grading page: %d", pg.status)
	}

	// Two new students enrol in the B.Sc.: nobody has graded them yet.
	for _, name := range []string{"newbie1", "newbie2"} {
		p.addUser(t, name, name+"-password", "student")
		nb := p.browser(t)
		first := submitLogin(t, p, nb, getPage(t, nb, p.url+"/my"), name, name+"-password")
		id := regexp.MustCompile(`<option value="([^"]+)">B\.Sc\. Computer Science`).FindStringSubmatch(first.body)
		if id == nil {
			t.Fatalf("no programme to choose:\n%s", first.body)
		}
		req, _ := http.NewRequest(http.MethodPost, p.url+"/my/enrol", strings.NewReader(url.Values{"programme_id": {id[1]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		visit(t, nb, req)
	}

	b := p.browser(t)
	list := submitLogin(t, p, b, getPage(t, b, p.url+"/grading?q="+url.QueryEscape("Introduction to Programming")), "f.weber", creds["f.weber"])
	link := regexp.MustCompile(`href="(/grading/[^"]+)"`).FindStringSubmatch(list.body)
	if list.status != http.StatusOK || link == nil {
		t.Fatalf("lectures: %d\n%s", list.status, list.body)
	}
	lec := getPage(t, b, p.url+link[1])
	if lec.status != http.StatusOK || !strings.Contains(lec.body, "<svg") || !strings.Contains(lec.body, "Enter grades") {
		t.Fatalf("lecture page: %d\n%s", lec.status, lec.body)
	}
	// Rows: the select's name carries the subject; a dash means no grade yet.
	rows := regexp.MustCompile(`(?s)<tr>\s*<th scope="row">.*?</th>\s*<td>(.*?)</td>.*?name="grade:([^"]+)"`).FindAllStringSubmatch(lec.body, -1)
	var ungraded, passed string
	for _, row := range rows {
		switch {
		case strings.TrimSpace(row[1]) == "–" && ungraded == "":
			ungraded = row[2]
		case regexp.MustCompile(`^[1-4]\.\d <span class="meta">\(final`).MatchString(strings.TrimSpace(row[1])) && passed == "":
			passed = row[2]
		}
	}
	if ungraded == "" || passed == "" {
		t.Fatalf("want an ungraded and a passed student among %d rows:\n%s", len(rows), lec.body)
	}
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}

	// A refused row (a passed exam cannot be retaken): nothing is stored,
	// the reason stands beside it and the choices are kept.
	bad := post(link[1], url.Values{"grade:" + ungraded: {"2.3"}, "grade:" + passed: {"1.0"}, "final": {"on"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "nothing was stored") ||
		!strings.Contains(bad.body, `aria-invalid="true"`) || !strings.Contains(bad.body, `<option selected>2.3</option>`) {
		t.Fatalf("refused row: %d\n%s", bad.status, bad.body)
	}
	if nothing := post(link[1], url.Values{}); nothing.status != http.StatusUnprocessableEntity || !strings.Contains(nothing.body, "at least one") {
		t.Fatalf("empty form: %d", nothing.status)
	}

	// Stored, then shown (post, redirect, get).
	ok := post(link[1], url.Values{"grade:" + ungraded: {"2.3"}, "final": {"on"}})
	if ok.status != http.StatusOK || !strings.Contains(ok.body, "Grades stored: 1.") {
		t.Fatalf("storing: %d\n%s", ok.status, ok.body)
	}
	if !strings.Contains(ok.body, "Newbie1 (newbie1)") {
		t.Error("the grade list does not name the students")
	}
	if !regexp.MustCompile(`<td>2\.3 <span class="meta">\(final, attempt 1\)</span></td>\s*<td>\s*<label class="sr-only" for="g\d+">New grade: [^<]*</label>\s*<select id="g\d+" name="grade:` + regexp.QuoteMeta(ungraded)).MatchString(ok.body) {
		t.Errorf("the stored grade is not shown in its row:\n%s", ok.body)
	}

	// CSV: preview first, then store on confirmation.
	var mp strings.Builder
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "grades.csv")
	fw.Write([]byte("subject;grade;status\n" + ungraded + ";1,7;final\nnobody;1,0;final\n"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, p.url+link[1]+"/upload", strings.NewReader(mp.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	preview := visit(t, b, req)
	if preview.status != http.StatusOK || !strings.Contains(preview.body, "Rows that can be stored: 0; refused: 2.") {
		t.Fatalf("preview: %d\n%s", preview.status, preview.body)
	}
	if strings.Contains(preview.body, `name="confirm"`) {
		t.Error("a preview with nothing to store offers to store it")
	}
	fresh := regexp.MustCompile(`(?s)<td>–</td>.*?name="grade:([^"]+)"`).FindStringSubmatch(ok.body)
	if fresh == nil {
		t.Fatal("no second ungraded student")
	}
	mp.Reset()
	mw = multipart.NewWriter(&mp)
	fw, _ = mw.CreateFormFile("file", "grades.csv")
	fw.Write([]byte("subject,grade\n" + fresh[1] + ",3.0\n"))
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, p.url+link[1]+"/upload", strings.NewReader(mp.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	preview = visit(t, b, req)
	csvText := regexp.MustCompile(`(?s)<textarea name="csv" hidden>(.*?)</textarea>`).FindStringSubmatch(preview.body)
	if preview.status != http.StatusOK || !strings.Contains(preview.body, "Rows that can be stored: 1; refused: 0.") || csvText == nil {
		t.Fatalf("preview: %d\n%s", preview.status, preview.body)
	}
	stored := post(link[1]+"/upload", url.Values{"csv": {html.UnescapeString(csvText[1])}, "confirm": {"1"}})
	if stored.status != http.StatusOK || !strings.Contains(stored.body, "Grades stored: 1.") {
		t.Fatalf("confirm: %d\n%s", stored.status, stored.body)
	}
}

func TestPortalAdministration(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	p.addUser(t, "carla", "carla-password-1", "student")
	p.addUser(t, "carl", "carl-password-1", "student")

	// Not for students.
	sb := p.browser(t)
	if pg := submitLogin(t, p, sb, getPage(t, sb, p.url+"/admin/users"), "carla", "carla-password-1"); pg.status != http.StatusForbidden {
		t.Fatalf("a student on the admin pages: %d", pg.status)
	}

	b := p.browser(t)
	list := submitLogin(t, p, b, getPage(t, b, p.url+"/admin/users?q=carl"), "admin", adminPassword)
	if list.status != http.StatusOK || !strings.Contains(list.body, ">Carla</a>") || !strings.Contains(list.body, ">Carl</a>") || strings.Contains(list.body, ">Administrator</a>") {
		t.Fatalf("search: %d\n%s", list.status, list.body)
	}
	if admins := getPage(t, b, p.url+"/admin/users?role=admin"); strings.Contains(admins.body, ">Carla</a>") || !strings.Contains(admins.body, `<option value="admin" selected>`) {
		t.Fatalf("role filter:\n%s", admins.body)
	}
	if none := getPage(t, b, p.url+"/admin/users?status=disabled"); !strings.Contains(none.body, "No account matches.") {
		t.Fatalf("status filter:\n%s", none.body)
	}
	link := regexp.MustCompile(`href="(/admin/users/[^"]+)">Carla<`).FindStringSubmatch(list.body)[1]
	detail := getPage(t, b, p.url+link)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(detail.body)[1]
	if !strings.Contains(detail.body, `id="role-student" name="role" value="student" checked`) {
		t.Fatalf("detail:\n%s", detail.body)
	}
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	roles := post(link, url.Values{"version": {version}, "action": {"roles"}, "role": {"student", "staff"}})
	if roles.status != http.StatusOK || !strings.Contains(roles.body, "The roles are saved.") || !strings.Contains(roles.body, `value="staff" checked`) {
		t.Fatalf("roles: %d\n%s", roles.status, roles.body)
	}
	// The page's version is old now: refused, shown as it is now.
	stale := post(link, url.Values{"version": {version}, "action": {"disable"}})
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "changed this account meanwhile") || !strings.Contains(stale.body, `value="staff" checked`) {
		t.Fatalf("stale: %d\n%s", stale.status, stale.body)
	}
	version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(stale.body)[1]
	off := post(link, url.Values{"version": {version}, "action": {"disable"}})
	if off.status != http.StatusOK || !strings.Contains(off.body, "The account is disabled") || !strings.Contains(off.body, "Enable account") {
		t.Fatalf("disable: %d\n%s", off.status, off.body)
	}
	version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(off.body)[1]
	if on := post(link, url.Values{"version": {version}, "action": {"enable"}}); !strings.Contains(on.body, "The account is enabled.") {
		t.Fatalf("enable: %d\n%s", on.status, on.body)
	}
	// Nobody changes their own roles: identity refuses, the page says why.
	me := regexp.MustCompile(`href="(/admin/users/[^"]+)">Administrator<`).FindStringSubmatch(getPage(t, b, p.url+"/admin/users?q=admin").body)[1]
	mine := getPage(t, b, p.url+me)
	v := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(mine.body)[1]
	if own := post(me, url.Values{"version": {v}, "action": {"roles"}, "role": {"student"}}); own.status != http.StatusUnprocessableEntity || !strings.Contains(own.body, "That was refused") ||
		!strings.Contains(own.body, `value="student" checked`) {
		t.Fatalf("own roles: %d\n%s", own.status, own.body)
	}

	// Five wrong passwords lock Carl; the administrator unlocks him.
	cb := p.browser(t)
	pg := getPage(t, cb, p.url+"/auth/login?return=/")
	for range 5 {
		pg = submitLogin(t, p, cb, pg, "carl", "not-his-password")
	}
	carl := regexp.MustCompile(`href="(/admin/users/[^"]+)">Carl<`).FindStringSubmatch(list.body)[1]
	locked := getPage(t, b, p.url+carl)
	if !strings.Contains(locked.body, "locked after failed sign-ins until") {
		t.Fatalf("not locked:\n%s", locked.body)
	}
	v = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(locked.body)[1]
	if un := post(carl, url.Values{"version": {v}, "action": {"unlock"}}); !strings.Contains(un.body, "The account is unlocked.") || !strings.Contains(un.body, "not locked (0 failed") {
		t.Fatalf("unlock: %d\n%s", un.status, un.body)
	}
	if in := submitLogin(t, p, cb, getPage(t, cb, p.url+"/auth/login?return=/"), "carl", "carl-password-1"); !strings.Contains(html.UnescapeString(in.body), "Signed in as Carl") {
		t.Fatalf("Carl after unlocking: %d", in.status)
	}

	// Roles: add one with permission checkboxes; a bad name keeps the input.
	bad := post("/admin/roles", url.Values{"name": {"Exam Office!"}, "description": {"The examination office"}, "permission": {"grades:read"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="name-error"`) || !strings.Contains(bad.body, `value="Exam Office!"`) ||
		!strings.Contains(bad.body, `value="grades:read" checked`) {
		t.Fatalf("bad role: %d\n%s", bad.status, bad.body)
	}
	added := post("/admin/roles", url.Values{"name": {"exam-office"}, "description": {"The examination office"}, "permission": {"grades:read", "grades:write"}})
	if added.status != http.StatusOK || !strings.Contains(added.body, "The role exam-office is added.") ||
		!regexp.MustCompile(`exam-office</a></th><td>The examination office</td><td><span class="code">grades:read</span>, <span class="code">grades:write</span>`).MatchString(added.body) {
		t.Fatalf("add role: %d\n%s", added.status, added.body)
	}
	if dup := post("/admin/roles", url.Values{"name": {"exam-office"}}); dup.status != http.StatusUnprocessableEntity || !strings.Contains(dup.body, "is taken") {
		t.Fatalf("duplicate role: %d\n%s", dup.status, dup.body)
	}
}

func TestPortalCatalogueEditing(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)
	list := submitLogin(t, p, b, getPage(t, b, p.url+"/admin/programmes"), "admin", adminPassword)
	if list.status != http.StatusOK || !strings.Contains(list.body, "Unlock editing") || !strings.Contains(list.body, "disabled>Add programme – unlock editing first") {
		t.Fatalf("locked catalogue: %d\n%s", list.status, list.body)
	}
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	programme := url.Values{"title": {"Data Science"}, "degree": {"M.Sc."}, "semesters": {"4"}, "credits_required": {"120"}, "language": {"en"}, "status": {"draft"}, "description": {"Numbers."}}
	if locked := post("/admin/programmes", programme); locked.status != http.StatusForbidden || !strings.Contains(locked.body, "Editing is locked") {
		t.Fatalf("a change while locked: %d\n%s", locked.status, locked.body)
	}

	// Unlock editing: identity asks for the password again; a wrong one is
	// refused with a clear message, the right one unlocks for a while.
	ask := post("/admin/unlock", url.Values{"return": {"/admin/programmes"}})
	if !strings.Contains(ask.body, "Confirm your password") {
		t.Fatalf("step-up page: %d\n%s", ask.status, ask.body)
	}
	wrong := submitLogin(t, p, b, ask, "admin", "not-the-password")
	if !strings.Contains(html.UnescapeString(wrong.body), "The username or password is not right.") {
		t.Fatalf("wrong password: %d\n%s", wrong.status, wrong.body)
	}
	open := submitLogin(t, p, b, wrong, "admin", adminPassword)
	if open.status != http.StatusOK || !strings.Contains(open.body, "Editing is unlocked.") || !regexp.MustCompile(`Editing is unlocked for (14|15) more minutes \(until \d\d:\d\d\)`).MatchString(open.body) {
		t.Fatalf("after unlocking: %d\n%s", open.status, open.body)
	}

	// Add a programme: bad input comes back with the input, good input is added.
	bad := url.Values{}
	for k, v := range programme {
		bad[k] = v
	}
	bad.Set("semesters", "four")
	if pg := post("/admin/programmes", bad); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="semesters-error"`) || !strings.Contains(pg.body, `value="four"`) || !strings.Contains(pg.body, `value="Data Science"`) {
		t.Fatalf("bad programme: %d\n%s", pg.status, pg.body)
	}
	made := post("/admin/programmes", programme)
	if made.status != http.StatusOK || !strings.Contains(made.body, "The programme is added.") || !strings.Contains(made.body, "M.Sc. Data Science") {
		t.Fatalf("add programme: %d\n%s", made.status, made.body)
	}
	pid := regexp.MustCompile(`action="/admin/programmes/([^"]+)"`).FindStringSubmatch(made.body)[1]
	at := "/admin/programmes/" + pid

	// A new module, then a new lecture in it.
	mod := post(at, url.Values{"action": {"add-module"}, "code": {"DS-1"}, "title": {"Statistics"}, "credits": {"6"}, "recommended_semester": {"1"}, "compulsory": {"on"}})
	if mod.status != http.StatusOK || !strings.Contains(mod.body, `<span class="code">DS-1</span> Statistics`) {
		t.Fatalf("add module: %d\n%s", mod.status, mod.body)
	}
	dup := post(at, url.Values{"action": {"add-module"}, "code": {"DS-1"}, "title": {"Again"}, "credits": {"6"}, "recommended_semester": {"1"}})
	if dup.status != http.StatusUnprocessableEntity || !strings.Contains(dup.body, `value="Again"`) {
		t.Fatalf("duplicate module code: %d\n%s", dup.status, dup.body)
	}
	mid := regexp.MustCompile(`href="/admin/modules/([^"?]+)\?programme=`).FindStringSubmatch(mod.body)[1]
	lec := post(at, url.Values{"action": {"add-lecture"}, "module": {mid}, "code": {"DS-1-V"}, "title": {"Statistics (lecture)"}})
	if lec.status != http.StatusOK || !strings.Contains(lec.body, `<span class="code">DS-1-V</span> Statistics (lecture)`) {
		t.Fatalf("add lecture: %d\n%s", lec.status, lec.body)
	}

	// Edit the lecture; an edit from an older page is shown, not saved.
	lecLink := regexp.MustCompile(`href="(/admin/lectures/[^"?]+)\?programme=`).FindStringSubmatch(lec.body)[1]
	le := getPage(t, b, p.url+lecLink+"?programme="+pid)
	lv := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(le.body)[1]
	lf := url.Values{"version": {lv}, "programme": {pid}, "code": {"DS-1-V"}, "title": {"Statistics I (lecture)"}, "semester": {"winter"},
		"responsible": {"Prof. Weber"}, "hours_per_week": {"3"}, "description": {""}}
	if saved := post(lecLink, lf); saved.status != http.StatusOK || !strings.Contains(saved.body, "The changes are saved.") || !strings.Contains(saved.body, `<option value="winter" selected>`) {
		t.Fatalf("edit lecture: %d\n%s", saved.status, saved.body)
	}
	lf.Set("hours_per_week", "three")
	if bad := post(lecLink, lf); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `value="three"`) {
		t.Fatalf("bad hours: %d\n%s", bad.status, bad.body)
	}
	lf.Set("hours_per_week", "4")
	if stale := post(lecLink, lf); stale.status != http.StatusConflict || !strings.Contains(stale.body, "<td>3</td><td>4</td>") {
		t.Fatalf("stale lecture edit: %d\n%s", stale.status, stale.body)
	}

	// Edit the module; an edit from an older page is shown, not saved.
	edit := getPage(t, b, p.url+"/admin/modules/"+mid+"?programme="+pid)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(edit.body)[1]
	form := url.Values{"version": {version}, "programme": {pid}, "code": {"DS-1"}, "title": {"Statistics I"}, "credits": {"6"}, "responsible": {"Prof. Weber"}, "examination_form": {"written"}, "description": {""}}
	if saved := post("/admin/modules/"+mid, form); saved.status != http.StatusOK || !strings.Contains(saved.body, "The changes are saved.") || !strings.Contains(saved.body, "Statistics I") {
		t.Fatalf("edit module: %d\n%s", saved.status, saved.body)
	}
	form.Set("title", "Statistics Old Tab")
	stale := post("/admin/modules/"+mid, form)
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "<td>Statistics I</td><td>Statistics Old Tab</td>") {
		t.Fatalf("stale module edit: %d\n%s", stale.status, stale.body)
	}

	// Publish; anyone then sees the programme with its module and lecture.
	page := getPage(t, b, p.url+at)
	pv := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.body)[1]
	pub := url.Values{"action": {"edit"}, "version": {pv}}
	for k, v := range programme {
		pub[k] = v
	}
	pub.Set("status", "published")
	if pg := post(at, pub); pg.status != http.StatusOK || !strings.Contains(pg.body, "The changes are saved.") {
		t.Fatalf("publish: %d\n%s", pg.status, pg.body)
	}
	public := getPage(t, p.browser(t), p.url+"/programmes/"+pid)
	if !strings.Contains(public.body, "Statistics I") || !strings.Contains(public.body, "Statistics I (lecture)") {
		t.Fatalf("the public page lacks the change:\n%s", public.body)
	}

	// Remove the lecture from the module; lock editing again.
	lid := regexp.MustCompile(`name="lecture" value="([^"]+)"`).FindStringSubmatch(page.body)[1]
	if rm := post(at, url.Values{"action": {"unlink-lecture"}, "module": {mid}, "lecture": {lid}}); !strings.Contains(rm.body, "It is removed") || strings.Contains(rm.body, "DS-1-V</span>") {
		t.Fatalf("unlink lecture: %d\n%s", rm.status, rm.body)
	}
	if lk := post("/admin/lock", nil); !strings.Contains(lk.body, "Editing is locked.") || !strings.Contains(lk.body, "Unlock editing") {
		t.Fatalf("lock: %d\n%s", lk.status, lk.body)
	}
}

func TestPortalRegistration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	b := p.browser(t)
	form := getPage(t, b, p.url+"/register")
	id := regexp.MustCompile(`<option value="([^"]+)">M\.Sc\. Computer Science`).FindStringSubmatch(form.body)
	if form.status != http.StatusOK || id == nil {
		t.Fatalf("registration page: %d\n%s", form.status, form.body)
	}
	post := func(f url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+"/register", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	f := url.Values{"given_name": {"Rita"}, "family_name": {"Roth"}, "username": {"rita.roth"}, "email": {"rita@uni.example"},
		"password": {"Sunflower-Meadow-42"}, "password_again": {"Sunflower-Meadow-43"}, "programme_id": {id[1]}}
	if pg := post(f); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="password_again-error"`) ||
		!strings.Contains(pg.body, `value="rita@uni.example"`) || !strings.Contains(pg.body, `value="`+id[1]+`" selected`) {
		t.Fatalf("mismatched passwords: %d\n%s", pg.status, pg.body)
	}
	f.Set("password_again", "Sunflower-Meadow-42")
	f.Set("username", "ben.krueger")
	if pg := post(f); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="username-error"`) || !strings.Contains(pg.body, "is taken") {
		t.Fatalf("taken username: %d\n%s", pg.status, pg.body)
	}
	f.Set("username", "rita.roth")
	f.Set("password", "short")
	f.Set("password_again", "short")
	if pg := post(f); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="password-error"`) {
		t.Fatalf("weak password: %d\n%s", pg.status, pg.body)
	}
	f.Set("password", "Sunflower-Meadow-42")
	f.Set("password_again", "Sunflower-Meadow-42")
	done := post(f)
	if done.status != http.StatusOK || !strings.Contains(done.body, "We sent you a mail with a link") {
		t.Fatalf("registered: %d\n%s", done.status, done.body)
	}
	// The confirmation link comes in the browser's language.
	if m := p.mailTo(t, f.Get("email"), ""); !strings.Contains(m.Subject, "campus") {
		t.Fatalf("confirmation mail: %+v", m)
	}
	if pg := p.confirmEmail(t, f.Get("email")); pg.status != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", pg.status, pg.body)
	}
	// The first sign-in enrols her in the programme she chose.
	my := submitLogin(t, p, b, getPage(t, b, p.url+"/auth/login?return=/my"), "rita.roth", "Sunflower-Meadow-42")
	if !strings.Contains(html.UnescapeString(my.body), "You are enrolled in M.Sc. Computer Science") {
		t.Fatalf("first sign-in: %d\n%s", my.status, my.body)
	}
}

func TestPortalAPIAccess(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	p.addUser(t, "kira", "kira-password-1", "student")
	b := p.browser(t)
	page1 := submitLogin(t, p, b, getPage(t, b, p.url+"/api-access"), "kira", "kira-password-1")
	if page1.status != http.StatusOK || !strings.Contains(page1.body, "You have no API keys.") {
		t.Fatalf("API access: %d\n%s", page1.status, page1.body)
	}
	post := func(path string, form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	if bad := post("/api-access", url.Values{"name": {""}, "days": {"30"}}); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="name-error"`) {
		t.Fatalf("no name: %d\n%s", bad.status, bad.body)
	}
	made := post("/api-access", url.Values{"name": {"calendar"}, "days": {"30"}})
	key := regexp.MustCompile(`id="newkey" class="code key" readonly value="(campus_[^"]+)"`).FindStringSubmatch(made.body)
	if made.status != http.StatusCreated || key == nil || !strings.Contains(made.body, "shown only this once") {
		t.Fatalf("made: %d\n%s", made.status, made.body)
	}
	// The page's ready-made address works as it is.
	withKey := regexp.MustCompile(`<td class="code">(https://[^<]*/v1/me/grades\?key=[^<]+)</td>`).FindStringSubmatch(made.body)
	if withKey == nil {
		t.Fatalf("no address with the key:\n%s", made.body)
	}
	resp, err := p.http.Get(html.UnescapeString(withKey[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the address with the key: %d", resp.StatusCode)
	}
	// Listed without the secret; revoked.
	list := getPage(t, b, p.url+"/api-access")
	if strings.Contains(list.body, key[1]) || !strings.Contains(list.body, "calendar") {
		t.Fatal("the list shows the secret or lacks the key")
	}
	id := regexp.MustCompile(`action="/api-access/([^"]+)/revoke"`).FindStringSubmatch(list.body)[1]
	if rv := post("/api-access/"+id+"/revoke", nil); !strings.Contains(rv.body, "The key is revoked") || !strings.Contains(rv.body, "You have no API keys.") {
		t.Fatalf("revoke: %d\n%s", rv.status, rv.body)
	}
}

func TestPortalAPIGateway(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	p.addUser(t, "gus", "gus-password-1", "student")
	b := p.browser(t)
	submitLogin(t, p, b, getPage(t, b, p.url+"/auth/login?return=/"), "gus", "gus-password-1")
	call := func(c *http.Client, method, path, auth string) (int, string) {
		req, _ := http.NewRequest(method, p.url+path, strings.NewReader(`{"name":"gateway key"}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	// With the portal session: both APIs on the portal's origin.
	if st, body := call(b, "GET", "/api/study/v1/me/grades", ""); st != http.StatusOK || !strings.Contains(body, `"programmes"`) {
		t.Fatalf("study through the gateway: %d %s", st, body)
	}
	if st, body := call(b, "GET", "/api/identity/api/v1/me", ""); st != http.StatusOK || !strings.Contains(body, `"username":"gus"`) {
		t.Fatalf("identity through the gateway: %d %s", st, body)
	}
	st, body := call(b, "POST", "/api/identity/api/v1/me/api-keys", "")
	key := regexp.MustCompile(`"key":"(campus_[^"]+)"`).FindStringSubmatch(body)
	if st != http.StatusCreated || key == nil {
		t.Fatalf("a key through the gateway: %d %s", st, body)
	}

	// With the key and no session: the study API, read-only; not identity.
	anon := p.browser(t)
	if st, body := call(anon, "GET", "/api/study/v1/me/grades", key[1]); st != http.StatusOK {
		t.Fatalf("the key through the gateway: %d %s", st, body)
	}
	if st, _ := call(anon, "GET", "/api/study/v1/me/enrolments?key="+url.QueryEscape(key[1]), ""); st != http.StatusOK {
		t.Fatalf("?key= through the gateway: %d", st)
	}
	if st, _ := call(anon, "POST", "/api/study/v1/me/enrolments", key[1]); st != http.StatusForbidden {
		t.Fatalf("a write with the key: %d", st)
	}
	if st, _ := call(anon, "GET", "/api/identity/api/v1/me", key[1]); st != http.StatusForbidden {
		t.Fatalf("the key at identity: %d", st)
	}
	if st, body := call(anon, "GET", "/api/study/v1/me/grades", key[1]+"x"); st != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Fatalf("a wrong key: %d %s", st, body)
	}
	if st, _ := call(anon, "GET", "/api/study/v1/me/grades", ""); st != http.StatusUnauthorized {
		t.Fatalf("nobody: %d", st)
	}
	// The public catalogue needs nobody.
	if st, _ := call(anon, "GET", "/api/study/v1/programmes", key[1]); st != http.StatusOK {
		t.Fatalf("catalogue with the key: %d", st)
	}
}
