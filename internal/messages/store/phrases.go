package store

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the store's refusals, as the API writes them: the
// sentence before ": conflict", capitalised, with a full stop (as study's
// conflictDetail does).
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"A conversation needs its creator.":                                   "Eine Unterhaltung braucht ihre Erstellerin oder ihren Ersteller.",
		"A direct conversation is between two people.":                        "Eine direkte Unterhaltung führen genau zwei Personen.",
		"A group's name has 1 to %d characters.":                              "Der Name einer Gruppe hat 1 bis %d Zeichen.",
		"A group has at most %d members.":                                     "Eine Gruppe hat höchstens %d Mitglieder.",
		"Only direct conversations and groups can be created.":                "Nur direkte Unterhaltungen und Gruppen können angelegt werden.",
		"Only groups can be renamed.":                                         "Nur Gruppen können umbenannt werden.",
		"A member's role is admin or member.":                                 "Die Rolle eines Mitglieds ist admin oder member.",
		"A group keeps at least one admin.":                                   "Eine Gruppe behält mindestens eine Administratorin oder einen Administrator.",
		"Name the member to add.":                                             "Geben Sie das Mitglied an, das hinzukommen soll.",
		"Only groups' members can be changed.":                                "Nur die Mitglieder von Gruppen können geändert werden.",
		"At most 1000 people can be looked up at once.":                       "Höchstens 1000 Personen können auf einmal abgefragt werden.",
		"A course group belongs to a programme or a module and names its id.": "Eine Kursgruppe gehört zu einem Studiengang oder Modul und nennt dessen ID.",
		"Course group %s %s is listed twice.":                                 "Die Kursgruppe %s %s ist doppelt aufgeführt.",
		"A message has at most %d bytes of text.":                             "Eine Nachricht hat höchstens %d Bytes Text.",
		"The text is not UTF-8.":                                              "Der Text ist kein UTF-8.",
		"A message has a text or an attachment.":                              "Eine Nachricht hat einen Text oder einen Anhang.",
		"A message has at most %d attachments.":                               "Eine Nachricht hat höchstens %d Anhänge.",
		"An attachment has at most %d bytes.":                                 "Ein Anhang hat höchstens %d Bytes.",
		"A message's attachments have at most %d bytes together.":             "Die Anhänge einer Nachricht haben zusammen höchstens %d Bytes.",
		"The message is deleted.":                                             "Die Nachricht ist gelöscht.",
		"A notice needs a recipient.":                                         "Eine Mitteilung braucht eine Empfängerin oder einen Empfänger.",
		"A notice has at most %d recipients.":                                 "Eine Mitteilung hat höchstens %d Empfänger.",
		"A notice needs a text.":                                              "Eine Mitteilung braucht einen Text.",
		"A notice's texts have at most %d bytes each.":                        "Die Texte einer Mitteilung haben je höchstens %d Bytes.",
	})
}
