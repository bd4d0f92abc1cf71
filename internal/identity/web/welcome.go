package web

import (
	"campus/internal/i18n"
	"campus/internal/identity"
)

// The built-in welcome texts of the sign-in page. DefaultWelcome is
// --welcome-text's default; DefaultWelcomeDE is what a German page shows
// when no German text is configured (--welcome-text-de empty): a German
// reader is better served by the built-in German sentence than by an
// English text written for English pages.
const (
	DefaultWelcome   = "Sign in with your university account."
	DefaultWelcomeDE = "Melden Sie sich mit Ihrem Hochschulkonto an."
)

// signInTexts is what the sign-in page says about the application that
// started the sign-in: its display name and the welcome text, in lang.
// Each falls back from the most specific text to the least:
//
//   - display name: the client's display name in lang, else its registered
//     name, else its id;
//   - welcome text: the client's welcome text in lang, else the configured
//     text of lang (--welcome-text, --welcome-text-de), else, for German,
//     the built-in German text. The English text is never shown on a
//     German page, nor a client's text in the other language.
func (l *login) signInTexts(lang i18n.Lang, client identity.Client) (displayName, welcome string) {
	displayName = client.DisplayNames.In(string(lang))
	if displayName == "" {
		displayName = client.Name
	}
	if displayName == "" {
		displayName = client.ID
	}
	if welcome = client.WelcomeTexts.In(string(lang)); welcome != "" {
		return displayName, welcome
	}
	if lang == i18n.German {
		if l.cfg.WelcomeDE != "" {
			return displayName, l.cfg.WelcomeDE
		}
		return displayName, DefaultWelcomeDE
	}
	return displayName, l.cfg.Welcome
}
