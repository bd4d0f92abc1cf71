package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/db/dbtest"
)

// Issue 12: PostgreSQL restarted under load. Campus (one real process,
// all three services on a throwaway PostgreSQL cluster) keeps serving:
// while the database is down every request that needs it is answered at
// once with a clean 503 (problem+json and Retry-After on the APIs, RFC
// 6749 error JSON at the token endpoint, an HTML page in the browser),
// never a 500 or a hang; /readyz says unavailable while /healthz stays
// 200; once PostgreSQL is back everything works again within seconds
// without restarting campus; and no write acknowledged with 2xx is lost.
// Twice: a fast shutdown, then a kill -9 of the postmaster. See
// TestOutagePostgresRestart.

// outageKind is how an endpoint answers when it cannot serve.
type outageKind int

const (
	problemJSON   outageKind = iota // REST APIs: RFC 9457 problem+json, Retry-After
	oauthJSON                       // token endpoint: RFC 6749 section 5.2 error JSON
	htmlPage                        // pages people see
	authzRedirect                   // authorization endpoint: RFC 6749 section 4.1.2.1 error redirect
)

// pgCall is one request of the load and what came of it.
type pgCall struct {
	endpoint    string
	began, took time.Duration // since the test's start
	status      int
	ctype       string
	retryAfter  string
	location    string
	body        string
	err         error
}

type outageLog struct {
	start time.Time
	mu    sync.Mutex
	calls []pgCall
}

func (l *outageLog) since() time.Duration { return time.Since(l.start) }

func (l *outageLog) add(c pgCall) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// between returns the calls that began at or after from and ended before to.
func (l *outageLog) between(from, to time.Duration) []pgCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []pgCall
	for _, c := range l.calls {
		if c.began >= from && c.began+c.took <= to {
			out = append(out, c)
		}
	}
	return out
}

