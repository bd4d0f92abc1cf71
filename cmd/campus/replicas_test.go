package main

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/certs"
	"campus/internal/db/dbtest"
	"campus/internal/mail/mailtest"
)

// replicas is two replicas of each service on PostgreSQL, each pair behind
// its round-robin proxy.
type replicas struct {
	identity, study, portal *rrProxy
	identityDB              string
	client                  *http.Client // trusts the proxies' certificate
	idp                     *idp         // identity as the OIDC tests see it: the proxy
	smtp                    *mailtest.Server
	logouts                 *logoutReceiver
	logoutURL               string
	running                 map[string][]*running
	cert                    tls.Certificate // the proxies' certificate
}

func randomKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// startReplicas starts the topology. Every service has its own database
// (a fresh PostgreSQL schema); the replicas of a service share it and its
// secrets. The replicas serve plain HTTP on loopback and trust 127.0.0.1,
// the proxies, for X-Forwarded-For; the proxies serve TLS with one test
// certificate (made by campus's own self-signed generator), which study
// and the portal trust through --ca-file.
func startReplicas(t *testing.T) *replicas {
	t.Helper()
	idDB, studyDB, portalDB := dbtest.PostgresURL(t), dbtest.PostgresURL(t), dbtest.PostgresURL(t)
	tlsDir := t.TempDir()
	cert, _, err := certs.SelfSigned(tlsDir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(tlsDir, "cert.pem")
	rs := &replicas{cert: cert, identity: startProxy(t, cert), study: startProxy(t, cert), portal: startProxy(t, cert),
		identityDB: idDB, client: tlsClient(t, caFile), logouts: &logoutReceiver{bySID: map[string]int{}}, running: map[string][]*running{}}
	rcv := httptest.NewServer(rs.logouts)
	t.Cleanup(rcv.Close)
	rs.logoutURL = rcv.URL + "/backchannel"

	rs.smtp = mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth("campus", "smtp-secret"))
	smtpCA := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(smtpCA, rs.smtp.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--addr", "127.0.0.1:0", "--plain-http", "--trusted-proxies", "127.0.0.1"}
	start := func(service string, p *rrProxy, environ map[string]string, args ...string) {
		for i := 0; i < 2; i++ {
			all := append([]string{service, "--public-url", p.url, "--data", t.TempDir()}, common...)
			// Replicas start one after the other: the first migrates the
			// database (and identity's creates the administrator).
			rs.running[service] = append(rs.running[service], startCampus(t, environ, append(all, args...)...))
		}
		p.setBackends(replicaAddr(t, rs.running[service][0]), replicaAddr(t, rs.running[service][1]))
	}

	start("identity", rs.identity, map[string]string{
		"CAMPUS_KEY_ENCRYPTION_KEY": randomKey(t), "CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000",
		"CAMPUS_SMTP_HOST": rs.smtp.Host(), "CAMPUS_SMTP_PORT": strconv.Itoa(rs.smtp.Port()), "CAMPUS_SMTP_USERNAME": "campus",
		"CAMPUS_SMTP_PASSWORD": "smtp-secret", "CAMPUS_SMTP_FROM": "Campus <noreply@uni.example>", "CAMPUS_SMTP_CA_FILE": smtpCA,
		"CAMPUS_MAIL_RETRY_BASE": "200ms"}, "--db", idDB,
		// The portal refreshes an access token within a minute of its end:
		// with 62 s, every portal request after the first 2 s of a token
		// refreshes, which the parallel-refresh case needs.
		"--access-token-ttl", "62s")
	rs.idp = &idp{running: &running{url: rs.identity.url}, issuer: rs.identity.url, http: rs.client}

	// The portal's client, registered by hand as docs/operations.md says
	// for services running apart. Identity delivers back-channel logout
	// through the proxy's internal plain entrance: identity trusts only the
	// system's roots, not the test certificate.
	portalClient := addClientDB(t, idDB, "--id", "campus-portal", "--name", "campus portal", "--first-party",
		"--redirect-uri", rs.portal.url+"/auth/callback", "--post-logout-redirect-uri", rs.portal.url+"/",
		"--backchannel-logout-uri", rs.portal.plainURL+"/auth/backchannel-logout",
		"--scope", "openid,profile,email,offline_access,users:read,users:write,roles:write,grades:read,grades:write")

	start("study", rs.study, nil, "--db", studyDB, "--issuer", rs.identity.url, "--ca-file", caFile)
	start("portal", rs.portal, map[string]string{"CAMPUS_PORTAL_CLIENT_SECRET": portalClient.Secret, "CAMPUS_PORTAL_SESSION_KEY": randomKey(t)},
		"--db", portalDB, "--issuer", rs.identity.url, "--study-url", rs.study.url, "--ca-file", caFile)
	return rs
}

func TestReplicas(t *testing.T) {
	began := time.Now()
	rs := startReplicas(t)
	t.Logf("six replicas and three proxies ready in %s", time.Since(began).Round(time.Millisecond))
	p, c := rs.idp, rs.client

	t.Run("round robin without stickiness", func(t *testing.T) {
		for name, px := range map[string]*rrProxy{"identity": rs.identity, "study": rs.study, "portal": rs.portal} {
			type answer struct{ replica, seq string }
			var seen []answer
			for i := 0; i < 6; i++ {
				status, h, body := jsonCall(t, c, "GET", px.url+"/healthz", "", nil)
				if status != http.StatusOK {
					t.Fatalf("%s healthz through the proxy: %d %s", name, status, body)
				}
				seen = append(seen, answer{h.Get(replicaHeader), h.Get(seqHeader)})
			}
			for i := 1; i < len(seen); i++ {
				prev, _ := strconv.Atoi(seen[i-1].seq)
				// Requests of the services in between may take a turn.
				if seen[i].seq == strconv.Itoa(prev+1) && seen[i].replica == seen[i-1].replica {
					t.Errorf("%s: consecutive requests on the same replica: %v", name, seen)
				}
			}
		}
	})

	var lena = "replicated-passphrase-7"
	// Both identity replicas run the mail and back-channel outboxes; the
	// one that queues an entry sends it at once, the other reads the outbox
	// every 5 s. "Exactly once" is checked at the end, a full poll period
	// after the last entry was queued, so the other replica had its chance.
	const outboxPoll = 5 * time.Second
	var lastQueued time.Time
	var logoutSID string
	t.Run("mail delivered exactly once", func(t *testing.T) {
		reg := map[string]any{"username": "lena", "email": "lena@uni.example", "password": lena, "given_name": "Lena", "family_name": "Lang"}
		if status, _, body := jsonCall(t, c, "POST", p.issuer+"/api/v1/registrations", "", reg); status != http.StatusCreated {
			t.Fatalf("registration: %d %s", status, body)
		}
		lastQueued = time.Now()
		m := received(t, rs.smtp, 1, "lena@uni.example")
		// The link and its form: the page from one replica, the POST (with
		// its CSRF cookie) to the other.
		b := siteBrowser(t, c)
		pg := getPage(t, b, mailLink.FindString(m.Text))
		if done := postPage(t, b, p.issuer+"/confirm", formOf(t, pg, "token", "csrf")); done.status != http.StatusOK || !strings.Contains(done.body, "is confirmed") {
			t.Fatalf("confirm: %d\n%s", done.status, done.body)
		}
	})

	t.Run("oidc relying party", func(t *testing.T) {
		lms := addClientDB(t, rs.identityDB, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb",
			"--post-logout-redirect-uri", "https://lms.uni.example/", "--backchannel-logout-uri", rs.logoutURL)
		r := newRP(t, p, lms, oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess)
		b := p.browser(t)
		tok, _ := r.signIn(t, p, b, "admin", adminPassword)
		_, idc := claims(t, tok.Extra("id_token").(string))

		info, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tok))
		if err != nil || info.Subject != idc["sub"] {
			t.Fatalf("userinfo: %v %v, want sub %v", info, err, idc["sub"])
		}
		next, err := r.refresh(tok.RefreshToken)
		if err != nil || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh: %v (rotated: %v)", err, next != nil && next.RefreshToken != tok.RefreshToken)
		}
		var ep struct {
			Introspection string `json:"introspection_endpoint"`
			Revocation    string `json:"revocation_endpoint"`
		}
		if err := r.provider.Claims(&ep); err != nil || ep.Introspection == "" || ep.Revocation == "" {
			t.Fatalf("discovery lacks introspection or revocation: %+v %v", ep, err)
		}
		if status, body := postForm(t, c, ep.Introspection, lms.ID, lms.Secret, url.Values{"token": {next.AccessToken}}); status != http.StatusOK || body["active"] != true {
			t.Fatalf("introspection of a fresh access token: %d %v", status, body)
		}
		if status, _ := postForm(t, c, ep.Revocation, lms.ID, lms.Secret, url.Values{"token": {next.RefreshToken}, "token_type_hint": {"refresh_token"}}); status != http.StatusOK {
			t.Fatalf("revocation: %d", status)
		}
		if _, err := r.refresh(next.RefreshToken); err == nil {
			t.Fatal("a revoked refresh token still works on some replica")
		}
		if status, body := postForm(t, c, ep.Introspection, lms.ID, lms.Secret, url.Values{"token": {next.RefreshToken}}); status != http.StatusOK || body["active"] != false {
			t.Fatalf("introspection of the revoked refresh token: %d %v", status, body)
		}

		// Back-channel logout: one logout token for the session, not one per
		// replica.
		sid, _ := idc["sid"].(string)
		q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://lms.uni.example/"}}
		if pg := getPage(t, b, p.issuer+"/end_session?"+q.Encode()); pg.location == nil {
			t.Fatalf("logout: status %d", pg.status)
		}
		lastQueued, logoutSID = time.Now(), sid
		deadline := time.Now().Add(10 * time.Second)
		for rs.logouts.count(sid) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no logout token for sid %q within 10s", sid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("portal journey", func(t *testing.T) {
		b := siteBrowser(t, c)
		start := getPage(t, b, rs.portal.url+"/my")
		if !formAuthRequest.MatchString(start.body) {
			t.Fatalf("my study signed out did not lead to identity's sign-in form: %d\n%s", start.status, start.body)
		}
		my := submitLogin(t, p, b, start, "lena", lena)
		if body := html.UnescapeString(my.body); my.status != http.StatusOK || !strings.Contains(body, "My study") || !strings.Contains(body, "not enrolled") {
			t.Fatalf("my study after sign-in: %d\n%s", my.status, my.body)
		}
		// Every later page comes from either portal replica: the session is
		// in the shared database, sealed with the shared key.
		for i := 0; i < 2; i++ {
			prof := getPage(t, b, rs.portal.url+"/profile")
			if body := html.UnescapeString(prof.body); prof.status != http.StatusOK || !strings.Contains(body, "lena@uni.example") {
				t.Fatalf("profile (request %d): %d\n%s", i, prof.status, prof.body)
			}
		}

		// Back-channel logout to the portal: another application of the same
		// identity session logs out; identity tells the portal (through the
		// proxy's internal entrance, to either replica), and the session ends
		// on both portal replicas.
		elsewhere := addClientDB(t, rs.identityDB, "--id", "elsewhere", "--first-party", "--redirect-uri", "https://else.uni.example/cb",
			"--post-logout-redirect-uri", "https://else.uni.example/")
		tok, _ := newRP(t, p, elsewhere, oidc.ScopeOpenID).signIn(t, p, b, "", "")
		q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://else.uni.example/"}}
		getPage(t, b, p.issuer+"/end_session?"+q.Encode())
		deadline := time.Now().Add(10 * time.Second)
		for gone := 0; gone < 2; {
			// Two answers in a row without a session: one from each replica.
			if body := html.UnescapeString(getPage(t, b, rs.portal.url+"/").body); strings.Contains(body, "Signed in as") {
				gone = 0
			} else {
				gone++
			}
			if time.Now().After(deadline) {
				t.Fatal("the portal session survived the end of the identity session")
			}
			time.Sleep(20 * time.Millisecond)
		}

		// Sign in again and sign out from the portal: everywhere.
		if pg := submitLogin(t, p, b, getPage(t, b, rs.portal.url+"/my"), "lena", lena); pg.status != http.StatusOK || !strings.Contains(pg.body, "My study") {
			t.Fatalf("signing in again: %d", pg.status)
		}
		req, _ := http.NewRequest(http.MethodPost, rs.portal.url+"/auth/logout", nil)
		if out := visit(t, b, req); strings.Contains(html.UnescapeString(out.body), "Signed in as") {
			t.Fatalf("still signed in after signing out: %d", out.status)
		}
		if again := getPage(t, b, rs.portal.url+"/my"); !formAuthRequest.MatchString(again.body) {
			t.Fatalf("after signing out, my study did not ask to sign in: %d", again.status)
		}
	})

	t.Run("parallel refresh through both portal replicas", func(t *testing.T) {
		// Two tabs, a page and its download: parallel requests of one
		// person whose access token is due, spread over both portal
		// replicas. One refresh reaches identity (the session's lease in
		// the portal's database); identity takes an immediate retry for
		// what it is; nobody is signed out.
		b := siteBrowser(t, c)
		if pg := submitLogin(t, p, b, getPage(t, b, rs.portal.url+"/my"), "lena", lena); pg.status != http.StatusOK || !strings.Contains(pg.body, "My study") {
			t.Fatalf("sign-in through the portal: %d", pg.status)
		}
		const rounds, parallel = 3, 8
		tokenPath := strings.TrimPrefix(p.issuer, rs.identity.url) + "/oauth/token"
		for round := range rounds {
			time.Sleep(2500 * time.Millisecond) // the token is now within a minute of its end
			before, tokensBefore := rs.portal.counts(), rs.identity.served(tokenPath)
			results := make([]string, parallel)
			var wg sync.WaitGroup
			for i := range parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := b.Get(rs.portal.url + "/profile")
					if err != nil {
						results[i] = err.Error()
						return
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					if text := html.UnescapeString(string(body)); resp.StatusCode != http.StatusOK || !strings.Contains(text, "lena@uni.example") {
						results[i] = fmt.Sprintf("status %d, signed in %v", resp.StatusCode, strings.Contains(text, "Signed in as"))
					}
				}()
			}
			wg.Wait()
			for i, res := range results {
				if res != "" {
					t.Errorf("round %d, parallel request %d: %s", round+1, i+1, res)
				}
			}
			after := rs.portal.counts()
			if after[0] == before[0] || after[1] == before[1] {
				t.Errorf("round %d did not reach both portal replicas: %v then %v", round+1, before, after)
			}
			// The token endpoint serves nobody else meanwhile: exactly the
			// portal's one refresh for the session.
			if n := rs.identity.served(tokenPath) - tokensBefore; n != 1 {
				t.Errorf("round %d: %d refreshes reached identity for %d parallel requests of one session, want 1", round+1, n, parallel)
			}
		}
		if pg := getPage(t, b, rs.portal.url+"/profile"); pg.status != http.StatusOK || !strings.Contains(html.UnescapeString(pg.body), "lena@uni.example") {
			t.Fatalf("after the parallel refreshes the person is signed out: %d", pg.status)
		}
	})

	t.Run("ETag edits on alternating replicas", func(t *testing.T) {
		console := addClientDB(t, rs.identityDB, "--id", "console", "--first-party", "--redirect-uri", "https://console.uni.example/cb",
			"--scope", "openid", "--scope", "users:read", "--scope", "roles:write")
		tok, _ := newRP(t, p, console, oidc.ScopeOpenID, "users:read", "roles:write").signIn(t, p, p.browser(t), "admin", adminPassword)
		at := tok.AccessToken
		role := p.issuer + "/api/v1/roles/replicated"
		if status, _, body := jsonCall(t, c, "POST", p.issuer+"/api/v1/roles", at,
			map[string]any{"name": "replicated", "description": "one", "permissions": []string{"grades:read"}}); status != http.StatusCreated {
			t.Fatalf("create role: %d %s", status, body)
		}
		status, h, body := jsonCall(t, c, "GET", role, at, nil, replicaHeader, "0")
		v1 := h.Get("ETag")
		if status != http.StatusOK || v1 == "" || h.Get(replicaHeader) != "0" {
			t.Fatalf("GET on replica 0: %d ETag %q from %q: %s", status, v1, h.Get(replicaHeader), body)
		}
		status, h, body = jsonCall(t, c, "PATCH", role, at, map[string]any{"description": "two"}, replicaHeader, "1", "If-Match", v1)
		v2 := h.Get("ETag")
		if status != http.StatusOK || v2 == "" || v2 == v1 || h.Get(replicaHeader) != "1" {
			t.Fatalf("PATCH on replica 1 with replica 0's ETag: %d ETag %q from %q: %s", status, v2, h.Get(replicaHeader), body)
		}
		for _, replica := range []string{"0", "1"} {
			if status, _, body := jsonCall(t, c, "PATCH", role, at, map[string]any{"description": "stale"}, replicaHeader, replica, "If-Match", v1); status != http.StatusPreconditionFailed {
				t.Fatalf("stale If-Match on replica %s: %d %s, want 412", replica, status, body)
			}
		}
		status, h, body = jsonCall(t, c, "GET", role, at, nil, replicaHeader, "0")
		if status != http.StatusOK || h.Get("ETag") != v2 || !strings.Contains(body, `"two"`) {
			t.Fatalf("GET on replica 0 after the edit: %d ETag %q: %s", status, h.Get("ETag"), body)
		}
	})

	t.Run("account lockout counts failed sign-ins on both replicas", func(t *testing.T) {
		// The default: locked after 5 failed sign-ins. The attempts alternate
		// between the replicas; the count is the account's, in the database.
		app := addClientDB(t, rs.identityDB, "--id", "lockout-app", "--first-party", "--redirect-uri", "https://lock.uni.example/cb")
		r := newRP(t, p, app, oidc.ScopeOpenID)
		b := p.browser(t)
		pg := getPage(t, b, r.config.AuthCodeURL("st-lock", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		for i := 0; i < 5; i++ {
			if pg = submitLogin(t, p, b, pg, "lena", "not-the-password"); pg.location != nil || !formAuthRequest.MatchString(pg.body) {
				t.Fatalf("failed sign-in %d: %d %v", i+1, pg.status, pg.location)
			}
		}
		if pg = submitLogin(t, p, b, pg, "lena", lena); pg.location != nil {
			t.Fatalf("the right password after 5 failures on two replicas signed in (redirect to %s): the lockout is per replica", pg.location)
		}
	})

	t.Run("mail and back-channel logout delivered exactly once", func(t *testing.T) {
		if lastQueued.IsZero() || logoutSID == "" {
			t.Skip("the mail or the back-channel case did not get as far as queueing")
		}
		time.Sleep(time.Until(lastQueued.Add(outboxPoll + time.Second)))
		if n := len(rs.smtp.Messages()); n != 1 {
			t.Errorf("%d mails for one registration, want exactly 1", n)
		}
		if n := rs.logouts.count(logoutSID); n != 1 {
			t.Errorf("%d logout tokens for sid %q, want exactly 1", n, logoutSID)
		}
	})

	// Limits hold for the deployment, not per replica (counted in the
	// database).
	t.Run("registration limit holds across replicas", func(t *testing.T) {
		// 10 an hour per address; the mail case used one.
		for i := 0; i < 9; i++ {
			reg := map[string]any{"username": "many" + strconv.Itoa(i), "email": "many" + strconv.Itoa(i) + "@uni.example",
				"password": "a-fine-passphrase", "given_name": "Many", "family_name": "Times"}
			if status, _, body := jsonCall(t, c, "POST", p.issuer+"/api/v1/registrations", "", reg); status != http.StatusCreated {
				t.Fatalf("registration %d: %d %s", i+2, status, body)
			}
		}
		reg := map[string]any{"username": "one-too-many", "email": "one-too-many@uni.example", "password": "a-fine-passphrase", "given_name": "One", "family_name": "More"}
		if status, _, body := jsonCall(t, c, "POST", p.issuer+"/api/v1/registrations", "", reg); status != http.StatusTooManyRequests {
			t.Fatalf("the 11th registration within an hour across both replicas: %d %s, want 429", status, body)
		}
	})
	t.Run("sign-in limit holds across replicas", func(t *testing.T) {
		// A second identity pair on its own database, allowing 4 sign-in
		// attempts per address and minute after a burst of 10: the 11th at
		// once, wherever it lands, is refused. (Attempts for nobody, so that
		// no account lockout interferes.)
		px := startProxy(t, rs.cert)
		environ := map[string]string{"CAMPUS_KEY_ENCRYPTION_KEY": randomKey(t), "CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "4"}
		dsn := dbtest.PostgresURL(t)
		var pair []*running
		for i := 0; i < 2; i++ {
			pair = append(pair, startCampus(t, environ, "identity", "--public-url", px.url, "--data", t.TempDir(), "--db", dsn,
				"--addr", "127.0.0.1:0", "--plain-http", "--trusted-proxies", "127.0.0.1"))
		}
		px.setBackends(replicaAddr(t, pair[0]), replicaAddr(t, pair[1]))
		limited := &idp{running: &running{url: px.url}, issuer: px.url, http: c}
		app := addClientDB(t, dsn, "--id", "limited-app", "--first-party", "--redirect-uri", "https://limited.uni.example/cb")
		r := newRP(t, limited, app, oidc.ScopeOpenID)
		b := limited.browser(t)
		pg := getPage(t, b, r.config.AuthCodeURL("st-limit", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		for i := 0; i < 10; i++ {
			if pg = submitLogin(t, limited, b, pg, "nobody", "not-the-password"); pg.status == http.StatusTooManyRequests {
				t.Fatalf("sign-in attempt %d refused as too many; the burst is 10", i+1)
			}
		}
		if pg = submitLogin(t, limited, b, pg, "nobody", "not-the-password"); pg.status != http.StatusTooManyRequests {
			t.Fatalf("the 11th sign-in attempt at once across both replicas: %d, want 429", pg.status)
		}
	})
	t.Run("every replica served", func(t *testing.T) {
		for name, px := range map[string]*rrProxy{"identity": rs.identity, "study": rs.study, "portal": rs.portal} {
			if n := px.counts(); n[0] == 0 || n[1] == 0 {
				t.Errorf("%s: requests per replica %v", name, n)
			} else {
				t.Logf("%s: requests per replica %v", name, n)
			}
		}
	})
	t.Logf("whole test: %s", time.Since(began).Round(time.Millisecond))
}
