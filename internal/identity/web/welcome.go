package web

import (
	"campus/internal/i18n"
	"campus/internal/identity"
)

// signInTexts is what the sign-in page says about the application that
// started the sign-in: its display name and the welcome text, in lang.
// (Issue 13: per language and per client; for now the one welcome text
// and the registered name.)
func (l *login) signInTexts(lang i18n.Lang, client identity.Client) (displayName, welcome string) {
	_ = lang
	displayName = client.Name
	if displayName == "" {
		displayName = client.ID
	}
	return displayName, l.cfg.Welcome
}
