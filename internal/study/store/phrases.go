package store

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the store's refusals: validation errors, and the conflicts
// the API writes as sentences ("a module with code %q exists already:
// conflict" becomes "A module with code %q exists already.").
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"A module with code %q exists already.":          "Ein Modul mit dem Kürzel %q gibt es bereits.",
		"A lecture with code %q exists already.":         "Eine Lehrveranstaltung mit dem Kürzel %q gibt es bereits.",
		"There is no such programme.":                    "Diesen Studiengang gibt es nicht.",
		"This programme is not open for enrolment.":      "In diesen Studiengang kann man sich nicht einschreiben.",
		"Already enrolled in %s.":                        "Bereits eingeschrieben in %s.",
		"Choose active, completed or withdrawn.":         "Wählen Sie active, completed oder withdrawn.",
		"Only an active enrolment can be withdrawn.":     "Nur eine aktive Einschreibung kann zurückgezogen werden.",
		"Already actively enrolled in %s.":               "Bereits aktiv eingeschrieben in %s.",
		"Attempt %d is recorded already.":                "Der %d. Versuch ist bereits erfasst.",
		"The next attempt is %d.":                        "Der nächste Versuch ist der %d.",
		"A final grade cannot become provisional again.": "Eine endgültige Note kann nicht wieder vorläufig werden.",
		"A final grade cannot be deleted.":               "Eine endgültige Note kann nicht gelöscht werden.",
	})
}
