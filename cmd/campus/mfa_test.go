package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"campus/internal/identity/directory/ldaptest"
)

var (
	pageSecret = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	pageCodes  = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

func appCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// postFormPage sends a form of page pg (its authRequestID and csrf) with fields.
func postFormPage(t testing.TB, b *http.Client, u string, pg page, fields url.Values) page {
	t.Helper()
	form := url.Values{}
	if m := formAuthRequest.FindStringSubmatch(pg.body); m != nil {
		form.Set("authRequestID", m[1])
	}
	if m := formCSRF.FindStringSubmatch(pg.body); m != nil {
		form.Set("csrf", m[1])
	}
	for k, v := range fields {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

// TestSecondFactorsWholeProgram: on `campus serve` as shipped (no
// --mfa-roles: administrators require a second factor) the administrator
// enrols an authenticator app right after the password, and the tokens
// say mfa; a student signs in with the password alone, adds an app on
// identity's security page, and from then on signs in with its code.
func TestSecondFactorsWholeProgram(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// CAMPUS_MFA_ROLES empty: the default, as a newcomer runs it.
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000", "CAMPUS_MFA_ROLES": ""},
		"serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	app := p.addClient(t, "--id", "wiki", "--name", "University Wiki", "--first-party",
		"--redirect-uri", "https://wiki.uni.example/callback", "--scope", "openid", "--scope", "profile")
	rp := newRP(t, p, app, oidc.ScopeOpenID, "profile")
	exchange := func(pg page, state, verifier string) *oauth2.Token {
		t.Helper()
		tok, err := rp.config.Exchange(rp.ctx, codeFrom(t, pg, rp.config.RedirectURL, state), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		return tok
	}
	begin := func(b *http.Client) (page, string) {
		t.Helper()
		v := oauth2.GenerateVerifier()
		return getPage(t, b, rp.config.AuthCodeURL("st", oauth2.S256ChallengeOption(v))), v
	}
	amr := func(tok *oauth2.Token) []string {
		_, c := claims(t, tok.AccessToken)
		var out []string
		for _, v := range c["amr"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}

	// The administrator: enrolment right after the password.
	b := p.browser(t)
	pg, v := begin(b)
	enrol := submitLogin(t, p, b, pg, "admin", adminPassword)
	m := pageSecret.FindStringSubmatch(enrol.body)
	if m == nil || !strings.Contains(enrol.body, "Set up a second factor") {
		t.Fatalf("the administrator was not asked to set up a second factor: %d\n%s", enrol.status, enrol.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	codes := postFormPage(t, b, p.issuer+"/login/enrol", enrol, url.Values{"code": {appCode(t, secret, time.Now())}})
	if n := len(pageCodes.FindAllString(codes.body, -1)); n != 10 {
		t.Fatalf("%d recovery codes shown:\n%s", n, codes.body)
	}
	tok := exchange(postFormPage(t, b, p.issuer+"/login/enrol/done", codes, nil), "st", v)
	if got := amr(tok); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("the administrator's amr: %v", got)
	}
	_, idc := claims(t, tok.Extra("id_token").(string))
	if idc["acr"] != "urn:campus:acr:mfa" {
		t.Fatalf("the id_token's acr: %v", idc["acr"])
	}

	// The way back in for an administrator who lost every factor: on the
	// server, campus factors reset.
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"factors", "list", "admin", "--data", dir}, envMap(nil), &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "totp") || !strings.Contains(out.String(), "Recovery codes left: 10") {
		t.Fatalf("campus factors list: %v\n%s%s", err, out.String(), errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"factors", "reset", "admin", "--data", dir}, envMap(nil), &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "Removed 1 second factors") {
		t.Fatalf("campus factors reset: %v\n%s%s", err, out.String(), errOut.String())
	}
	b0 := p.browser(t)
	pg, _ = begin(b0)
	if again := submitLogin(t, p, b0, pg, "admin", adminPassword); !strings.Contains(again.body, "Set up a second factor") {
		t.Fatalf("after the reset the administrator is not asked to enrol again: %d\n%s", again.status, again.body)
	}

	// A student: the password alone, then an app on the security page.
	p.addUser(t, "stu", "stu-password-1", "student")
	b2 := p.browser(t)
	pg, v = begin(b2)
	tok = exchange(submitLogin(t, p, b2, pg, "stu", "stu-password-1"), "st", v)
	if got := amr(tok); !slices.Equal(got, []string{"pwd"}) {
		t.Fatalf("the student's amr: %v", got)
	}
	add := getPage(t, b2, p.issuer+"/security/totp")
	m = pageSecret.FindStringSubmatch(add.body)
	if m == nil {
		t.Fatalf("the security page: %d\n%s", add.status, add.body)
	}
	secret = strings.ReplaceAll(m[1], " ", "")
	added := postFormPage(t, b2, p.issuer+"/security/add", add, url.Values{"code": {appCode(t, secret, time.Now())}, "password": {"stu-password-1"}})
	if n := len(pageCodes.FindAllString(added.body, -1)); n != 10 {
		t.Fatalf("after adding the app, %d recovery codes:\n%s", n, added.body)
	}
	b3 := p.browser(t)
	pg, v = begin(b3)
	factor := submitLogin(t, p, b3, pg, "stu", "stu-password-1")
	if !strings.Contains(factor.body, "Code from your authenticator app") {
		t.Fatalf("the student's second step: %d\n%s", factor.status, factor.body)
	}
	// The code of the next step (one step of skew is accepted): the
	// current one confirmed the app and is spent.
	tok = exchange(postFormPage(t, b3, p.issuer+"/login/factor", factor, url.Values{"code": {appCode(t, secret, time.Now().Add(30*time.Second))}}), "st", v)
	if got := amr(tok); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("the student's amr with the app: %v", got)
	}

	// Discovery advertises the classes.
	resp, err := p.http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var disc struct {
		ACR []string `json:"acr_values_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&disc); err != nil || !slices.Equal(disc.ACR, []string{"urn:campus:acr:1fa", "urn:campus:acr:mfa"}) {
		t.Fatalf("acr_values_supported = %v, %v", disc.ACR, err)
	}
}

// TestDirectoryAccountSecondFactor: a directory account adds an
// authenticator app (the security page checks its password by a bind)
// and then signs in with the directory password and the app's code.
func TestDirectoryAccountSecondFactor(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(2), true)
	env := ldapEnv(srv)
	env["CAMPUS_ADMIN_PASSWORD"], env["CAMPUS_SIGN_INS_PER_IP_MINUTE"] = adminPassword, "6000"
	dir := t.TempDir()
	r := startCampus(t, env, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	if out, err := directorySync(t, dir, env); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	app := p.addClient(t, "--id", "wiki", "--name", "University Wiki", "--first-party",
		"--redirect-uri", "https://wiki.uni.example/callback", "--scope", "openid")
	rp := newRP(t, p, app, oidc.ScopeOpenID)

	b := p.browser(t)
	rp.signIn(t, p, b, "u0001", "dir-pass-u0001")
	add := getPage(t, b, p.issuer+"/security/totp")
	m := pageSecret.FindStringSubmatch(add.body)
	if m == nil {
		t.Fatalf("the security page: %d\n%s", add.status, add.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if bad := postFormPage(t, b, p.issuer+"/security/add", add, url.Values{"code": {appCode(t, secret, time.Now())}, "password": {"not-the-directory-one"}}); bad.status != http.StatusUnauthorized {
		t.Fatalf("adding with a wrong directory password: %d", bad.status)
	}
	if added := postFormPage(t, b, p.issuer+"/security/add", add, url.Values{"code": {appCode(t, secret, time.Now())}, "password": {"dir-pass-u0001"}}); len(pageCodes.FindAllString(added.body, -1)) != 10 {
		t.Fatalf("adding the app: %d\n%s", added.status, added.body)
	}

	b2 := p.browser(t)
	v := oauth2.GenerateVerifier()
	factor := submitLogin(t, p, b2, getPage(t, b2, rp.config.AuthCodeURL("st", oauth2.S256ChallengeOption(v))), "u0001", "dir-pass-u0001")
	if !strings.Contains(factor.body, "Code from your authenticator app") {
		t.Fatalf("the directory account's second step: %d\n%s", factor.status, factor.body)
	}
	done := postFormPage(t, b2, p.issuer+"/login/factor", factor, url.Values{"code": {appCode(t, secret, time.Now().Add(30*time.Second))}})
	tok, err := rp.config.Exchange(rp.ctx, codeFrom(t, done, rp.config.RedirectURL, "st"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if _, c := claims(t, tok.AccessToken); c["acr"] != "urn:campus:acr:mfa" {
		t.Fatalf("acr %v", c["acr"])
	}
}
