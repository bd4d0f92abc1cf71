package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/store"
)

// The tests of multi-factor sign-in over HTTP, as a browser without
// JavaScript does it: the codes of an authenticator app computed here from
// its secret (RFC 6238), on a clock the test moves. Passkeys are tested in
// Chromium (cmd/campus, TestBrowserPasskeys).

// testClock is a clock the test moves forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// codeAt is the authenticator app's code at t.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	pageSecret   = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	pageCodes    = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
	pageFactorID = regexp.MustCompile(`/security/factors/([^/"]+)/remove`)
)

// mfaFlow is one client's authorization code flows through a browser.
type mfaFlow struct {
	p *testIDP
	c oauth2.Config
}

// begin starts a sign-in in browser b and returns the sign-in page and the
// PKCE verifier.
func (f mfaFlow) begin(t *testing.T, b *http.Client, opts ...oauth2.AuthCodeOption) (page, string) {
	t.Helper()
	v := oauth2.GenerateVerifier()
	pg := getPage(t, b, f.c.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(v))...))
	if pg.status != http.StatusOK || !formAuthRequest.MatchString(pg.body) {
		t.Fatalf("the sign-in page: %d\n%s", pg.status, pg.body)
	}
	return pg, v
}

// tokens exchanges the code a page redirected to the client with.
func (f mfaFlow) tokens(t *testing.T, pg page, verifier string) *oauth2.Token {
	t.Helper()
	loc, err := url.Parse(pg.header.Get("Location"))
	if pg.status/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), f.c.RedirectURL) || loc.Query().Get("code") == "" {
		t.Fatalf("not back at the client with a code: %d %q\n%s", pg.status, pg.header.Get("Location"), pg.body)
	}
	tok, err := f.c.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// post sends a form from page pg (its authRequestID and csrf) plus fields.
