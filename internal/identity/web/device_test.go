package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
)

// cliClient is the command line's client as identity registers it
// (service.CLIClient, which this package cannot import).
var cliClient = identity.Client{ID: "cli", Name: "campus command line", Public: true, FirstParty: true,
	GrantTypes: []string{identity.GrantDeviceCode, "refresh_token"},
	Scopes:     []string{"openid", "profile", "offline_access", "studies:write", "grades:read", "grades:write"}, IDTokenAlg: "RS256"}

var userCodeShape = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// deviceAuthorization is the device's first request (RFC 8628 section 3.1).
func (p *testIDP) deviceAuthorization(t *testing.T, clientID, scope string) (int, map[string]any) {
	t.Helper()
	return p.postJSON(t, "/device_authorization", url.Values{"client_id": {clientID}, "scope": {scope}})
}

// poll is one device access token request (RFC 8628 section 3.4).
func (p *testIDP) poll(t *testing.T, deviceCode string) (int, map[string]any) {
	t.Helper()
	return p.postJSON(t, "/oauth/token", url.Values{"grant_type": {identity.GrantDeviceCode}, "device_code": {deviceCode}, "client_id": {"cli"}})
}

func (p *testIDP) postJSON(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := p.http.PostForm(p.issuer+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// device walks the verification page in browser b: the code, then the
// approval form with the given fields. It returns the last page.
func (p *testIDP) device(t *testing.T, b *http.Client, code string, approve url.Values, header ...string) page {
	t.Helper()
	pg := p.devicePost(t, b, url.Values{"step": {"code"}, "user_code": {code}}, header...)
	if pg.status != http.StatusOK || approve == nil {
		return pg
	}
	approve.Set("step", "approve")
	approve.Set("user_code", code)
	return p.devicePost(t, b, approve, header...)
}

func (p *testIDP) devicePost(t *testing.T, b *http.Client, form url.Values, header ...string) page {
	t.Helper()
	if form.Get("csrf") == "" {
		pg := getPage(t, b, p.issuer+"/device")
		m := formCSRF.FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no form on the device page: %d %s", pg.status, pg.body)
		}
		form.Set("csrf", m[1])
	}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/device", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return visit(t, b, req)
}

func TestDeviceAuthorizationGrant(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	if err := p.store.PutClient(context.Background(), cliClient); err != nil {
		t.Fatal(err)
	}

	// Discovery advertises the endpoint and the grant (RFC 8628 section 4).
	var disc struct {
		Endpoint string   `json:"device_authorization_endpoint"`
		Grants   []string `json:"grant_types_supported"`
	}
	resp, err := http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc.Endpoint != p.issuer+"/device_authorization" || !slices.Contains(disc.Grants, identity.GrantDeviceCode) {
		t.Fatalf("discovery: %+v", disc)
	}

	// Section 3.2: the response's fields; the code of section 6.1's shape.
	status, da := p.deviceAuthorization(t, "cli", "openid offline_access studies:write grades:read users:write")
	code, _ := da["user_code"].(string)
	if status != http.StatusOK || !userCodeShape.MatchString(code) || da["device_code"] == "" ||
		da["verification_uri"] != p.issuer+"/device" || da["verification_uri_complete"] != p.issuer+"/device?user_code="+code ||
		da["expires_in"] != 600.0 || da["interval"] != 5.0 {
		t.Fatalf("device authorization response %d %v", status, da)
	}
	if status, body := p.deviceAuthorization(t, "console", "openid"); status == http.StatusOK || body["error"] == nil {
		t.Errorf("a client without the grant got %d %v", status, body)
	}

	// Section 3.5: pending, then slow_down for polling at once (another
	// request; da's first poll comes after the approval).
	_, pend := p.deviceAuthorization(t, "cli", "openid")
	if status, body := p.poll(t, pend["device_code"].(string)); status != http.StatusBadRequest || body["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %v", status, body)
	}
	if status, body := p.poll(t, pend["device_code"].(string)); status != http.StatusBadRequest || body["error"] != "slow_down" {
		t.Fatalf("second poll at once: %d %v", status, body)
	}
	if _, body := p.poll(t, "no-such-device-code"); body["error"] != "access_denied" {
		t.Fatalf("unknown device code: %v", body)
	}

	// The administrator approves on the page (signing in there), the next
	// poll gets the tokens, once.
	b := p.browser(t)
	pg := getPage(t, b, da["verification_uri_complete"].(string))
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `value="`+code+`"`) || !strings.Contains(pg.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("verification page: %d %s", pg.status, pg.body)
	}
	pg = p.device(t, b, strings.ToLower(strings.ReplaceAll(code, "-", " ")), nil) // typed sloppily
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "campus command line") || !strings.Contains(pg.body, "change study programmes") ||
		!strings.Contains(pg.body, `name="password"`) || !strings.Contains(pg.body, `name="username"`) {
		t.Fatalf("approval form: %d %s", pg.status, pg.body)
	}
	if strings.Contains(pg.body, "the accounts of other people") {
		t.Error("the page lists users:write, which the client may not ask for")
	}
	pg = p.device(t, b, code, url.Values{"decision": {"approve"}, "username": {"admin"}, "password": {adminPassword}})
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "Device connected") {
		t.Fatalf("approval: %d %s", pg.status, pg.body)
	}
	status, tok := p.poll(t, da["device_code"].(string))
	if status != http.StatusOK {
		t.Fatalf("poll after approval: %d %v", status, tok)
	}
	if status, body := p.poll(t, da["device_code"].(string)); status != http.StatusBadRequest || body["error"] != "expired_token" {
		t.Fatalf("the device code used again: %d %v", status, body)
	}
	at := claims(t, tok["access_token"].(string))
	scopes := strings.Fields(at["scope"].(string))
	if !slices.Contains(scopes, "studies:write") || !slices.Contains(scopes, "grades:read") || slices.Contains(scopes, "users:write") {
		t.Fatalf("scopes %v", scopes)
	}
	// The study token lasts --step-up-ttl exactly (15m by default), not the
	// access token's 10m. (iat is the library's clock at signing, exp the
	// store's at issuing: they may fall either side of a second.)
	if life := at["exp"].(float64) - at["iat"].(float64); life < (15*time.Minute).Seconds()-1 || life > (15*time.Minute).Seconds() {
		t.Fatalf("study token lasts %vs, want 900", life)
	}
	id := claims(t, tok["id_token"].(string))
	sid, _ := id["sid"].(string)
	if sid == "" || tok["refresh_token"] == nil {
		t.Fatalf("id_token %v, refresh token %v: want sid and a refresh token", id, tok["refresh_token"])
	}

	// A refresh never renews studies:write, and lasts the access token's TTL.
	cfg := oauth2.Config{ClientID: "cli", Endpoint: oauth2.Endpoint{TokenURL: p.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	next, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok["refresh_token"].(string)}).Token()
	if err != nil {
		t.Fatal(err)
	}
	nc := claims(t, next.AccessToken)
	// iat and exp are whole seconds taken a moment apart: 599 when a
	// second boundary falls between them.
	if life := nc["exp"].(float64) - nc["iat"].(float64); strings.Contains(nc["scope"].(string), "studies:write") || life < 599 || life > 600 {
		t.Fatalf("refreshed token %v", nc)
	}
	// Signing out of the session the page signed in ends the device's
	// tokens, as for any application.
	sess, err := p.store.Session(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.EndSession(context.Background(), sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: next.RefreshToken}).Token(); err == nil {
		t.Fatal("the refresh token outlived the session")
	}
	if p.activeToken(t, next.AccessToken) {
		t.Fatal("the access token outlived the session")
	}

	// Denied: access_denied.
	_, denied := p.deviceAuthorization(t, "cli", "openid")
	pg = p.device(t, p.browser(t), denied["user_code"].(string), url.Values{"decision": {"deny"}})
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "Access denied") {
		t.Fatalf("deny: %d %s", pg.status, pg.body)
	}
	if status, body := p.poll(t, denied["device_code"].(string)); status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Fatalf("poll after denial: %d %v", status, body)
	}
}

