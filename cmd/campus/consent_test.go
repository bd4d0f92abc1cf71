package main

import (
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

	// Another third-party application with prompt=none cannot ask.
	wiki := p.addClient(t, "--id", "extwiki", "--redirect-uri", "https://wiki.example/cb")
	rw := newRP(t, p, wiki, oidc.ScopeOpenID)
	none := getPage(t, b, rw.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
	if none.location == nil || none.location.Query().Get("error") != "consent_required" {
		t.Fatalf("prompt=none without consent: %v", none.location)
	}
}