func (f mfaFlow) post(t *testing.T, b *http.Client, path string, pg page, fields url.Values) page {
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
	req, _ := http.NewRequest(http.MethodPost, f.p.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

func amrOf(t *testing.T, raw string) []string {
	t.Helper()
	var out []string
	v, _ := claims(t, raw)["amr"].([]any)
	for _, s := range v {
		out = append(out, s.(string))
	}
	return out
}

// addApp adds an authenticator app on the security page of browser b,
// signed in as the person with password pw; it returns the app's secret
// and the recovery codes shown.
// It returns the app's secret, the code that confirmed it (spent) and the
// recovery codes.
func (f mfaFlow) addApp(t *testing.T, b *http.Client, pw string, now time.Time) (string, string, []string) {
	t.Helper()
	pg := getPage(t, b, f.p.issuer+"/security/totp")
	m := pageSecret.FindStringSubmatch(pg.body)
	if pg.status != http.StatusOK || m == nil {
		t.Fatalf("the security page offers no app secret: %d\n%s", pg.status, pg.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if qr := getPage(t, b, f.p.issuer+"/security/totp/qr.png"); qr.status != http.StatusOK || qr.header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code: %d %s", qr.status, qr.header.Get("Content-Type"))
	}
	// Without the password, nothing is added.
	if bad := f.post(t, b, "/security/add", pg, url.Values{"code": {codeAt(t, secret, now)}, "password": {"wrong-password-1"}}); bad.status != http.StatusUnauthorized ||
		!strings.Contains(bad.body, "password is not right") {
		t.Fatalf("adding with a wrong password: %d\n%s", bad.status, bad.body)
	}
	first := codeAt(t, secret, now)
	done := f.post(t, b, "/security/add", pg, url.Values{"code": {first}, "password": {pw}, "name": {"Phone"}})
	codes := pageCodes.FindAllStringSubmatch(done.body, -1)
	if done.status != http.StatusOK || len(codes) != 10 {
		t.Fatalf("after adding the app: %d, %d recovery codes\n%s", done.status, len(codes), done.body)
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return secret, first, out
}

// TestAuthenticatorApp: a student adds an authenticator app on the
// security page (a first code confirms it; recovery codes are shown
// once); from then on the password alone does not sign in: the app's code
// does, once per time step, with one step of clock skew either way, and
// the tokens say so (amr, acr). Wrong codes count towards the lockout.
func TestAuthenticatorApp(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now))
	p.addUser(t, "ada", "ada-password-1", identity.RoleStudent)
	f := mfaFlow{p: p, c: p.console}
	b := p.browser(t)

	pg, v := f.begin(t, b)
	tok := f.tokens(t, p.fillLogin(t, b, pg, "ada", "ada-password-1"), v)
	if amr := amrOf(t, tok.AccessToken); !slices.Equal(amr, []string{"pwd"}) || claims(t, tok.AccessToken)["acr"] != oidcop.ACROneFactor {
		t.Fatalf("a password sign-in: amr %v acr %v", amr, claims(t, tok.AccessToken)["acr"])
	}
	secret, first, codes := f.addApp(t, b, "ada-password-1", clock.now())
	if sec := getPage(t, b, p.issuer+"/security"); !strings.Contains(sec.body, "Phone") || !strings.Contains(sec.body, "Recovery codes left: 10.") {
		t.Fatalf("the security page does not list the app:\n%s", sec.body)
	}

	// Single sign-on in the first browser, whose session saw the password
	// alone: it goes on, unless the application asks for two factors
	// (acr_values), which makes the person prove the new app.
	if sso := getPage(t, b, f.c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); sso.status/100 != 3 ||
		!strings.HasPrefix(sso.header.Get("Location"), f.c.RedirectURL) {
		t.Fatalf("single sign-on: %d %q", sso.status, sso.header.Get("Location"))
	}
	if asked, _ := f.begin(t, b, oauth2.SetAuthURLParam("acr_values", oidcop.ACRMFA)); !strings.Contains(asked.body, `name="password"`) {
		t.Fatalf("acr_values=%s in a password-only session did not ask again:\n%s", oidcop.ACRMFA, asked.body)
	}

	// A new browser: the password leads to the second step.
	b2 := p.browser(t)
	pg, v = f.begin(t, b2)
	factor := p.fillLogin(t, b2, pg, "ada", "ada-password-1")
	if factor.status != http.StatusOK || !strings.Contains(factor.body, `name="code"`) || !strings.Contains(factor.body, "Second step") {
		t.Fatalf("after the password: %d\n%s", factor.status, factor.body)
	}
	// The password alone signed nobody in.
	if again := getPage(t, b2, p.issuer+"/security"); again.status != http.StatusUnauthorized {
		t.Fatalf("the security page after the password alone: %d", again.status)
	}
	// The code that confirmed the app was spent: it is refused as used.
	// (The very code typed then: one computed now would be the next
	// step's, valid and unused, had the test's real-time clock crossed a
	// 30-second boundary since.)
	used := f.post(t, b2, "/login/factor", factor, url.Values{"code": {first}})
	if used.status != http.StatusUnauthorized || !strings.Contains(used.body, "used already") {
		t.Fatalf("the confirming code again: %d\n%s", used.status, used.body)
	}
	wrong := f.post(t, b2, "/login/factor", factor, url.Values{"code": {"000000"}})
	if wrong.status != http.StatusUnauthorized || !strings.Contains(wrong.body, "not right") {
		t.Fatalf("a wrong code: %d\n%s", wrong.status, wrong.body)
	}
	clock.advance(30 * time.Second)
	tok = f.tokens(t, f.post(t, b2, "/login/factor", factor, url.Values{"code": {codeAt(t, secret, clock.now())}}), v)
	if amr := amrOf(t, tok.AccessToken); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) || claims(t, tok.AccessToken)["acr"] != oidcop.ACRMFA {
		t.Fatalf("after the code: amr %v acr %v", amr, claims(t, tok.AccessToken)["acr"])
	}
	idt, _ := tok.Extra("id_token").(string)
	if amr := amrOf(t, idt); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) || claims(t, idt)["acr"] != oidcop.ACRMFA {
		t.Fatalf("id_token: amr %v acr %v", amr, claims(t, idt)["acr"])
	}

	// Clock skew: a phone a step behind or ahead is accepted, two steps not.
	for _, tc := range []struct {
		name string
		skew time.Duration
		ok   bool
	}{{"two steps behind", -60 * time.Second, false}, {"one step behind", -30 * time.Second, true}, {"one step ahead", 30 * time.Second, true},
		{"two steps ahead", 60 * time.Second, false}} {
		clock.advance(2 * time.Minute) // past every step used before
		b := p.browser(t)
		pg, v := f.begin(t, b)
		factor := p.fillLogin(t, b, pg, "ada", "ada-password-1")
		got := f.post(t, b, "/login/factor", factor, url.Values{"code": {codeAt(t, secret, clock.now().Add(tc.skew))}})
		if tc.ok {
			f.tokens(t, got, v)
		} else if got.status != http.StatusUnauthorized {
			t.Fatalf("%s: %d", tc.name, got.status)
		}
	}

	// A recovery code signs in once, typed in any case with spaces.
	b3 := p.browser(t)
	pg, v = f.begin(t, b3)
	factor = p.fillLogin(t, b3, pg, "ada", "ada-password-1")
	typed := strings.ToUpper(codes[3][:4]) + " " + codes[3][4:]
	tok = f.tokens(t, f.post(t, b3, "/login/factor", factor, url.Values{"code": {typed}}), v)
	if amr := amrOf(t, tok.AccessToken); !slices.Contains(amr, "mfa") {
		t.Fatalf("after a recovery code: amr %v", amr)
	}
	b4 := p.browser(t)
	pg, _ = f.begin(t, b4)
	factor = p.fillLogin(t, b4, pg, "ada", "ada-password-1")
	if again := f.post(t, b4, "/login/factor", factor, url.Values{"code": {codes[3]}}); again.status != http.StatusUnauthorized {
		t.Fatalf("a recovery code used twice: %d", again.status)
	}
	e := &apiEnv{p}
	mine := e.must(t, http.StatusOK, "GET", "/api/v1/me/factors", tok.AccessToken, nil)
	if left, _ := mine.body["recovery_codes_left"].(float64); left != 9 || mine.str("manage_url") != p.issuer+"/security" {
		t.Fatalf("/me/factors: %s", mine)
	}

	// Wrong codes lock the account like wrong passwords (5 here).
	b5 := p.browser(t)
	pg, _ = f.begin(t, b5)
	factor = p.fillLogin(t, b5, pg, "ada", "ada-password-1")
	var last page
	for range 5 {
		last = f.post(t, b5, "/login/factor", factor, url.Values{"code": {"111111"}})
	}
	if last.status/100 != 4 || !strings.Contains(last.body, "Too many wrong codes") {
		t.Fatalf("after five wrong codes in one sign-in: %d\n%s", last.status, last.body)
	}
	failed, until, err := p.store.SignInState(context.Background(), p.accountID(t, "ada"))
	if err != nil || until.IsZero() {
		t.Fatalf("the account is not locked after wrong codes: %d failed, until %v, %v", failed, until, err)
	}
	// Locked: the password and a right code do not sign in now.
	b6 := p.browser(t)
	pg, _ = f.begin(t, b6)
	if locked := p.fillLogin(t, b6, pg, "ada", "ada-password-1"); locked.status != http.StatusUnauthorized {
		t.Fatalf("a locked account's password: %d", locked.status)
	}
}