// activeToken asks introspection as the harness's console client.
func (p *testIDP) activeToken(t *testing.T, token string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("console", "secret-of-console")
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Active bool }
	json.NewDecoder(resp.Body).Decode(&v)
	return v.Active
}

func TestDevicePage(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	if err := p.store.PutClient(context.Background(), cliClient); err != nil {
		t.Fatal(err)
	}
	p.addUser(t, "sam", "sams-password-1", identity.RoleStudent)
	_, da := p.deviceAuthorization(t, "cli", "openid grades:read studies:write")
	code := da["user_code"].(string)
	b := p.browser(t)

	// No CSRF token: refused, the code kept.
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/device", strings.NewReader(url.Values{"step": {"code"}, "user_code": {code}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pg := visit(t, b, req); pg.status != http.StatusForbidden || !strings.Contains(pg.body, `value="`+code+`"`) {
		t.Fatalf("without CSRF: %d %s", pg.status, pg.body)
	}
	// A wrong code, in German: an inline error with the input kept.
	pg := p.device(t, b, "BCDF-BCDF", nil, "Accept-Language", "de-DE,de;q=0.9")
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.body, "Dieser Code ist falsch oder abgelaufen") ||
		!strings.Contains(pg.body, `aria-invalid="true"`) || !strings.Contains(pg.body, `value="BCDF-BCDF"`) || !strings.Contains(pg.body, `lang="de"`) {
		t.Fatalf("wrong code in German: %d %s", pg.status, pg.body)
	}
	if pg := p.device(t, b, "not a code at all", nil); pg.status != http.StatusBadRequest {
		t.Fatalf("garbage code: %d", pg.status)
	}
	// German approval form.
	pg = p.device(t, b, code, nil, "Accept-Language", "de")
	for _, want := range []string{"campus command line erlauben?", "Passwort", "Erlauben", "Ablehnen", "Noten lesen"} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("German approval form lacks %q:\n%s", want, pg.body)
		}
	}
	// A wrong password: 401, the username kept.
	pg = p.device(t, b, code, url.Values{"decision": {"approve"}, "username": {"sam"}, "password": {"wrong"}})
	if pg.status != http.StatusUnauthorized || !strings.Contains(pg.body, "not right") || !strings.Contains(pg.body, `value="sam"`) {
		t.Fatalf("wrong password: %d %s", pg.status, pg.body)
	}
	// A student asking for studies:write gets only what the roles allow.
	pg = p.device(t, b, code, url.Values{"decision": {"approve"}, "username": {"sam"}, "password": {"sams-password-1"}})
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "do not allow changing study programmes") {
		t.Fatalf("student approval: %d %s", pg.status, pg.body)
	}
	_, tok := p.poll(t, da["device_code"].(string))
	if s, _ := tok["scope"].(string); s != "openid" {
		t.Fatalf("student's scopes %q, want openid alone", s)
	}

	// Signed in already (the session of that approval): without the step-up
	// scope no password is asked; with it, the password again, on this page.
	_, plain := p.deviceAuthorization(t, "cli", "openid grades:read")
	pg = p.device(t, b, plain["user_code"].(string), nil)
	if strings.Contains(pg.body, `name="password"`) || !strings.Contains(pg.body, "Signed in as sam") {
		t.Fatalf("signed in, no step-up: %s", pg.body)
	}
	if pg = p.device(t, b, plain["user_code"].(string), url.Values{"decision": {"approve"}}); !strings.Contains(pg.body, "Device connected") {
		t.Fatalf("approve with the session: %d %s", pg.status, pg.body)
	}
	_, write := p.deviceAuthorization(t, "cli", "openid studies:write")
	pg = p.device(t, b, write["user_code"].(string), nil)
	if !strings.Contains(pg.body, `name="password"`) || strings.Contains(pg.body, `name="username"`) {
		t.Fatalf("signed in, step-up: the password must be asked again (and only it): %s", pg.body)
	}
	if pg = p.device(t, b, write["user_code"].(string), url.Values{"decision": {"approve"}}); pg.status != http.StatusUnauthorized {
		t.Fatalf("step-up without the password: %d", pg.status)
	}
}

