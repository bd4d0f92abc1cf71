package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

var formConsentCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func answerConsent(t testing.TB, p *idp, b *http.Client, pg page, decision string) page {
	t.Helper()
	ar, csrf := formAuthRequest.FindStringSubmatch(pg.body), formConsentCSRF.FindStringSubmatch(pg.body)
	if ar == nil || csrf == nil || !strings.Contains(pg.body, "/consent") {
		t.Fatalf("no consent form (status %d):\n%s", pg.status, pg.body)
	}
	form := url.Values{"authRequestID": {ar[1]}, "csrf": {csrf[1]}, "decision": {decision}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/consent", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

func TestConsentForThirdPartyApplications(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	cloud := p.addClient(t, "--id", "cloud", "--name", "Campus Cloud Drive", "--redirect-uri", "https://cloud.example/cb",
		"--scope", "openid", "--scope", "email")
	r := newRP(t, p, cloud, oidc.ScopeOpenID, "email")
	b := p.browser(t)
	authorize := func(extra ...oauth2.AuthCodeOption) page {
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier())}, extra...)
		return getPage(t, b, r.config.AuthCodeURL("s", opts...))
	}

	// First visit: sign in, then the consent page lists what is asked.
	pg := submitLogin(t, p, b, authorize(), "admin", adminPassword)
	if !strings.Contains(pg.body, "Allow Campus Cloud Drive?") || !strings.Contains(pg.body, "see your e-mail address") {
		t.Fatalf("no consent page after sign-in:\n%s", pg.body)
	}
	denied := answerConsent(t, p, b, pg, "deny")
	if denied.location == nil || denied.location.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %v", denied.location)
	}

	// Allowed once, then remembered: the next sign-in goes straight through.
	allowed := answerConsent(t, p, b, authorize(), "allow")
	if allowed.location == nil || allowed.location.Query().Get("code") == "" {
		t.Fatalf("allow: %v status %d", allowed.location, allowed.status)
	}
	if again := authorize(); again.location == nil || again.location.Query().Get("code") == "" {
		t.Fatalf("remembered consent asked again: status %d", again.status)
	}
	// prompt=consent asks anyway.
	if forced := authorize(oauth2.SetAuthURLParam("prompt", "consent")); forced.location != nil || !strings.Contains(forced.body, "Allow Campus Cloud Drive?") {
		t.Fatalf("prompt=consent did not ask: %v", forced.location)
	}

	// Withdrawing the consent (self-service, through a first-party
	// application) makes the application ask again and ends its tokens.
	portalApp := p.addClient(t, "--id", "selfservice", "--first-party", "--redirect-uri", "https://self.uni.example/cb")
	self, _ := newRP(t, p, portalApp, oidc.ScopeOpenID).signIn(t, p, b, "", "")
	me := identityCall(t, p, self.AccessToken)
	if got := me("GET", "/api/v1/me/consents"); got.status != http.StatusOK || !strings.Contains(got.raw, `"client_id":"cloud"`) {
		t.Fatalf("my consents: %d %s", got.status, got.raw)
	}
	if got := me("DELETE", "/api/v1/me/consents/cloud"); got.status != http.StatusNoContent {
		t.Fatalf("withdraw: %d %s", got.status, got.raw)
	}
	if got := me("DELETE", "/api/v1/me/consents/cloud"); got.status != http.StatusNotFound {
		t.Fatalf("withdraw twice: %d", got.status)
	}
	if asked := authorize(); asked.location != nil || !strings.Contains(asked.body, "Allow Campus Cloud Drive?") {
		t.Fatalf("after withdrawal the application was not asked about again: %v", asked.location)
	}

	// Another third-party application with prompt=none cannot ask.
	wiki := p.addClient(t, "--id", "extwiki", "--redirect-uri", "https://wiki.example/cb")
	rw := newRP(t, p, wiki, oidc.ScopeOpenID)
	none := getPage(t, b, rw.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
	if none.location == nil || none.location.Query().Get("error") != "consent_required" {
		t.Fatalf("prompt=none without consent: %v", none.location)
	}
}

// identityCall calls identity's admin API with a bearer token.
func identityCall(t testing.TB, p *idp, token string) func(method, path string) apiResp {
	return func(method, path string) apiResp {
		t.Helper()
		req, _ := http.NewRequest(method, p.issuer+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return apiResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	}
}