func (p *testIDP) accountID(t *testing.T, username string) string {
	t.Helper()
	acc, _, err := p.store.AccountByLogin(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

// TestRolePolicyForcesEnrolment: a member of a role that requires a
// second factor and who has none sets one up right after the password,
// before the application gets anything; others do not.
func TestRolePolicyForcesEnrolment(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now), withMFARoles("staff"))
	p.addUser(t, "sam", "sam-password-1", "staff")
	p.addUser(t, "ada", "ada-password-1", identity.RoleStudent)
	f := mfaFlow{p: p, c: p.console}

	b := p.browser(t)
	pg, v := f.begin(t, b)
	enrol := p.fillLogin(t, b, pg, "sam", "sam-password-1")
	m := pageSecret.FindStringSubmatch(enrol.body)
	if enrol.status != http.StatusOK || m == nil || !strings.Contains(enrol.body, "Set up a second factor") {
		t.Fatalf("after the password: %d\n%s", enrol.status, enrol.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if qr := getPage(t, b, p.issuer+"/login/enrol/qr.png?authRequestID="+formAuthRequest.FindStringSubmatch(enrol.body)[1]); qr.status != http.StatusOK ||
		qr.header.Get("Content-Type") != "image/png" {
		t.Fatalf("the QR code: %d", qr.status)
	}
	// Skipping the enrolment: the sign-in starts over, nobody is signed in.
	if skip, _ := f.begin(t, b); !strings.Contains(skip.body, `name="password"`) {
		t.Fatalf("a new sign-in before enrolling is not asked for the password:\n%s", skip.body)
	}
	if bad := f.post(t, b, "/login/enrol", enrol, url.Values{"code": {"123456"}}); bad.status != http.StatusUnprocessableEntity ||
		!strings.Contains(bad.body, "not right") {
		t.Fatalf("a wrong first code: %d\n%s", bad.status, bad.body)
	}
	codes := f.post(t, b, "/login/enrol", enrol, url.Values{"code": {codeAt(t, secret, clock.now())}})
	if n := len(pageCodes.FindAllString(codes.body, -1)); codes.status != http.StatusOK || n != 10 {
		t.Fatalf("after the first code: %d, %d codes\n%s", codes.status, n, codes.body)
	}
	tok := f.tokens(t, f.post(t, b, "/login/enrol/done", codes, nil), v)
	if amr := amrOf(t, tok.AccessToken); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("after enrolling: amr %v", amr)
	}
	// The continue button works once.
	if again := f.post(t, b, "/login/enrol/done", codes, nil); again.status/100 == 3 && strings.HasPrefix(again.header.Get("Location"), f.c.RedirectURL) {
		t.Fatalf("the enrolment completed twice: %q", again.header.Get("Location"))
	}

	// The last factor of a required role stays.
	sec := getPage(t, b, p.issuer+"/security")
	id := pageFactorID.FindStringSubmatch(sec.body)
	if id == nil || !strings.Contains(sec.body, "requires a second factor") {
		t.Fatalf("the security page:\n%s", sec.body)
	}
	if rm := f.post(t, b, "/security/factors/"+id[1]+"/remove", sec, url.Values{"password": {"sam-password-1"}}); rm.status != http.StatusConflict {
		t.Fatalf("removing the last required factor: %d\n%s", rm.status, rm.body)
	}

	// A student signs in with the password alone.
	b2 := p.browser(t)
	pg, v = f.begin(t, b2)
	f.tokens(t, p.fillLogin(t, b2, pg, "ada", "ada-password-1"), v)
}

// TestStepUpWithSecondFactor: unlocking editing (prompt=login for
// studies:write) asks a person with a factor for it too, and the study
// token says mfa.
func TestStepUpWithSecondFactor(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now))
	editor := p.addClient(t, identity.Client{ID: "editor", Name: "Editor", FirstParty: true, RedirectURIs: []string{"https://editor.uni.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "studies:write"}})
	f := mfaFlow{p: p, c: editor}
	b := p.browser(t)
	pg, v := f.begin(t, b)
	f.tokens(t, p.fillLogin(t, b, pg, "admin", adminPassword), v)
	secret, _, _ := f.addApp(t, b, adminPassword, clock.now())
	clock.advance(30 * time.Second)

	pg, v = f.begin(t, b, oauth2.SetAuthURLParam("prompt", "login"))
	if !strings.Contains(pg.body, "Confirm your password") {
		t.Fatalf("not the step-up page:\n%s", pg.body)
	}
	factor := p.fillLogin(t, b, pg, "admin", adminPassword)
	if factor.status != http.StatusOK || !strings.Contains(factor.body, `name="code"`) {
		t.Fatalf("the step-up did not ask for the second factor: %d\n%s", factor.status, factor.body)
	}
	tok := f.tokens(t, f.post(t, b, "/login/factor", factor, url.Values{"code": {codeAt(t, secret, clock.now())}}), v)
	c := claims(t, tok.AccessToken)
	if !strings.Contains(c["scope"].(string), "studies:write") || !slices.Contains(amrOf(t, tok.AccessToken), "mfa") || c["acr"] != oidcop.ACRMFA {
		t.Fatalf("the study token: scope %v amr %v acr %v", c["scope"], c["amr"], c["acr"])
	}
}

// TestAdministratorResetsFactors: an administrator resets the factors of a
// person who lost them (mailed, sessions end); nobody resets their own,
// and users:read alone lists but does not reset.
func TestAdministratorResetsFactors(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now), withMail())
	p.addUser(t, "ada", "ada-password-1", identity.RoleStudent)
	f := mfaFlow{p: p, c: p.console}
	b := p.browser(t)
	pg, v := f.begin(t, b)
	adaTok := f.tokens(t, p.fillLogin(t, b, pg, "ada", "ada-password-1"), v)
	f.addApp(t, b, "ada-password-1", clock.now())

	e := &apiEnv{p}
	admin := e.token(t, "admin", adminPassword)
	ada := p.accountID(t, "ada")
	list := e.must(t, http.StatusOK, "GET", "/api/v1/users/"+ada+"/factors", admin, nil)
	if items, _ := list.body["items"].([]any); len(items) != 1 || list.str("manage_url") != "" {
		t.Fatalf("the administrator's list: %s", list)
	}
	if own := e.call(t, "DELETE", "/api/v1/users/"+p.accountID(t, "admin")+"/factors", admin, nil); own.status != http.StatusForbidden {
		t.Fatalf("resetting one's own factors: %s", own)
	}
	e.must(t, http.StatusNoContent, "DELETE", "/api/v1/users/"+ada+"/factors", admin, nil)
	if mine := e.call(t, "GET", "/api/v1/me/factors", adaTok.AccessToken, nil); mine.status != http.StatusUnauthorized {
		t.Fatalf("ada's token after the reset ended her sessions: %s", mine)
	}
	p.mailTo(t, "ada@uni.example", "second factors")
	b2 := p.browser(t)
	pg, v = f.begin(t, b2)
	tok := f.tokens(t, p.fillLogin(t, b2, pg, "ada", "ada-password-1"), v)
	if mine := e.must(t, http.StatusOK, "GET", "/api/v1/me/factors", tok.AccessToken, nil); len(mine.body["items"].([]any)) != 0 {
		t.Fatalf("after the reset: %s", mine)
	}
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=factors_reset", admin, nil)
	if !strings.Contains(audit.raw, ada) {
		t.Fatalf("the reset is not audited: %s", audit)
	}
}

