package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAPIAccessPageAddressesWork reads every address off the API access
// page of a student with an enrolment and grades, in both forms (Bearer
// and ?key=), and calls each: every one answers 200 with the student's
// data ("My progress" used to answer 404 for want of programme_id).
func TestAPIAccessPageAddressesWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	b := p.browser(t)
	submitLogin(t, p, b, getPage(t, b, p.url+"/api-access"), "ben.krueger", creds["ben.krueger"])
	req, _ := http.NewRequest(http.MethodPost, p.url+"/api-access", strings.NewReader(url.Values{"name": {"all addresses"}, "days": {"30"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	made := visit(t, b, req)
	key := regexp.MustCompile(`id="newkey" class="code key" readonly value="(campus_[^"]+)"`).FindStringSubmatch(made.body)
	if made.status != http.StatusCreated || key == nil {
		t.Fatalf("made: %d\n%s", made.status, made.body)
	}
	rows := regexp.MustCompile(`<tr><th scope="row">([^<]+)</th><td class="code">([^<]+)</td><td class="code">([^<]+)</td></tr>`).FindAllStringSubmatch(made.body, -1)
	if len(rows) < 4 {
		t.Fatalf("%d addresses on the page:\n%s", len(rows), made.body)
	}
	// What each address must show of Ben's data.
	want := map[string]string{
		"/v1/programmes":    `"title":"Computer Science","degree":"B.Sc."`,
		"/v1/me/enrolments": `"programme_title":"Computer Science","since":"2024-10-01","status":"active"`,
		"/v1/me/grades":     `"records":[{`,
		"/v1/me/overview":   `"credits_earned":`,
	}
	get := func(u, bearer string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, row := range rows {
		what, plain, withKey := html.UnescapeString(row[1]), html.UnescapeString(row[2]), html.UnescapeString(row[3])
		u, err := url.Parse(plain)
		if err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(u.Path, "/study")
		w, ok := want[path]
		if !ok {
			t.Errorf("%s: an address the test does not know: %s", what, plain)
			continue
		}
		delete(want, path)
		if !strings.Contains(withKey, "key="+url.QueryEscape(key[1])) {
			t.Errorf("%s: the address with the key lacks it: %s", what, withKey)
		}
		for form, call := range map[string]func() (int, string){
			"Bearer": func() (int, string) { return get(plain, key[1]) },
			"?key=":  func() (int, string) { return get(withKey, "") },
		} {
			st, body := call()
			if st != http.StatusOK || !strings.Contains(body, w) {
				t.Errorf("%s (%s) %s: %d %s", what, form, plain, st, body)
			}
		}
	}
	for path := range want {
		t.Errorf("the page lacks %s", path)
	}
}
