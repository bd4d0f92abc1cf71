package web

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the events API's messages (api_events.go, the events
// package's checks).
func init() {
	problem.Phrases.AddNew(i18n.German, map[string]string{
		"Enter the event's name.":                          "Geben Sie den Namen der Veranstaltung ein.",
		"The name may have at most %d characters.":         "Der Name darf höchstens %d Zeichen haben.",
		"The description may have at most %d characters.":  "Die Beschreibung darf höchstens %d Zeichen haben.",
		"An event's window needs its first and last date.": "Das Zeitfenster einer Veranstaltung braucht ihren ersten und letzten Tag.",
		"The prefix may have 1 to %d lower-case letters, digits, '-' or '_', starting with a letter or digit.": "Das Präfix darf 1 bis %d Kleinbuchstaben, Ziffern, '-' oder '_' haben und beginnt mit einem Buchstaben oder einer Ziffer.",
		"A PIN has %d to %d digits.":                                                                                         "Eine PIN hat %d bis %d Ziffern.",
		"After the event its accounts are either deleted or disabled.":                                                       "Nach der Veranstaltung werden ihre Konten entweder gelöscht oder gesperrt.",
		"Ask for a number of accounts or give a list of %d names, not both.":                                                 "Geben Sie eine Anzahl von Konten oder eine Liste mit %d Namen an, nicht beides.",
		"A batch has 1 to %d accounts.":                                                                                      "Ein Satz hat 1 bis %d Konten.",
		"Each name of the list has 1 to %d characters on a line of its own.":                                                 "Jeder Name der Liste hat 1 bis %d Zeichen in einer eigenen Zeile.",
		"there is no role %q":                                                                                                "es gibt keine Rolle %q",
		"An event's accounts cannot have this role.":                                                                         "Die Konten einer Veranstaltung können diese Rolle nicht haben.",
		"The role %q requires a second factor (--mfa-roles), which an event's accounts cannot have.":                         "Die Rolle %q verlangt einen zweiten Faktor (--mfa-roles), den die Konten einer Veranstaltung nicht haben können.",
		"The event has ended; create a new event for new accounts.":                                                          "Die Veranstaltung ist beendet; legen Sie für neue Konten eine neue Veranstaltung an.",
		"The accounts can be had as application/json, text/csv or application/pdf.":                                          "Die Konten gibt es als application/json, text/csv oder application/pdf.",
		"Another batch of accounts is being made. Try again when it is done; nothing was changed.":                           "Gerade wird ein anderer Satz Konten erzeugt. Versuchen Sie es erneut, wenn er fertig ist; nichts wurde geändert.",
		"The accounts were made, but their letters could not be written. Ask for them again: a new batch replaces this one.": "Die Konten wurden erzeugt, aber ihre Briefe konnten nicht geschrieben werden. Fordern Sie sie erneut an: Ein neuer Satz ersetzt diesen.",
		"are made with POST /api/v1/events/{id}/accounts":                                                                    "werden mit POST /api/v1/events/{id}/accounts erzeugt",
		"An event's account cannot have API keys.":                                                                           "Das Konto einer Veranstaltung kann keine API-Schlüssel haben.",
		"An event's account keeps its username and has no e-mail address.":                                                   "Das Konto einer Veranstaltung behält seinen Benutzernamen und hat keine E-Mail-Adresse.",
		"This role belongs to an event and carries its window and applications, which are set when the event is created.":    "Diese Rolle gehört zu einer Veranstaltung und trägt deren Zeitfenster und Anwendungen, die beim Anlegen der Veranstaltung festgelegt werden.",
	})
}
