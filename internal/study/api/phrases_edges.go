package api

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// German for the messages of issue 13's rough edges: the overview without
// programme_id, 403s with an API key, the recommended semester within the
// programme (internal/study's field errors, written here).
func init() {
	m := map[string]string{
		"You are enrolled in several programmes; say which one with programme_id.": "Sie sind in mehreren Studiengängen eingeschrieben; geben Sie mit programme_id an, welcher gemeint ist.",
		"Choose one of your programmes.":                                           "Wählen Sie einen Ihrer Studiengänge.",
		"You are not enrolled in any programme.":                                   "Sie sind in keinem Studiengang eingeschrieben.",
		"This needs the permission %s, which API keys never carry: a key reads only the public catalogue and its owner's own enrolments and grades. Use an access token from signing in.": "Dafür ist die Berechtigung %s nötig, die API-Schlüssel nie haben: Ein Schlüssel liest nur das öffentliche Vorlesungsverzeichnis und die eigenen Einschreibungen und Noten seiner Inhaberin oder seines Inhabers. Verwenden Sie ein Zugriffstoken aus einer Anmeldung.",
		"Draft and archived programmes are listed only for staff and administrators, or with the permission studies:write.":                                                               "Entwürfe und archivierte Studiengänge sehen nur Beschäftigte und die Administration oder wer die Berechtigung studies:write hat.",
		"This programme has only 1 semester; choose semester 1.":                                                                                             "Dieser Studiengang hat nur 1 Semester; wählen Sie Semester 1.",
		"This programme has %d semesters; choose a semester from 1 to %d.":                                                                                   "Dieser Studiengang hat %d Semester; wählen Sie ein Semester von 1 bis %d.",
		"1 module of this programme is recommended for semester %d; move it to an earlier semester first, or keep at least %d semesters.":                    "1 Modul dieses Studiengangs ist für das %d. Semester empfohlen; verschieben Sie es zuerst in ein früheres Semester oder behalten Sie mindestens %d Semester.",
		"%d modules of this programme are recommended for a later semester (up to %d); move them to earlier semesters first, or keep at least %d semesters.": "%d Module dieses Studiengangs sind für ein späteres Semester empfohlen (bis zum %d.); verschieben Sie sie zuerst in frühere Semester oder behalten Sie mindestens %d Semester.",
	}
	// Some may be translated in another file of the package first.
	problem.Phrases.AddNew(i18n.German, m)
}