// TestDeviceUserCodeRateLimit: guessing user codes is bounded per address
// for the whole deployment (RFC 8628 section 5.1).
func TestDeviceUserCodeRateLimit(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)
	for i := range deviceCodeBurst {
		if pg := p.device(t, b, "BCDF-GHJK", nil); pg.status != http.StatusBadRequest {
			t.Fatalf("guess %d: %d", i+1, pg.status)
		}
	}
	pg := p.device(t, b, "BCDF-GHJK", nil)
	if pg.status != http.StatusTooManyRequests || pg.header.Get("Retry-After") == "" || !strings.Contains(pg.body, "Too many attempts") {
		t.Fatalf("guess %d: %d %s", deviceCodeBurst+1, pg.status, pg.body)
	}
}

func TestUserCodeNormalisation(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"bcdf-ghjk": "BCDFGHJK", " BCDF GHJK ": "BCDFGHJK", "BCDFGHJK": "BCDFGHJK",
		"BCDF-GHJ": "", "ABCD-EFGH": "", "BCDF-GHJK-": "BCDFGHJK", "BCDF_GHJK": ""} {
		if got := oidcop.NormalizeUserCode(in); got != want {
			t.Errorf("NormalizeUserCode(%q) = %q, want %q", in, got, want)
		}
	}
	if oidcop.HashUserCode("bcdf-ghjk") != oidcop.HashUserCode("BCDFGHJK") || oidcop.HashUserCode("nope") != "" {
		t.Error("HashUserCode does not follow the normalisation")
	}
}
