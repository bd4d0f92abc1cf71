package main

// Outage tests: a dependency of campus stops (the directory, a relying
// party's back-channel endpoint, identity itself) while real campus
// processes run, and comes back on the same address. Each test checks
// what people see meanwhile and that everything recovers without a
// restart of campus. SMTP's outage is TestMailOutboxRetriesAfterTheServerWasDown
// (mail_test.go); PostgreSQL's restarts are tested on their own.

import (
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/identity/directory/ldaptest"
)

// signInAs posts the sign-in form of pg with the browser's language and
// returns the answer with its headers.
func signInAs(t *testing.T, p *idp, b *http.Client, pg page, username, pw, acceptLanguage string) (page, http.Header) {
	t.Helper()
	ar, csrf := formAuthRequest.FindStringSubmatch(pg.body), formCSRF.FindStringSubmatch(pg.body)
	if ar == nil || csrf == nil {
		t.Fatalf("no sign-in form (status %d):\n%s", pg.status, pg.body)
	}
	form := url.Values{"authRequestID": {ar[1]}, "csrf": {csrf[1]}, "username": {username}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := page{status: resp.StatusCode, body: string(body)}
	if resp.StatusCode/100 == 3 {
		out.location, _ = resp.Location()
	}
	return out, resp.Header
}

// TestOutageDirectoryDown: the directory hangs, then stops, then comes
// back. Directory accounts are told why they cannot sign in (EN, DE; 503;
// the username kept), local accounts sign in as quickly as ever, the
// directory status says the directory does not answer, and directory
// accounts sign in again once it is back, without a restart of campus.
func TestOutageDirectoryDown(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(3), true)
	env := ldapEnv(srv)
	const ldapTimeout = 4 * time.Second
	// A local sign-in must not wait for the directory: well under the LDAP
	// timeout (the race detector slows the password hash several times).
	quick := 2 * time.Second
	if raceDetector {
		quick = 3 * time.Second
	}
	env["CAMPUS_LDAP_TIMEOUT"] = ldapTimeout.String()
	env["CAMPUS_ADMIN_PASSWORD"], env["CAMPUS_SIGN_INS_PER_IP_MINUTE"] = adminPassword, "6000"
	dir := t.TempDir()
	r := startCampus(t, env, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	p.addUser(t, "lokal", "local-password-1")
	console := p.addClient(t, "--id", "console", "--name", "Admin console", "--first-party",
		"--redirect-uri", "https://console.uni.example/cb", "--scope", "openid", "--scope", "users:read", "--scope", "users:write")
	e := &apiEnv{p: p, console: console, rp: newRP(t, p, console, oidc.ScopeOpenID, "users:read", "users:write")}
	admin := e.token(t, "admin", adminPassword)
	if rep := e.must(t, http.StatusOK, "POST", "/api/v1/directory/sync", admin, nil); rep.body["created"] != float64(3) {
		t.Fatalf("sync: %s", rep)
	}
	e.token(t, "u0001", "dir-pass-u0001")
	if st := e.must(t, http.StatusOK, "GET", "/api/v1/directory", admin, nil); st.body["reachable"] != true || st.body["reach_error"] != nil {
		t.Fatalf("status while the directory answers: %s", st)
	}

	// signIn times one sign-in form post.
	signIn := func(username, pw, lang string) (page, http.Header, time.Duration) {
		b := p.browser(t)
		start := getPage(t, b, e.rp.config.AuthCodeURL("s"))
		t0 := time.Now()
		pg, h := signInAs(t, p, b, start, username, pw, lang)
		return pg, h, time.Since(t0)
	}
	_, _, baseline := signIn("lokal", "local-password-1", "")

	// A hung directory (it accepts connections and never answers): a
	// directory account waits for the LDAP timeout, while local accounts
	// and the administrator sign in meanwhile as quickly as before.
	srv.Pause(t)
	var wg sync.WaitGroup
	wg.Add(1)
	var hung page
	var hungTook time.Duration
	go func() {
		defer wg.Done()
		b := p.browser(t)
		start := getPage(t, b, e.rp.config.AuthCodeURL("s"))
		t0 := time.Now()
		hung, _ = signInAs(t, p, b, start, "u0002", "dir-pass-u0002", "")
		hungTook = time.Since(t0)
	}()
	time.Sleep(200 * time.Millisecond) // let the directory sign-in start waiting
	for _, who := range [][2]string{{"lokal", "local-password-1"}, {"admin", adminPassword}} {
		pg, _, took := signIn(who[0], who[1], "")
		if pg.location == nil || !strings.HasPrefix(pg.location.String(), "https://console.uni.example/cb") {
			t.Fatalf("%s while the directory hangs: %d\n%s", who[0], pg.status, pg.body)
		}
		if took > quick {
			t.Errorf("%s took %v to sign in while the directory hangs (baseline %v)", who[0], took, baseline)
		}
		t.Logf("%s signed in in %v while the directory hangs (baseline %v)", who[0], took, baseline)
	}
	wg.Wait()
	if hung.status != http.StatusServiceUnavailable || !strings.Contains(hung.body, "university directory cannot be reached") {
		t.Fatalf("a directory sign-in while the directory hangs: %d\n%s", hung.status, hung.body)
	}
	if hungTook < ldapTimeout-time.Second || hungTook > 3*ldapTimeout {
		t.Errorf("a directory sign-in while the directory hangs took %v; the LDAP timeout is %v", hungTook, ldapTimeout)
	}
	t.Logf("a directory sign-in while the directory hangs answered 503 after %v (timeout %v)", hungTook, ldapTimeout)
	t0 := time.Now()
	if st := e.must(t, http.StatusOK, "GET", "/api/v1/directory", admin, nil); st.body["reachable"] != false || st.str("reach_error") == "" {
		t.Fatalf("status while the directory hangs: %s", st)
	} else if took := time.Since(t0); took > 3*time.Second {
		t.Errorf("the directory status took %v while the directory hangs", took)
	}
	srv.Resume(t)

	// The directory stops: its accounts hear why at once, in their
	// language, with their username kept; local accounts sign in.
	srv.Stop()
	for _, tc := range []struct{ lang, want string }{
		{"", "The university directory cannot be reached right now"},
		{"en-GB,en;q=0.8", "The university directory cannot be reached right now"},
		{"de-DE,de;q=0.9,en;q=0.5", "Das Verzeichnis der Universität ist gerade nicht erreichbar"},
	} {
		pg, h, took := signIn("u0001", "dir-pass-u0001", tc.lang)
		body := html.UnescapeString(pg.body)
		if pg.status != http.StatusServiceUnavailable || !strings.Contains(body, tc.want) || !strings.Contains(pg.body, `name="username" value="u0001"`) ||
			h.Get("Retry-After") == "" {
			t.Fatalf("directory down, %q: %d Retry-After %q\n%s", tc.lang, pg.status, h.Get("Retry-After"), pg.body)
		}
		if tc.lang != "" && strings.HasPrefix(tc.lang, "de") && !strings.Contains(pg.body, `lang="de"`) {
			t.Errorf("the German message is not marked as German:\n%s", pg.body)
		}
		if took > quick {
			t.Errorf("a directory sign-in while the directory is down took %v", took)
		}
	}
	if pg, _, took := signIn("lokal", "local-password-1", "de"); pg.location == nil {
		t.Fatalf("a local account while the directory is down: %d\n%s", pg.status, pg.body)
	} else {
		t.Logf("a local account signed in in %v while the directory is down (baseline %v)", took, baseline)
	}
	st := e.must(t, http.StatusOK, "GET", "/api/v1/directory", admin, nil)
	if st.body["reachable"] != false || !strings.Contains(st.str("reach_error"), "directory unavailable") {
		t.Fatalf("status while the directory is down: %s", st)
	}

	// Back on the same address: directory accounts sign in again, campus
	// was not restarted.
	srv.Restart(t)
	e.token(t, "u0001", "dir-pass-u0001")
	if st := e.must(t, http.StatusOK, "GET", "/api/v1/directory", admin, nil); st.body["reachable"] != true {
		t.Fatalf("status after the directory is back: %s", st)
	}
}

// TestOutageBackchannelEndpointDown: a relying party's back-channel
// logout endpoint is down when the person signs out. The logout token
// waits in identity's outbox, is retried, and arrives exactly once, valid,
// when the endpoint listens again on the same address.
func TestOutageBackchannelEndpointDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000",
		"CAMPUS_LOGOUT_RETRY_BASE": "200ms"}, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	addr := freeAddr(t) // nothing listens here yet: the application is down
	lms := p.addClient(t, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb",
		"--post-logout-redirect-uri", "https://lms.uni.example/", "--backchannel-logout-uri", "http://"+addr+"/backchannel")
	rp := newRP(t, p, lms, oidc.ScopeOpenID)
	b := p.browser(t)
	tok, _ := rp.signIn(t, p, b, "admin", adminPassword)
	_, idc := claims(t, tok.Extra("id_token").(string))

	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://lms.uni.example/"}}
	if pg := getPage(t, b, p.issuer+"/end_session?"+q.Encode()); pg.location == nil {
		t.Fatalf("logout: status %d\n%s", pg.status, pg.body)
	}

	// The delivery fails and waits for its retry; administrators see why.
	users := p.addClient(t, "--id", "admin-tool", "--first-party", "--redirect-uri", "https://admin.uni.example/cb", "--scope", "openid", "--scope", "users:read")
	at, _ := newRP(t, p, users, oidc.ScopeOpenID, "users:read").signIn(t, p, p.browser(t), "admin", adminPassword)
	type delivery struct {
		ClientID  string `json:"client_id"`
		SID       string `json:"sid"`
		Status    string `json:"status"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
	}
	outbox := func() delivery {
		t.Helper()
		res := identityCall(t, p, at.AccessToken)("GET", "/api/v1/logout-deliveries")
		var v struct{ Items []delivery }
		if err := json.Unmarshal([]byte(res.raw), &v); err != nil || res.status != http.StatusOK {
			t.Fatalf("outbox: %d %s", res.status, res.raw)
		}
		for _, d := range v.Items {
			if d.ClientID == "lms" && d.SID == idc["sid"] {
				return d
			}
		}
		t.Fatalf("no delivery to lms for the session: %s", res.raw)
		return delivery{}
	}
	deadline := time.Now().Add(10 * time.Second)
	for d := outbox(); d.Attempts < 2; d = outbox() {
		if d.Status == "delivered" {
			t.Fatalf("delivered while the endpoint was down: %+v", d)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retries recorded within 10s: %+v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := outbox(); d.Status != "pending" || d.LastError == "" {
		t.Fatalf("a failed delivery: %+v", d)
	}

	// The application comes back on the same address.
	var mu sync.Mutex
	var got []string
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	rcv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm.Get("logout_token"))
		mu.Unlock()
	}), ReadHeaderTimeout: 5 * time.Second}
	go rcv.Serve(ln)
	t.Cleanup(func() { rcv.Close() })
	deadline = time.Now().Add(15 * time.Second)
	for outbox().Status != "delivered" {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered within 15s after the endpoint came back: %+v", outbox())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Exactly once, even after a few more retry periods.
	time.Sleep(time.Second)
	mu.Lock()
	tokens := append([]string(nil), got...)
	mu.Unlock()
	if len(tokens) != 1 {
		t.Fatalf("%d logout tokens arrived, want 1", len(tokens))
	}
	keySet := oidc.NewRemoteKeySet(rp.ctx, p.issuer+"/keys")
	if _, err := keySet.VerifySignature(rp.ctx, tokens[0]); err != nil {
		t.Fatalf("the late logout token does not verify: %v", err)
	}
	_, lc := claims(t, tokens[0])
	if lc["sid"] != idc["sid"] || lc["sub"] != idc["sub"] || lc["aud"] != "lms" || lc["iss"] != p.issuer || lc["nonce"] != nil {
		t.Fatalf("logout token claims %v, id_token %v", lc, idc)
	}
	if _, ok := lc["events"].(map[string]any)["http://schemas.openid.net/event/backchannel-logout"]; !ok {
		t.Fatalf("events %v", lc["events"])
	}
	// Valid when it arrives: issued at delivery, not at the sign-out.
	if exp, iat := lc["exp"].(float64), lc["iat"].(float64); time.Unix(int64(exp), 0).Before(time.Now()) || time.Since(time.Unix(int64(iat), 0)) > 30*time.Second {
		t.Fatalf("the late logout token is stale: iat %v exp %v", iat, exp)
	}
}

// outageCall is one request to a service while something is down: its
// status, Retry-After and body.
type outageCall struct {
	status     int
	retryAfter string
	body       string
}

func callWith(t *testing.T, c *http.Client, method, u, token, acceptLanguage string, body any, headers ...string) outageCall {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return outageCall{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)}
}

// TestOutageIdentityDown runs identity, study and the portal apart and
// stops identity. The study service keeps answering public reads and
// requests with access tokens it verified before, pauses writes (503, as
// it cannot learn of revocations), and answers 503, not 401, where a token
// cannot be checked at all. The portal keeps serving the pages that need
// only the study service to the people signed in; signing in, signing out
// and pages that need identity answer a 503 page in the person's language
// with a retry hint. Nothing answers 500. Identity comes back on the same
// address and everything works again without restarting study or portal.
func TestOutageIdentityDown(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	caFile, portalCert, portalKey := privateCA(t, base)
	idDir, idAddr := filepath.Join(base, "identity"), freeAddr(t)
	idEnv := map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"}
	startIdentity := func() *running {
		return startCampus(t, idEnv, "identity", "--addr", idAddr, "--data", idDir, "--ca-file", caFile)
	}
	id := startIdentity()
	idCert := filepath.Join(idDir, "tls", "cert.pem")
	p := &idp{running: id, dir: idDir, issuer: id.url, http: tlsClient(t, idCert)}
	portalURL := "https://" + freeAddr(t)
	portalClient := p.addClient(t, "--portal", portalURL)
	studyClient := p.addClient(t, "--study")
	study := startCampus(t, studyClient.Settings, "study", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "study"),
		"--issuer", id.url, "--ca-file", idCert)
	bundle := filepath.Join(base, "bundle.pem")
	writeBundle(t, bundle, idCert, filepath.Join(base, "study", "tls", "cert.pem"), caFile)
	portalEnv := map[string]string{"CAMPUS_PORTAL_SESSION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	for k, v := range portalClient.Settings {
		portalEnv[k] = v
	}
	portal := startCampus(t, portalEnv, "portal", "--addr", strings.TrimPrefix(portalURL, "https://"), "--data", filepath.Join(base, "portal"),
		"--tls-cert", portalCert, "--tls-key", portalKey, "--issuer", id.url, "--study-url", study.url, "--ca-file", bundle)
	c := tlsClient(t, bundle)

	// Before the outage: a programme in the catalogue, a student's and an
	// editor's access tokens, a person signed in at the portal.
	app := p.addClient(t, "--id", "tester", "--first-party", "--redirect-uri", "https://tester.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:read")
	p.addUser(t, "stud", "student-password-1", "student")
	scopes := []string{oidc.ScopeOpenID, "studies:write", "grades:read"}
	token := func(user, pw string, extra ...oauth2.AuthCodeOption) string {
		tok, _ := newRP(t, p, app, scopes...).signIn(t, p, p.browser(t), user, pw, extra...)
		return tok.AccessToken
	}
	student := token("stud", "student-password-1")
	editor := token("admin", adminPassword, oauth2.SetAuthURLParam("prompt", "login"))
	prog := callWith(t, c, "POST", study.url+"/v1/programmes", editor, "", map[string]any{"title": "B.Sc. Physics", "degree": "B.Sc.",
		"semesters": 6, "credits_required": 180, "language": "en", "status": "published"})
	var created struct{ ID string }
	if json.Unmarshal([]byte(prog.body), &created); prog.status != http.StatusCreated || created.ID == "" {
		t.Fatalf("create a programme: %d %s", prog.status, prog.body)
	}
	if r := callWith(t, c, "POST", study.url+"/v1/me/enrolments", student, "", map[string]any{"programme_id": created.ID}); r.status != http.StatusCreated {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	b := apartBrowser(t, bundle, id.url, portal.url)
	if done := submitLogin(t, p, b, getPage(t, b, portal.url+"/auth/login?return=/"), "admin", adminPassword); done.status != http.StatusOK ||
		!strings.Contains(html.UnescapeString(done.body), "Signed in as Administrator") {
		t.Fatalf("portal sign-in: %d\n%s", done.status, done.body)
	}
	if pg := getPage(t, b, portal.url+"/profile"); pg.status != http.StatusOK {
		t.Fatalf("profile before the outage: %d", pg.status)
	}
	portalGet := func(path, lang string) outageCall {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, portal.url+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return outageCall{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: html.UnescapeString(string(body))}
	}

	// Identity stops.
	if err := id.stop(); err != nil {
		t.Fatalf("stop identity: %v", err)
	}
	var seen []string // every answer, none may be a 500
	check := func(what string, got outageCall, status int, retryHint bool, want ...string) {
		t.Helper()
		seen = append(seen, what)
		if got.status >= 500 && got.status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d (a %d while identity is down)\n%s", what, got.status, got.status, got.body)
			return
		}
		if got.status != status {
			t.Errorf("%s: %d, want %d\n%s", what, got.status, status, got.body)
			return
		}
		if retryHint && got.retryAfter == "" {
			t.Errorf("%s: %d without Retry-After", what, got.status)
		}
		for _, w := range want {
			if !strings.Contains(got.body, w) {
				t.Errorf("%s: %d lacks %q\n%s", what, got.status, w, got.body)
			}
		}
		for _, bad := range []string{"goroutine", "dial tcp", "connection refused", "runtime error", "Internal Server Error"} {
			if strings.Contains(got.body, bad) {
				t.Errorf("%s shows %q to the person:\n%s", what, bad, got.body)
			}
		}
	}

	// The study service: public reads and verified tokens keep working;
	// writes pause; a token it cannot check is a 503, not a 401.
	check("study: the catalogue", callWith(t, c, "GET", study.url+"/v1/programmes", "", "", nil), http.StatusOK, false, "B.Sc. Physics")
	check("study: a programme", callWith(t, c, "GET", study.url+"/v1/programmes/"+created.ID, "", "", nil), http.StatusOK, false, "B.Sc. Physics")
	check("study: a student's enrolments", callWith(t, c, "GET", study.url+"/v1/me/enrolments", student, "", nil), http.StatusOK, false, created.ID)
	check("study: a student's grades", callWith(t, c, "GET", study.url+"/v1/me/grades", student, "", nil), http.StatusOK, false, "B.Sc. Physics")
	check("study: the catalogue with a token", callWith(t, c, "GET", study.url+"/v1/programmes", editor, "", nil), http.StatusOK, false)
	check("study: a change", callWith(t, c, "PATCH", study.url+"/v1/programmes/"+created.ID, editor, "", map[string]any{"title": "B.Sc. Physik"}, "If-Match", `"1"`),
		http.StatusServiceUnavailable, true, "Changes are paused")
	check("study: an API key it cannot introspect", callWith(t, c, "GET", study.url+"/v1/me/grades", "someopaquekeythatidentitywouldknow", "", nil),
		http.StatusServiceUnavailable, true, "cannot reach identity")
	check("study: liveness", callWith(t, c, "GET", study.url+"/healthz", "", "", nil), http.StatusOK, false)
	// Degraded, not unready: a balancer keeps sending it what it can do.
	check("study: readiness", callWith(t, c, "GET", study.url+"/readyz", "", "", nil), http.StatusOK, false, `"status":"degraded"`, `"identity":"failing"`)

	// The portal: the catalogue and the signed-in person's study pages
	// keep working; what needs identity is a 503 page in their language.
	check("portal: readiness", callWith(t, c, "GET", portal.url+"/readyz", "", "", nil), http.StatusOK, false, `"status":"degraded"`, `"identity":"failing"`, `"study":"ok"`)
	check("portal: the catalogue", portalGet("/programmes", ""), http.StatusOK, false, "B.Sc. Physics")
	check("portal: my study", portalGet("/my", ""), http.StatusOK, false, "Signed in as Administrator")
	check("portal: the profile", portalGet("/profile", ""), http.StatusServiceUnavailable, true,
		"sign-in service, which cannot be reached right now", "try again in a few minutes")
	check("portal: das Profil", portalGet("/profile", "de-DE,de;q=0.9"), http.StatusServiceUnavailable, true,
		"Anmeldedienst von campus, der gerade nicht erreichbar ist", "in einigen Minuten noch einmal")
	check("portal: accounts", portalGet("/admin/users", ""), http.StatusServiceUnavailable, true, "cannot be reached right now")
	check("portal: API access", portalGet("/api-access", ""), http.StatusServiceUnavailable, true, "cannot be reached right now")
	unlock, _ := http.NewRequest(http.MethodPost, portal.url+"/admin/unlock", strings.NewReader("return=/admin/programmes"))
	unlock.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	unlock.Header.Set("Accept-Language", "de")
	if resp, err := b.Do(unlock); err != nil {
		t.Fatalf("unlock editing while identity is down: %v", err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("portal: unlock editing (de)", outageCall{resp.StatusCode, resp.Header.Get("Retry-After"), html.UnescapeString(string(body))},
			http.StatusServiceUnavailable, true, "Anmeldedienst von campus")
	}
	fresh := apartBrowser(t, bundle, id.url, portal.url)
	for _, tc := range []struct{ lang, want string }{
		{"en", "Signing in is not possible right now"},
		{"de", "Anmelden ist gerade nicht möglich"},
	} {
		req, _ := http.NewRequest(http.MethodGet, portal.url+"/auth/login?return=/my", nil)
		req.Header.Set("Accept-Language", tc.lang)
		resp, err := fresh.Do(req)
		if err != nil {
			t.Fatalf("sign-in while identity is down (%s): %v", tc.lang, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("portal: sign-in ("+tc.lang+")", outageCall{resp.StatusCode, resp.Header.Get("Retry-After"), html.UnescapeString(string(body))},
			http.StatusServiceUnavailable, true, tc.want)
	}
	// Sign-out ends the portal session and offers to finish at identity.
	req, _ := http.NewRequest(http.MethodPost, portal.url+"/auth/logout", nil)
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("sign-out while identity is down: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := outageCall{resp.StatusCode, resp.Header.Get("Retry-After"), html.UnescapeString(string(body))}
	check("portal: sign-out", out, http.StatusServiceUnavailable, true, "You are signed out of the portal", "Finish signing out")
	finish := regexp.MustCompile(`href="(https://[^"]*/end_session\?[^"]*)"`).FindStringSubmatch(out.body)
	if finish == nil {
		t.Fatalf("no link to finish signing out:\n%s", out.body)
	}
	if home := portalGet("/", ""); strings.Contains(home.body, "Signed in as") {
		t.Fatal("still signed in at the portal after signing out while identity was down")
	}
	t.Logf("answered while identity was down: %s", strings.Join(seen, "; "))

	// Identity comes back on the same address; study and portal were not
	// restarted.
	startIdentity()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := callWith(t, c, "PATCH", study.url+"/v1/programmes/"+created.ID, editor, "", map[string]any{"title": "B.Sc. Physik"}, "If-Match", `"1"`)
		if r.status == http.StatusOK {
			break
		}
		if r.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("a change after identity is back: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Finishing the sign-out at identity works now: the identity session
	// ends and the browser returns to the portal.
	once := *b
	once.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if end := getPage(t, &once, html.UnescapeString(finish[1])); end.status != http.StatusFound || end.location == nil || end.location.String() != portalURL+"/" {
		t.Fatalf("finish signing out: %d %v\n%s", end.status, end.location, end.body)
	}
	// Signing in at the portal needs the password again (the identity
	// session ended), and the pages that need identity work again.
	start := getPage(t, b, portal.url+"/auth/login?return=/")
	if done := submitLogin(t, p, b, start, "admin", adminPassword); done.status != http.StatusOK ||
		!strings.Contains(html.UnescapeString(done.body), "Signed in as Administrator") {
		t.Fatalf("portal sign-in after the outage: %d\n%s", done.status, done.body)
	}
	if pg := portalGet("/profile", ""); pg.status != http.StatusOK {
		t.Fatalf("profile after the outage: %d\n%s", pg.status, pg.body)
	}
	for _, u := range []string{study.url + "/readyz", portal.url + "/readyz"} {
		if r := callWith(t, c, "GET", u, "", "", nil); r.status != http.StatusOK || !strings.Contains(r.body, `"status":"ready"`) {
			t.Fatalf("%s after the outage: %d %s", u, r.status, r.body)
		}
	}
}
