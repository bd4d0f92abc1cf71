package web

import (
	"strings"

	"campus/internal/i18n"
	"campus/internal/problem"
)

// waitPhrases are a sentence with a wait (WAIT in both texts) in each of
// humanWait's forms, so that the phrasebook translates the wait too.
func waitPhrases(en, de string) map[string]string {
	out := map[string]string{}
	for _, f := range [][2]string{{"1 second", "1 Sekunde"}, {"%d seconds", "%d Sekunden"}, {"%d minutes", "%d Minuten"}} {
		out[strings.Replace(en, "WAIT", f[0], 1)] = strings.Replace(de, "WAIT", f[1], 1)
	}
	return out
}

func init() {
	for _, m := range []map[string]string{
		waitPhrases("You changed your username or e-mail address too often; try again in WAIT. Nothing was changed.",
			"Sie haben Ihren Benutzernamen oder Ihre E-Mail-Adresse zu oft geändert; versuchen Sie es in WAIT erneut. Es wurde nichts geändert."),
		waitPhrases("Too many attempts; try again in WAIT.", "Zu viele Versuche; versuchen Sie es in WAIT erneut."),
		waitPhrases("Too many registrations from your network. Try again in WAIT.",
			"Zu viele Registrierungen aus Ihrem Netzwerk. Versuchen Sie es in WAIT erneut."),
		{
			"A valid access token is required (Authorization: Bearer ...): " + errAPIKey.Error() + ".": "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): API-Schlüssel lesen nur die Studien-API; diese API braucht ein Zugriffstoken aus einer Anmeldung.",
		},
	} {
		addNewPhrases(m)
	}
}

// addNewPhrases adds the German phrases that no other file of the package
// added first (a phrase added twice panics): the same sentences may be
// translated where the package's other messages are.
func addNewPhrases(m map[string]string) {
	problem.Phrases.AddNew(i18n.German, m)
}