// TestDiscoveryAdvertisesACR: acr_values_supported (OpenID Connect
// Discovery 1.0 section 3).
func TestDiscoveryAdvertisesACR(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	pg := getPage(t, p.http, p.issuer+"/.well-known/openid-configuration")
	if !strings.Contains(pg.body, `"acr_values_supported":["urn:campus:acr:1fa","urn:campus:acr:mfa"]`) {
		t.Fatalf("discovery: %s", pg.body)
	}
	// The tokens carry both claims, so claims_supported names them
	// (OpenID Connect Discovery 1.0, section 3).
	var d struct {
		Claims []string `json:"claims_supported"`
	}
	if err := json.Unmarshal([]byte(pg.body), &d); err != nil || !slices.Contains(d.Claims, "acr") || !slices.Contains(d.Claims, "amr") {
		t.Fatalf("claims_supported: %v (%v)", d.Claims, err)
	}
}

// TestDeviceApprovalAsksForTheCode: the verification page of the device
// grant (campus login) takes the app's code beside the password from a
// person who has one; without it, or with a wrong one, nothing is
// approved, and the tokens the device gets say mfa.
func TestDeviceApprovalAsksForTheCode(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now))
	if err := p.store.PutClient(context.Background(), cliClient); err != nil {
		t.Fatal(err)
	}
	p.addUser(t, "sam", "sams-password-1", "staff")
	f := mfaFlow{p: p, c: p.console}
	b := p.browser(t)
	pg, v := f.begin(t, b)
	f.tokens(t, p.fillLogin(t, b, pg, "sam", "sams-password-1"), v)
	secret, _, _ := f.addApp(t, b, "sams-password-1", clock.now())
	clock.advance(30 * time.Second)

	_, da := p.deviceAuthorization(t, "cli", "openid")
	code := da["user_code"].(string)
	dev := p.browser(t)
	if pg := p.device(t, dev, code, nil); !strings.Contains(pg.body, `name="code"`) {
		t.Fatalf("the approval form has no code field:\n%s", pg.body)
	}
	if pg := p.device(t, dev, code, url.Values{"decision": {"approve"}, "username": {"sam"}, "password": {"sams-password-1"}}); pg.status != http.StatusUnauthorized ||
		!strings.Contains(pg.body, "authenticator app") {
		t.Fatalf("the password alone: %d\n%s", pg.status, pg.body)
	}
	if pg := p.device(t, dev, code, url.Values{"decision": {"approve"}, "username": {"sam"}, "password": {"sams-password-1"}, "code": {"000000"}}); pg.status != http.StatusUnauthorized {
		t.Fatalf("a wrong code: %d", pg.status)
	}
	if pg := p.device(t, dev, code, url.Values{"decision": {"approve"}, "username": {"sam"}, "password": {"sams-password-1"},
		"code": {codeAt(t, secret, clock.now())}}); !strings.Contains(pg.body, "Device connected") {
		t.Fatalf("with the code: %d\n%s", pg.status, pg.body)
	}
	clock.advance(10 * time.Second) // past the poll interval
	status, body := p.poll(t, da["device_code"].(string))
	if status != http.StatusOK {
		t.Fatalf("poll: %d %v", status, body)
	}
	if amr := amrOf(t, body["access_token"].(string)); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("the device's token: amr %v", amr)
	}
}

