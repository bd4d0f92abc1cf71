package web

import (
	"testing"

	"campus/internal/i18n"
	"campus/internal/identity"
)

// TestSignInTexts: the client's own text in the page's language first,
// then the configured text of that language, then the built-in one; a
// German page never shows an English text.
func TestSignInTexts(t *testing.T) {
	t.Parallel()
	plain := identity.Client{ID: "wiki", Name: "Wiki"}
	election := identity.Client{ID: "wahl", Name: "Election 2026",
		DisplayNames: identity.Texts{"de": "Wahl 2026"},
		WelcomeTexts: identity.Texts{"en": "Vote with your university account."}}
	configured := &login{cfg: LoginConfig{Welcome: "Welcome to campus.", WelcomeDE: "Willkommen auf dem Campus."}}
	englishOnly := &login{cfg: LoginConfig{Welcome: "Welcome to campus."}}
	for _, tc := range []struct {
		name              string
		l                 *login
		lang              i18n.Lang
		client            identity.Client
		wantName, wantMsg string
	}{
		{"client's text, English", configured, i18n.English, election, "Election 2026", "Vote with your university account."},
		{"client's German name, configured German text", configured, i18n.German, election, "Wahl 2026", "Willkommen auf dem Campus."},
		{"no client texts, English", configured, i18n.English, plain, "Wiki", "Welcome to campus."},
		{"no client texts, German", configured, i18n.German, plain, "Wiki", "Willkommen auf dem Campus."},
		{"no German text anywhere: built-in German, not the English one", englishOnly, i18n.German, election, "Wahl 2026", DefaultWelcomeDE},
		{"no name: the id", englishOnly, i18n.English, identity.Client{ID: "bare"}, "bare", "Welcome to campus."},
		{"client's German welcome wins", englishOnly, i18n.German,
			identity.Client{ID: "x", Name: "X", WelcomeTexts: identity.Texts{"de": "Hallo!"}}, "X", "Hallo!"},
	} {
		name, msg := tc.l.signInTexts(tc.lang, tc.client)
		if name != tc.wantName || msg != tc.wantMsg {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, name, msg, tc.wantName, tc.wantMsg)
		}
	}
}
