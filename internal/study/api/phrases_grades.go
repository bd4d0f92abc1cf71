package api

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// German for the grade upload's new sentences (names of people).
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"Identity, which knows the usernames, cannot be reached to find the people of this file; nothing was stored. Try again shortly, or name people by subject id.": "Identity, das die Benutzernamen kennt, ist nicht erreichbar, um die Personen dieser Datei zu finden; es wurde nichts gespeichert. Versuchen Sie es gleich noch einmal oder nennen Sie die Personen mit ihrer Subject-ID.",
		"No account has the username or e-mail address %q.": "Kein Konto hat den Benutzernamen oder die E-Mail-Adresse %q.",
		"Name the person by their subject id: usernames cannot be looked up, as the study service has no client credentials at identity.": "Nennen Sie die Person mit ihrer Subject-ID: Benutzernamen können nicht nachgeschlagen werden, da der Studiendienst keine Client-Zugangsdaten bei Identity hat.",
	})
}