// TestPolicyReachesOldSessions: a person whose role requires a second
// factor that their sign-in did not see (a session and refresh tokens
// from before the policy was turned on, or before the role) is neither
// signed in by single sign-on nor refreshed: they sign in again and enrol.
func TestPolicyReachesOldSessions(t *testing.T) {
	t.Parallel()
	p := startIDP(t, withMFARoles("staff"))
	ctx := context.Background()
	ray := p.addUser(t, "ray", "rays-password-1", "staff")
	app := p.addClient(t, identity.Client{ID: "app", Name: "App", FirstParty: true, RedirectURIs: []string{"https://app.uni.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "offline_access"}})
	f := mfaFlow{p: p, c: app}

	// A session and refresh tokens as they were before: the password alone.
	now := time.Now()
	cookie := oidcop.NewToken()
	sess := identity.Session{ID: oidcop.NewToken(), AccountID: ray.ID, AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), LastUsedAt: now}
	if err := p.store.CreateSession(ctx, sess, oidcop.HashToken(cookie)); err != nil {
		t.Fatal(err)
	}
	refresh := func(amr []string) error {
		t.Helper()
		raw := oidcop.NewToken()
		rt := identity.RefreshToken{ID: oidcop.NewToken(), FamilyID: oidcop.NewToken(), ClientID: "app", AccountID: ray.ID, SessionID: sess.ID,
			Scopes: []string{"openid", "offline_access"}, AMR: amr, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		at := identity.AccessToken{ID: oidcop.NewToken(), FamilyID: rt.FamilyID, SessionID: sess.ID, ClientID: "app", AccountID: ray.ID,
			Scopes: rt.Scopes, ExpiresAt: now.Add(time.Minute)}
		if err := p.store.CreateTokens(ctx, at, &rt, oidcop.HashToken(raw)); err != nil {
			t.Fatal(err)
		}
		_, err := f.c.TokenSource(ctx, &oauth2.Token{RefreshToken: raw}).Token()
		return err
	}
	if err := refresh([]string{"pwd", "otp", "mfa"}); err != nil {
		t.Fatalf("refreshing a grant with two factors: %v", err)
	}
	if err := refresh([]string{"pwd"}); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("refreshing a grant of the password alone: %v", err)
	}

	b := p.browser(t)
	u, _ := url.Parse(p.issuer)
	b.Jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: cookie, Path: "/idp/"}})
	if sso := getPage(t, b, f.c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); sso.status != http.StatusOK ||
		!strings.Contains(sso.body, `name="password"`) {
		t.Fatalf("single sign-on without the required factor: %d %q", sso.status, sso.header.Get("Location"))
	}
}

