package api

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the problem documents the messages API writes. Every
// text here is the messages API's own: a phrase may be added only once
// per process, and the study API's texts are added by that package.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		// Access
		"Sign in: send an access token for campus-messages as Authorization: Bearer TOKEN.":                                                                 "Melden Sie sich an: Senden Sie ein Zugriffstoken für campus-messages als Authorization: Bearer TOKEN.",
		"Access tokens go in the Authorization header, never in the URL; the key parameter of the messages API takes API keys only.":                        "Zugriffstokens gehören in den Authorization-Header, nie in die Adresse; der Parameter key der Nachrichten-API nimmt nur API-Schlüssel.",
		"The token is not valid for the messages API (expired, revoked or for another API). Sign in again.":                                                 "Das Token ist für die Nachrichten-API ungültig (abgelaufen, widerrufen oder für eine andere API). Melden Sie sich erneut an.",
		"The token cannot be checked right now: the messages service cannot reach identity. Try again in a few seconds.":                                    "Das Token kann gerade nicht geprüft werden: Der Nachrichtendienst erreicht Identity nicht. Versuchen Sie es in einigen Sekunden erneut.",
		"Changes are paused: the messages service cannot reach identity to learn of revoked tokens. Try again in a few seconds.":                            "Änderungen sind angehalten: Der Nachrichtendienst erreicht Identity nicht, um von widerrufenen Tokens zu erfahren. Versuchen Sie es in einigen Sekunden erneut.",
		"The messages API needs the permission %s for this.":                                                                                                "Die Nachrichten-API braucht dafür die Berechtigung %s.",
		"API keys are read-only; sign in to send or change messages.":                                                                                       "API-Schlüssel können nur lesen; melden Sie sich an, um Nachrichten zu senden oder zu ändern.",
		"Messages are a person's own; a service token has none. Services send notices (POST /v1/notices).":                                                  "Nachrichten gehören Personen; ein Diensttoken hat keine. Dienste senden Mitteilungen (POST /v1/notices).",
		"Notices are sent by campus's services with their client credentials and the permission messages:notify.":                                           "Mitteilungen senden die Dienste von campus mit ihren Client-Zugangsdaten und der Berechtigung messages:notify.",
		"The event stream takes an access token in the Authorization header, never an API key: a key would sit in the URL of a connection that stays open.": "Der Ereignisstrom nimmt ein Zugriffstoken im Authorization-Header, nie einen API-Schlüssel: Ein Schlüssel stünde in der Adresse einer Verbindung, die offen bleibt.",
		"Only administrators change the rules.":                                                                                                             "Nur die Administration ändert die Regeln.",
		"Your role may not create groups; the administrators decide who may (GET /v1/rules).":                                                               "Ihre Rolle darf keine Gruppen anlegen; die Administration entscheidet, wer es darf (GET /v1/rules).",

		// Answers to failures
		"There is no such conversation, message or attachment, or you are not a member of its conversation.":                                                                                 "Diese Unterhaltung, Nachricht oder Datei gibt es nicht, oder Sie sind nicht Mitglied ihrer Unterhaltung.",
		"You are a member, but this is not yours to do: only a group's admins rename it and manage its members, only the sender edits or deletes a message, and nobody writes into notices.": "Sie sind Mitglied, aber das steht Ihnen nicht zu: Nur die Admins einer Gruppe benennen sie um und verwalten ihre Mitglieder, nur wer eine Nachricht gesendet hat, bearbeitet oder löscht sie, und in Mitteilungen schreibt niemand.",
		"This cannot be done here: course groups, direct conversations and notices keep their names and members, and a deleted message stays deleted.":                                       "Das geht hier nicht: Kursgruppen, Direktunterhaltungen und Mitteilungen behalten ihre Namen und Mitglieder, und eine gelöschte Nachricht bleibt gelöscht.",
		"You are sending messages faster than this service allows. Wait a moment and send again.":                                                                                            "Sie senden Nachrichten schneller, als dieser Dienst erlaubt. Warten Sie einen Moment und senden Sie erneut.",
		"Something went wrong on the messages service's side.":                                                                                                                               "Beim Nachrichtendienst ist etwas schiefgegangen.",
		"Identity not reachable": "Identity nicht erreichbar",
		"Identity, which knows who exists, cannot be reached to check the people named; nothing was changed. Try again shortly.": "Identity, das weiß, wer existiert, ist nicht erreichbar, um die genannten Personen zu prüfen; es wurde nichts geändert. Versuchen Sie es gleich noch einmal.",
		"Cannot be reached": "Nicht erreichbar",
		"You cannot write to %s: unknown, or out of your reach under the rules (GET /v1/rules).": "Sie können %s nicht schreiben: unbekannt oder nach den Regeln außerhalb Ihrer Reichweite (GET /v1/rules).",
		"Out of your reach.":              "Außerhalb Ihrer Reichweite.",
		"A group has at most %d members.": "Eine Gruppe hat höchstens %d Mitglieder.",

		// Conversations
		"Name people by their subject id at identity.":                       "Nennen Sie Personen mit ihrer Subject-ID bei Identity.",
		"A direct conversation has no name.":                                 "Eine Direktunterhaltung hat keinen Namen.",
		"A direct conversation has exactly one other person.":                "Eine Direktunterhaltung hat genau eine weitere Person.",
		"Give the group a name of 1 to 100 characters.":                      "Geben Sie der Gruppe einen Namen mit 1 bis 100 Zeichen.",
		"A group may start with at most %d members.":                         "Eine Gruppe kann mit höchstens %d Mitgliedern beginnen.",
		"Use direct or group; course groups and notices are made by campus.": "Verwenden Sie direct oder group; Kursgruppen und Mitteilungen legt campus an.",
		"Use member or admin.":                                               "Verwenden Sie member oder admin.",
		"Name the newest message read by its id.":                            "Nennen Sie die neueste gelesene Nachricht mit ihrer ID.",

		// Messages and files
		"Use after or cursor, not both.":                              "Verwenden Sie after oder cursor, nicht beides.",
		"The text must be UTF-8 without NUL characters.":              "Der Text muss UTF-8 ohne NUL-Zeichen sein.",
		"A message may have at most %d KiB of text.":                  "Eine Nachricht darf höchstens %d KiB Text haben.",
		"Write something, or send a file.":                            "Schreiben Sie etwas oder senden Sie eine Datei.",
		"Write something; to take a message back, delete it.":         "Schreiben Sie etwas; um eine Nachricht zurückzunehmen, löschen Sie sie.",
		"Name the message answered by its id.":                        "Nennen Sie die beantwortete Nachricht mit ihrer ID.",
		"A message may mention at most %d people.":                    "Eine Nachricht darf höchstens %d Personen erwähnen.",
		"There is no such message in this conversation.":              "Diese Nachricht gibt es in dieser Unterhaltung nicht.",
		"The body is not valid multipart/form-data.":                  "Der Inhalt ist kein gültiges multipart/form-data.",
		"A message may carry at most %d files.":                       "Eine Nachricht darf höchstens %d Dateien mitführen.",
		"The file %q is larger than %d MB, the most a file may have.": "Die Datei %q ist größer als %d MB, das Höchstmaß für eine Datei.",
		"The files of a message may have at most %d MB together.":     "Die Dateien einer Nachricht dürfen zusammen höchstens %d MB groß sein.",
		"Empty file":            "Leere Datei",
		"The file %q is empty.": "Die Datei %q ist leer.",
		"File type not allowed": "Dateityp nicht erlaubt",
		"The file %q cannot be sent: allowed are images (PNG, JPEG, GIF, WebP), PDF, text, CSV, ZIP and office documents, with a matching extension.": "Die Datei %q kann nicht gesendet werden: Erlaubt sind Bilder (PNG, JPEG, GIF, WebP), PDF, Text, CSV, ZIP und Office-Dokumente mit passender Endung.",
		"Is not a field of a message; use text, reply_to, mentions and attachment.":                                                                   "Ist kein Feld einer Nachricht; verwenden Sie text, reply_to, mentions und attachment.",
		"Search for 2 to 200 characters.": "Suchen Sie nach 2 bis 200 Zeichen.",

		// People and presence
		"Name 1 to %d people by their subject id (id=...&id=...).":                       "Nennen Sie 1 bis %d Personen mit ihrer Subject-ID (id=...&id=...).",
		"Search for 2 to 100 characters, or leave q out for the people of your courses.": "Suchen Sie nach 2 bis 100 Zeichen, oder lassen Sie q weg für die Personen Ihrer Kurse.",
		"Say true or false.": "Sagen Sie true oder false.",

		// Notices
		"Idempotency-Key required": "Idempotency-Key erforderlich",
		"Send an Idempotency-Key header (up to 200 printable characters) that stays the same when the notice is sent again.": "Senden Sie einen Idempotency-Key-Header (bis zu 200 druckbare Zeichen), der gleich bleibt, wenn die Mitteilung erneut gesendet wird.",
		"Name 1 to %d recipients.":                                     "Nennen Sie 1 bis %d Empfängerinnen und Empfänger.",
		"Name the kind of notice in lower case, like grade_published.": "Nennen Sie die Art der Mitteilung in Kleinbuchstaben, etwa grade_published.",
		"Write the notice's text, at most 16 KiB.":                     "Schreiben Sie den Text der Mitteilung, höchstens 16 KiB.",
		"Give a path in the portal, like /grades.":                     "Geben Sie einen Pfad im Portal an, etwa /grades.",

		// Fields refused by name
		"Change members with PUT or DELETE /v1/conversations/{id}/members/{sub}.": "Ändern Sie Mitglieder mit PUT oder DELETE /v1/conversations/{id}/members/{sub}.",
		"Send files as multipart/form-data, in parts named attachment.":           "Senden Sie Dateien als multipart/form-data, in Teilen namens attachment.",
		"The version goes in If-Match.":                                           "Die Version gehört in If-Match.",
		"Set by the service.":                                                     "Setzt der Dienst.",

		// Rules
		"Give the reach of each pair of roles: none, programme or anyone.": "Geben Sie die Reichweite jedes Rollenpaars an: none, programme oder anyone.",
		"%q is not a role name.":                                     "%q ist kein Rollenname.",
		"The reach from %s to %s must be none, programme or anyone.": "Die Reichweite von %s zu %s muss none, programme oder anyone sein.",
	})
}
