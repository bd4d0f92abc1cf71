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

// TestRoughEdgesThroughCampus walks issue 13's rough edges through the
// running program, where problem.Localize and the portal's gateway are in
// place: 405 with Allow from both APIs (in German when asked), a staff
// key's 403 at the study API, the gateway's messages, and cross-origin
// changes answered as a page or as problem+json.
func TestRoughEdgesThroughCampus(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	p.addUser(t, "stella", "stella-password-1", "staff")
	b := p.browser(t)
	submitLogin(t, p, b, getPage(t, b, p.url+"/auth/login?return=/"), "stella", "stella-password-1")
	call := func(c *http.Client, method, path string, headers ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, p.url+path, strings.NewReader(`{"name":"staff key"}`))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := call(b, "POST", "/api/identity/api/v1/me/api-keys")
	key := regexp.MustCompile(`"key":"(campus_[^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || key == nil {
		t.Fatalf("a key: %d %s", resp.StatusCode, body)
	}
	anon := p.browser(t)
	bearer := "Bearer " + key[1]
	de := []string{"Accept-Language", "de-DE,de;q=0.9"}

	for _, c := range []struct {
		name, method, path, allow, detail string
		headers                           []string
	}{
		{"study", "PUT", "/study/v1/programmes/01a244a2-7acf-7c7e-bcb5-30c085e7261d", "DELETE, GET, HEAD, PATCH",
			"This address does not take PUT; it takes DELETE, GET, HEAD, PATCH.", nil},
		{"study in German", "PUT", "/study/v1/programmes/01a244a2-7acf-7c7e-bcb5-30c085e7261d", "DELETE, GET, HEAD, PATCH",
			"Diese Adresse nimmt PUT nicht an, nur DELETE, GET, HEAD, PATCH.", de},
		{"identity", "PUT", "/idp/api/v1/me", "GET, HEAD, PATCH", "This address does not take PUT; it takes GET, HEAD, PATCH.", nil},
		{"through the gateway", "DELETE", "/api/study/v1/me/grades", "GET, HEAD", "This address does not take DELETE; it takes GET, HEAD.", []string{"Authorization", bearer}},
	} {
		resp, body := call(anon, c.method, c.path, c.headers...)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow ||
			resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"detail":"`+c.detail+`"`) {
			t.Errorf("405 %s: %d Allow %q %s", c.name, resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	}

	for _, c := range []struct {
		name, method, path string
		status             int
		detail             string
		headers            []string
	}{
		{"a staff key reads enrolments", "GET", "/study/v1/enrolments", http.StatusForbidden,
			"This needs the permission grades:read, which API keys never carry", []string{"Authorization", bearer}},
		{"in German", "GET", "/study/v1/enrolments", http.StatusForbidden,
			"Dafür ist die Berechtigung grades:read nötig, die API-Schlüssel nie haben", append([]string{"Authorization", bearer}, de...)},
		{"a staff key writes", "POST", "/study/v1/me/enrolments", http.StatusForbidden,
			"API keys are read-only; sign in to make changes.", []string{"Authorization", bearer}},
		{"a wrong key at the gateway", "GET", "/api/study/v1/me/grades", http.StatusUnauthorized,
			"The API key is not valid: it is unknown, expired or revoked.", []string{"Authorization", bearer + "x"}},
		{"in German", "GET", "/api/study/v1/me/grades", http.StatusUnauthorized,
			"Der API-Schlüssel ist nicht gültig", append([]string{"Authorization", bearer + "x"}, de...)},
		{"a key for identity at the gateway", "GET", "/api/identity/api/v1/me", http.StatusForbidden,
			"API keys read the study API (/api/study/...) only;", []string{"Authorization", bearer}},
		{"a key at identity", "GET", "/idp/api/v1/me", http.StatusUnauthorized,
			"API keys read the study API only; this API needs an access token from signing in.", []string{"Authorization", bearer}},
		{"nobody at identity through the gateway", "GET", "/api/identity/api/v1/me", http.StatusUnauthorized,
			"Sign in to the portal, or send an access token (Authorization: Bearer TOKEN).", nil},
		{"cross-site through the gateway", "POST", "/api/study/v1/me/enrolments", http.StatusForbidden,
			"This request came from another website, so it was refused and nothing was changed.", []string{"Sec-Fetch-Site", "cross-site"}},
		{"in German", "POST", "/api/study/v1/me/enrolments", http.StatusForbidden,
			"Diese Anfrage kam von einer anderen Website", append([]string{"Sec-Fetch-Site", "cross-site"}, de...)},
	} {
		resp, body := call(anon, c.method, c.path, c.headers...)
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, c.detail) {
			t.Errorf("%s: %d %s %s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	// A cross-site form: the portal's message page, in the person's language.
	for lang, want := range map[string]string{"en": "This form was sent from another website", "de": "Dieses Formular wurde von einer anderen Website gesendet"} {
		req, _ := http.NewRequest("POST", p.url+"/profile", strings.NewReader("username=stella"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Accept-Language", lang)
		pg := visit(t, b, req)
		if pg.status != http.StatusForbidden || !strings.Contains(pg.body, `<html lang="`+lang+`"`) || !strings.Contains(html.UnescapeString(pg.body), want) {
			t.Errorf("cross-site form in %s: %d\n%s", lang, pg.status, pg.body)
		}
	}
}
