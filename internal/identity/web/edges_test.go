package web

import (
	"net/http"
	"strings"
	"testing"

	"campus/internal/i18n"
	"campus/internal/problem"
)

// TestAPIMethodNotAllowed: a method that an existing API resource does
// not take answers 405 with Allow, as problem+json; an unknown address
// is still 404.
func TestAPIMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/users/someone", "GET, HEAD, PATCH"},
		{"DELETE", "/api/v1/roles", "GET, HEAD, POST"},
		{"GET", "/api/v1/users/someone/roles", "PUT"},
		{"PUT", "/api/v1/me", "GET, HEAD, PATCH"},
	} {
		r := e.call(t, c.method, c.path, "", nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != c.allow || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %s Allow %q %s", c.method, c.path, r, r.header.Get("Allow"), r.header.Get("Content-Type"))
		}
	}
	if r := e.call(t, "PUT", "/api/v1/nothing-here", "", nil); r.status != http.StatusNotFound || !strings.Contains(r.raw, "no such API endpoint") {
		t.Errorf("an unknown address: %s", r)
	}
}

// TestAPIKeyAtIdentity: a personal API key sent to identity's API is
// refused for what it is (keys read the study API only), not as an
// invalid or expired token.
func TestAPIKeyAtIdentity(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.addUser(t, "kim", "kim-password-1", "student")
	tok := e.token(t, "kim", "kim-password-1")
	key := e.must(t, http.StatusCreated, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": "script"}).str("key")
	r := e.call(t, "GET", "/api/v1/me", key, nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.str("detail"), "API keys read the study API only; this API needs an access token from signing in") {
		t.Fatalf("a key at identity: %s", r)
	}
}

// TestWaitTexts: "Try again in ..." says 1 second, not 1 seconds, in
// English and German, and the API's sentences with a wait are translated
// whole, the wait included.
func TestWaitTexts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		seconds int
		en, de  string
	}{
		{0, "1 second", "1 Sekunde"},
		{1, "1 second", "1 Sekunde"},
		{2, "2 seconds", "2 Sekunden"},
		{119, "119 seconds", "119 Sekunden"},
		{120, "2 minutes", "2 Minuten"},
		{121, "3 minutes", "3 Minuten"},
	} {
		if got := waitIn(i18n.English, c.seconds); got != c.en {
			t.Errorf("%d s in English: %q, want %q", c.seconds, got, c.en)
		}
		if got := waitIn(i18n.German, c.seconds); got != c.de {
			t.Errorf("%d s in German: %q, want %q", c.seconds, got, c.de)
		}
	}
	for en, de := range map[string]string{
		"Too many attempts; try again in " + humanWait(1) + ".":                                                             "Zu viele Versuche; versuchen Sie es in 1 Sekunde erneut.",
		"Too many attempts; try again in " + humanWait(30) + ".":                                                            "Zu viele Versuche; versuchen Sie es in 30 Sekunden erneut.",
		"Too many attempts; try again in " + humanWait(600) + ".":                                                           "Zu viele Versuche; versuchen Sie es in 10 Minuten erneut.",
		"Too many registrations from your network. Try again in " + humanWait(1) + ".":                                      "Zu viele Registrierungen aus Ihrem Netzwerk. Versuchen Sie es in 1 Sekunde erneut.",
		"You changed your username or e-mail address too often; try again in " + humanWait(3600) + ". Nothing was changed.": "Sie haben Ihren Benutzernamen oder Ihre E-Mail-Adresse zu oft geändert; versuchen Sie es in 60 Minuten erneut. Es wurde nichts geändert.",
	} {
		if got, ok := problem.Phrases.Translate(i18n.German, en); !ok || got != de {
			t.Errorf("%q in German: %q", en, got)
		}
	}
}