// TestSecondFactorPagesInGerman: the enrolment, the recovery codes, the
// second step and the security page speak the browser's German, and the
// answers to wrong codes too.
func TestSecondFactorPagesInGerman(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now), withMFARoles("staff"))
	p.addUser(t, "sam", "sams-password-1", "staff")
	f := mfaFlow{p: p, c: p.console}
	b := p.germanBrowser(t)
	pg, v := f.begin(t, b)
	enrol := p.fillLogin(t, b, pg, "sam", "sams-password-1")
	for _, want := range []string{`lang="de"`, "Zweiten Faktor einrichten", "Authenticator-App", "Die sechs Ziffern"} {
		if !strings.Contains(enrol.body, want) {
			t.Fatalf("the enrolment page lacks %q:\n%s", want, enrol.body)
		}
	}
	if bad := f.post(t, b, "/login/enrol", enrol, url.Values{"code": {"123456"}}); !strings.Contains(bad.body, "Dieser Code stimmt nicht") {
		t.Fatalf("a wrong first code in German:\n%s", bad.body)
	}
	secret := strings.ReplaceAll(pageSecret.FindStringSubmatch(enrol.body)[1], " ", "")
	codes := f.post(t, b, "/login/enrol", enrol, url.Values{"code": {codeAt(t, secret, clock.now())}})
	if !strings.Contains(codes.body, "Ihre Wiederherstellungscodes") || !strings.Contains(codes.body, "Ich habe sie gespeichert") {
		t.Fatalf("the recovery codes in German:\n%s", codes.body)
	}
	f.tokens(t, f.post(t, b, "/login/enrol/done", codes, nil), v)
	if sec := getPage(t, b, p.issuer+"/security"); !strings.Contains(sec.body, "Anmeldesicherheit") || !strings.Contains(sec.body, "Verbleibende Wiederherstellungscodes: 10.") {
		t.Fatalf("the security page in German:\n%s", sec.body)
	}

	clock.advance(30 * time.Second)
	b2 := p.germanBrowser(t)
	pg, _ = f.begin(t, b2)
	factor := p.fillLogin(t, b2, pg, "sam", "sams-password-1")
	if !strings.Contains(factor.body, "Zweiter Schritt") || !strings.Contains(factor.body, "Code aus Ihrer Authenticator-App") {
		t.Fatalf("the second step in German:\n%s", factor.body)
	}
	if wrong := f.post(t, b2, "/login/factor", factor, url.Values{"code": {"000000"}}); !strings.Contains(wrong.body, "Dieser Code stimmt nicht") {
		t.Fatalf("a wrong code in German:\n%s", wrong.body)
	}
}