// TestOutagePostgresRestart is issue 12's "PostgreSQL restarted under
// load": see the top of this file.
func TestOutagePostgresRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("restarts a PostgreSQL cluster under load")
	}
	pg := dbtest.StartCluster(t)
	idDB, studyDB, portalDB := pg.CreateDatabase(t, "identity"), pg.CreateDatabase(t, "study"), pg.CreateDatabase(t, "portal")
	bin := buildCampus(t)
	dir, addr := t.TempDir(), freePort(t)
	base := "https://" + addr
	proc := startProc(t, bin, nil, base, []string{"serve", "--addr", addr, "--data", dir,
		"--identity-db", idDB, "--study-db", studyDB, "--portal-db", portalDB})
	client := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	p := &idp{running: &running{url: base}, dir: dir, issuer: base + "/idp", http: client}

	app := addClientDB(t, idDB, "--id", "outage", "--first-party", "--redirect-uri", "https://outage.uni.example/cb",
		"--scope", "openid,studies:write,users:read")
	svc := addClientDB(t, idDB, "--id", "outage-svc", "--grant-type", "client_credentials", "--scope", "grades:read")
	rp := newRP(t, p, app, oidc.ScopeOpenID, "studies:write", "users:read")
	tok, _ := rp.signIn(t, p, p.browser(t), "admin", adminPassword, oauth2.SetAuthURLParam("prompt", "login"))
	token := tok.AccessToken
	authorizeURL := rp.config.AuthCodeURL("st-outage", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))

	// No redirects are followed: the sign-in start answers 302 to the
	// login page when it works.
	noFollow := &http.Client{Transport: client.Transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A person signed in to the portal, whose session the portal keeps in
	// its database.
	pb := p.browser(t)
	if pg := submitLogin(t, p, pb, getPage(t, pb, base+"/auth/login?return=/my"), "admin", adminPassword); pg.status != http.StatusOK {
		t.Fatalf("portal sign-in: %d\n%s", pg.status, pg.body)
	}
	signedIn := &http.Client{Transport: client.Transport, Jar: pb.Jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	log := &outageLog{start: time.Now()}
	doAs := func(hc *http.Client, endpoint string, req *http.Request) pgCall {
		c := pgCall{endpoint: endpoint, began: log.since()}
		resp, err := hc.Do(req)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			c.status, c.body = resp.StatusCode, string(b)
			c.ctype, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
			c.retryAfter = resp.Header.Get("Retry-After")
			c.location = resp.Header.Get("Location")
		}
		c.err, c.took = err, log.since()-c.began
		log.add(c)
		return c
	}
	do := func(endpoint string, req *http.Request) pgCall { return doAs(noFollow, endpoint, req) }
	newReq := func(method, path string, body io.Reader, header ...string) *http.Request {
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return req
	}
	bearer := "Bearer " + token

	// Set below, before the load starts: the sign-in page of one
	// authorization request, and its form's CSRF token and cookie.
	var loginPath, authRequestID, csrf, csrfCookie string
	// written: the ids of modules whose creation was acknowledged.
	var wmu sync.Mutex
	var written []string
	seq := 0
	kinds := map[string]outageKind{}
	cached := map[string]bool{}
	type endpoint struct {
		name   string
		kind   outageKind
		ok     int  // the status when it works
		cached bool // may be served from memory for a while: 200 or 503
		call   func() pgCall
	}
	endpoints := []endpoint{
		{"study: read the catalogue", problemJSON, http.StatusOK, false, func() pgCall {
			return do("study: read the catalogue", newReq("GET", "/study/v1/modules?limit=5", nil, "Authorization", bearer))
		}},
		{"study: create a module", problemJSON, http.StatusCreated, false, func() pgCall {
			wmu.Lock()
			seq++
			code := fmt.Sprintf("OUT-%d", seq)
			wmu.Unlock()
			b, _ := json.Marshal(map[string]any{"code": code, "title": "Outage " + code, "credits": 5})
			c := do("study: create a module", newReq("POST", "/study/v1/modules", bytes.NewReader(b),
				"Authorization", bearer, "Content-Type", "application/json"))
			if c.err == nil && c.status/100 == 2 {
				var m struct{ ID string }
				if err := json.Unmarshal([]byte(c.body), &m); err != nil || m.ID == "" {
					t.Errorf("create a module: %d without an id: %s", c.status, c.body)
				}
				wmu.Lock()
				written = append(written, m.ID)
				wmu.Unlock()
			}
			return c
		}},
		// The client is in identity's cache for 2 s and the token a signed
		// JWT: no database needed until the cache entry expires.
		{"identity: token (client_credentials)", oauthJSON, http.StatusOK, true, func() pgCall {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"grades:read"}}
			req := newReq("POST", "/idp/oauth/token", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(svc.ID), url.QueryEscape(svc.Secret))
			return do("identity: token (client_credentials)", req)
		}},
		{"identity: token (authorization_code)", oauthJSON, http.StatusBadRequest, false, func() pgCall {
			// A code that was never issued: invalid_grant once the
			// database has said so.
			form := url.Values{"grant_type": {"authorization_code"}, "code": {"no-such-code"},
				"redirect_uri": {app.RedirectURIs[0]}, "code_verifier": {oauth2.GenerateVerifier()}}
			req := newReq("POST", "/idp/oauth/token", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(app.ID), url.QueryEscape(app.Secret))
			c := do("identity: token (authorization_code)", req)
			if c.status == http.StatusBadRequest && !strings.Contains(c.body, `"invalid_grant"`) {
				t.Errorf("token with an unknown code: %s, want invalid_grant", c.body)
			}
			return c
		}},
		{"identity: admin API", problemJSON, http.StatusOK, false, func() pgCall {
			return do("identity: admin API", newReq("GET", "/idp/api/v1/users?limit=5", nil, "Authorization", bearer))
		}},
		{"identity: sign-in start", authzRedirect, http.StatusFound, false, func() pgCall {
			return do("identity: sign-in start", newReq("GET", strings.TrimPrefix(authorizeURL, base), nil, "Accept", "text/html"))
		}},
		{"identity: sign-in page", htmlPage, http.StatusOK, false, func() pgCall {
			return do("identity: sign-in page", newReq("GET", loginPath, nil, "Accept", "text/html"))
		}},
		{"identity: sign-in (wrong password)", htmlPage, http.StatusUnauthorized, false, func() pgCall {
			// No such account: 401 and the form again when the database
			// answers; no lockout builds up.
			form := url.Values{"authRequestID": {authRequestID}, "csrf": {csrf}, "username": {"no-such-person"}, "password": {"not-the-password"}}
			return do("identity: sign-in (wrong password)", newReq("POST", "/idp/login", strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded", "Cookie", csrfCookie))
		}},
		{"portal: profile (signed in)", htmlPage, http.StatusOK, false, func() pgCall {
			return doAs(signedIn, "portal: profile (signed in)", newReq("GET", "/profile", nil, "Accept", "text/html"))
		}},
		{"portal: catalogue page", htmlPage, http.StatusOK, false, func() pgCall {
			return do("portal: catalogue page", newReq("GET", "/programmes", nil, "Accept", "text/html"))
		}},
	}
	for _, e := range endpoints {
		kinds[e.name] = e.kind
		cached[e.name] = e.cached
	}
	probe := func(path string) pgCall { return do(path, newReq("GET", path, nil)) }

	// The sign-in page of one authorization request, read again and again.
	{
		req := newReq("GET", strings.TrimPrefix(authorizeURL, base), nil)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %d %v", resp.StatusCode, err)
		}
		loginPath = loc.RequestURI()
		authRequestID = loc.Query().Get("authRequestID")
		resp, err = noFollow.Do(newReq("GET", loginPath, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := formCSRF.FindStringSubmatch(string(body))
		if m == nil {
			t.Fatalf("no CSRF token in the sign-in form:\n%s", body)
		}
		csrf = m[1]
		for _, c := range resp.Cookies() {
			if c.Name == "campus_idp_csrf" {
				csrfCookie = c.Name + "=" + c.Value
			}
		}
		if csrfCookie == "" {
			t.Fatal("the sign-in page set no CSRF cookie")
		}
	}

	// Everything works before the outage.
	for _, e := range endpoints {
		if c := e.call(); c.err != nil || c.status != e.ok {
			t.Fatalf("before the outage: %s: %d %v %s", e.name, c.status, c.err, c.body)
		}
	}
	if c := probe("/readyz"); c.status != http.StatusOK {
		t.Fatalf("before the outage: /readyz %d %s", c.status, c.body)
	}

	// The load: each endpoint from a goroutine of its own, without pause.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, e := range endpoints {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				e.call()
			}
		})
	}
	var once sync.Once
	stopLoad := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()

	// waitFor waits until cond holds of the calls since from (15 s at most).
	waitFor := func(t *testing.T, what string, from time.Duration, cond func([]pgCall) bool) time.Duration {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond(log.between(from, log.since())) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return log.since() - from
	}
	// each is true when every endpoint has n calls in cs matching ok.
	each := func(n int, ok func(c pgCall, e endpoint) bool) func([]pgCall) bool {
		return func(cs []pgCall) bool {
			for _, e := range endpoints {
				k := 0
				for _, c := range cs {
					if c.endpoint == e.name && ok(c, e) {
						k++
					}
				}
				if k < n {
					return false
				}
			}
			return true
		}
	}
	works := func(c pgCall, e endpoint) bool { return c.err == nil && c.status == e.ok }
	anyAnswer := func(pgCall, endpoint) bool { return true }

	for _, outage := range []struct {
		name string
		down func(testing.TB)
	}{{"fast shutdown", pg.Stop}, {"kill -9", pg.Kill}} {
		t.Run(outage.name, func(t *testing.T) {
			waitFor(t, "load running before "+outage.name, log.since(), each(3, works))
			outage.down(t)
			downAt := log.since()
			// The outage lasts until every endpoint was asked three times.
			waitFor(t, "requests during the outage", downAt, each(3, anyAnswer))
			if c := probe("/readyz"); c.status != http.StatusServiceUnavailable || !strings.Contains(c.body, `"unavailable"`) {
				t.Errorf("during the outage: /readyz %d %s, want 503 unavailable", c.status, c.body)
			}
			if c := probe("/healthz"); c.status != http.StatusOK {
				t.Errorf("during the outage: /healthz %d %s, want 200 (alive)", c.status, c.body)
			}
			upAt := log.since()
			pg.Start(t)
			startedAt := log.since()

			// Every answer while the database was down: a clean 503,
			// unless it was served from memory. The first few failures of an
			// endpoint are enough to read.
			failures := map[string]int{}
			for _, c := range log.between(downAt, upAt) {
				kind, ok := kinds[c.endpoint]
				if !ok {
					continue // a probe, checked above
				}
				var what string
				switch {
				case cached[c.endpoint] && c.err == nil && c.status == http.StatusOK:
					// served from memory
				case kind == authzRedirect && c.err == nil && c.status == http.StatusFound:
					if !strings.Contains(c.location, "error=temporarily_unavailable") {
						what = "want a redirect with error=temporarily_unavailable, got one to " + c.location
					}
				case c.err != nil || c.status != http.StatusServiceUnavailable:
					what = "want 503"
				default:
					what = unclean(c, kind)
				}
				if what != "" {
					if failures[c.endpoint]++; failures[c.endpoint] <= 3 {
						t.Errorf("%s at %s during the outage: %d %v: %s; body %.300s", c.endpoint, c.began, c.status, c.err, what, c.body)
					}
				}
			}
			// Back without restarting campus, within a few seconds.
			took := waitFor(t, "recovery after "+outage.name, startedAt, each(1, works))
			t.Logf("%s: all endpoints worked again %s after PostgreSQL was started", outage.name, took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Errorf("%s: recovery took %s, want at most 5 s", outage.name, took)
			}
			if c := probe("/readyz"); c.status != http.StatusOK {
				t.Errorf("after the outage: /readyz %d %s", c.status, c.body)
			}
		})
	}
	stopLoad()

	// Never a 500, a transport error or a hang, at any time of the run.
	counts := map[string]map[int]int{}
	var slowest time.Duration
	firstOf := map[string]bool{}
	for _, c := range log.between(0, log.since()) {
		if _, ok := kinds[c.endpoint]; !ok {
			continue // the probes, checked above
		}
		if k := fmt.Sprint(c.endpoint, c.status, strings.Contains(c.location, "error=")); !firstOf[k] && c.status != http.StatusOK {
			firstOf[k] = true
			t.Logf("first %d of %s: %s %.200s", c.status, c.endpoint, c.location, c.body)
		}
		if counts[c.endpoint] == nil {
			counts[c.endpoint] = map[int]int{}
		}
		counts[c.endpoint][c.status]++
		slowest = max(slowest, c.took)
		switch {
		case c.err != nil:
			t.Errorf("%s at %s: %v after %s", c.endpoint, c.began, c.err, c.took)
		case c.status >= 500 && c.status != http.StatusServiceUnavailable:
			t.Errorf("%s at %s: %d %s", c.endpoint, c.began, c.status, c.body)
		case c.took > 6*time.Second:
			t.Errorf("%s at %s: answered after %s", c.endpoint, c.began, c.took)
		case c.status == http.StatusServiceUnavailable:
			if what := unclean(c, kinds[c.endpoint]); what != "" {
				t.Errorf("%s at %s: 503 %s; body %.300s", c.endpoint, c.began, what, c.body)
			}
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-40s %v", n, counts[n])
	}
	t.Logf("slowest answer: %s", slowest.Round(time.Millisecond))

	// The same process served throughout, and never panicked.
	select {
	case <-proc.exited:
		t.Errorf("campus exited:\n%s", proc.stderr)
	default:
	}
	if strings.Contains(proc.stderr.String(), "panic") {
		t.Errorf("campus logged a panic:\n%s", proc.stderr)
	}

	// No acknowledged write is lost.
	wmu.Lock()
	ids := append([]string(nil), written...)
	wmu.Unlock()
	for _, id := range ids {
		c := do("read back", newReq("GET", "/study/v1/modules/"+id, nil, "Authorization", bearer))
		if c.err != nil || c.status != http.StatusOK {
			t.Errorf("module %s was acknowledged but reads %d %v %s", id, c.status, c.err, c.body)
		}
	}
	t.Logf("%d acknowledged module creations read back", len(ids))
}

// unclean says what is wrong with a 503 for its kind, "" when nothing.
func unclean(c pgCall, kind outageKind) string {
	if c.retryAfter == "" {
		return "without Retry-After"
	}
	switch kind {
	case problemJSON:
		var p struct{ Status int }
		if c.ctype != "application/problem+json" || json.Unmarshal([]byte(c.body), &p) != nil || p.Status != 503 {
			return "not as problem+json with status 503 (" + c.ctype + ")"
		}
	case oauthJSON:
		// RFC 6749 section 5.2 has no temporarily_unavailable (that code
		// exists only for authorization responses, section 4.1.2.1):
		// server_error it is, with the HTTP status saying "try later".
		var e struct{ Error string }
		if c.ctype != "application/json" || json.Unmarshal([]byte(c.body), &e) != nil || e.Error != "server_error" {
			return "not as RFC 6749 error JSON server_error (" + c.ctype + ")"
		}
	case htmlPage, authzRedirect:
		// At authorize a 503 page, not a redirect, when the client itself
		// could not be read: its redirect URI is not known to be its own.
		if c.ctype != "text/html" {
			return "not as an HTML page (" + c.ctype + ")"
		}
	}
	return ""
}