// TestEventAccountsHaveNoSecondFactor: an event's account is a username
// and PIN on a letter that several people may share, so it cannot enrol a
// factor (whoever did first would lock the others out); when its role
// requires one (the policy changed after the event was made) it is
// refused, and an event cannot be made with such a role.
func TestEventAccountsHaveNoSecondFactor(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	p := startIDP(t, withClock(clock.now), withMFARoles("staff"))
	f := mfaFlow{p: p, c: p.console}
	ctx := context.Background()
	today := clock.now().UTC().Format(time.DateOnly)
	event := func(name, role string) string {
		t.Helper()
		e, err := p.store.CreateEvent(ctx, store.Event{Name: name, Window: store.LoginWindow{Earliest: "00:00", Latest: "23:59", FirstDate: today, LastDate: today},
			Clients: []string{"console"}, Role: role, Prefix: "ev-", PINLength: 8, Afterwards: store.EventDelete})
		if err != nil {
			t.Fatal(err)
		}
		user := "ev-" + strings.ToLower(strings.ReplaceAll(name, " ", ""))
		hash, err := password.Hash("12345678", cheap)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.store.ReplaceEventAccounts(ctx, e.ID, []store.NewEventAccount{{Username: user, PasswordHash: hash}}); err != nil {
			t.Fatal(err)
		}
		return user
	}

	// A role that now requires a factor keeps the event's accounts out.
	invigilator := event("Exam room", "staff")
	b := p.browser(t)
	pg, _ := f.begin(t, b)
	if out := p.fillLogin(t, b, pg, invigilator, "12345678"); out.status != http.StatusForbidden || !strings.Contains(out.body, "cannot have") ||
		strings.Contains(out.body, "Set up a second factor") {
		t.Fatalf("an event's account in a role that requires a factor: %d\n%s", out.status, out.body)
	}

	// Another event's account signs in with its PIN and cannot add an app.
	station := event("Polling station", identity.RoleStudent)
	b = p.browser(t)
	pg, v := f.begin(t, b)
	f.tokens(t, p.fillLogin(t, b, pg, station, "12345678"), v)
	sec := getPage(t, b, p.issuer+"/security/totp")
	m := pageSecret.FindStringSubmatch(sec.body)
	if m == nil {
		t.Fatalf("the security page: %d\n%s", sec.status, sec.body)
	}
	add := f.post(t, b, "/security/add", sec, url.Values{"code": {codeAt(t, strings.ReplaceAll(m[1], " ", ""), clock.now())}, "password": {"12345678"}})
	if add.status/100 != 4 || !strings.Contains(add.body, "belongs to an event") {
		t.Fatalf("an event's account adding an app: %d\n%s", add.status, add.body)
	}
	if factors, err := p.store.Factors(ctx, mustAccount(t, p, station).ID); err != nil || len(factors) != 0 {
		t.Fatalf("factors of the event's account: %v, %v", factors, err)
	}
}

func mustAccount(t *testing.T, p *testIDP, username string) identity.Account {
	t.Helper()
	acc, _, err := p.store.AccountByLogin(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}
