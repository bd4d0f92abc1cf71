package api

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the problem documents the study API writes.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"must be draft, published or archived": "muss draft, published oder archived sein",
		"must be winter, summer or both":       "muss winter, summer oder both sein",

		// Grade files
		"Send the grades as text/csv.":  "Senden Sie die Noten als text/csv.",
		"The file may be at most 5 MB.": "Die Datei darf höchstens 5 MB groß sein.",
		"Too many rows":                 "Zu viele Zeilen",
		"A grade file may have at most %d rows; split it into several files.": "Eine Notendatei darf höchstens %d Zeilen haben; teilen Sie sie auf mehrere Dateien auf.",
		"Not a grade file": "Keine Notendatei",
		"the file is not UTF-8 text; save it as CSV (UTF-8)":                                                                     "Die Datei ist kein UTF-8-Text; speichern Sie sie als CSV (UTF-8).",
		"the file is empty; the first line must name the columns: subject,grade":                                                 "Die Datei ist leer; die erste Zeile muss die Spalten nennen: subject,grade",
		"the file is not valid CSV: %v":                                                                                          "Die Datei ist kein gültiges CSV: %v",
		"unknown column %q; the columns are subject or username, grade, attempt, graded_on, status (and name, which is ignored)": "Unbekannte Spalte %q; die Spalten sind subject oder username, grade, attempt, graded_on, status (und name, die übergangen wird)",
		"the first line must name the columns, with at least subject and grade":                                                  "Die erste Zeile muss die Spalten nennen, mindestens subject und grade.",
		"the first line must name the columns, with at least subject (or username) and grade":                                    "Die erste Zeile muss die Spalten nennen, mindestens subject (oder username) und grade.",

		// The reasons of refused rows in a grade file's report
		"Not enrolled in a programme with this lecture.": "In keinem Studiengang mit dieser Lehrveranstaltung eingeschrieben.",
		"Not valid CSV: %v":                         "Kein gültiges CSV: %v",
		"The attempt must be a number like 1 or 2.": "Der Versuch muss eine Zahl wie 1 oder 2 sein.",
		"The same person as on line %d.":            "Dieselbe Person wie in Zeile %d.",

		// People: enrolments and grades
		"Invalid values":                          "Ungültige Werte",
		"Some values break a rule; see errors.":   "Einige Werte verletzen eine Regel; siehe errors.",
		"You can set withdrawn or active.":        "Sie können withdrawn oder active setzen.",
		"You are not enrolled in this programme.": "Sie sind in diesem Studiengang nicht eingeschrieben.",
		"Use a date like 2026-10-01.":             "Verwenden Sie ein Datum wie 2026-10-01.",
		"Name the person by their subject id at identity, such as 0190f3a4-8b1c-7d2e-9f00-1234567890ab.": "Nennen Sie die Person mit ihrer Subject-ID bei Identity, etwa 0190f3a4-8b1c-7d2e-9f00-1234567890ab.",
		"Cannot check people": "Personen können nicht geprüft werden",
		"Enrolling someone needs the study service's client credentials at identity, to check that the person exists; none are configured (CAMPUS_STUDY_CLIENT_ID and CAMPUS_STUDY_CLIENT_SECRET).": "Zum Einschreiben braucht der Studiendienst seine Client-Zugangsdaten bei Identity, um zu prüfen, ob die Person existiert; es sind keine eingerichtet (CAMPUS_STUDY_CLIENT_ID und CAMPUS_STUDY_CLIENT_SECRET).",
		"Identity unavailable": "Identity nicht erreichbar",
		"Identity, which knows who exists, cannot be reached to check this person; nothing was stored. Try again shortly.": "Identity, das weiß, wer existiert, ist nicht erreichbar, um diese Person zu prüfen; es wurde nichts gespeichert. Versuchen Sie es gleich noch einmal.",
		"Identity has no person with this subject id.":                                                                     "Identity kennt keine Person mit dieser Subject-ID.",
		"Name the person (their subject id).":                                                                              "Nennen Sie die Person (ihre Subject-ID).",
		"Use a grade on the scale: 1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0.":                               "Verwenden Sie eine Note der Skala: 1,0, 1,3, 1,7, 2,0, 2,3, 2,7, 3,0, 3,3, 3,7, 4,0 oder 5,0.",
		"Use a date like 2026-02-14.":                                                                                      "Verwenden Sie ein Datum wie 2026-02-14.",
		"Use provisional or final.":                                                                                        "Verwenden Sie provisional oder final.",
		"Use a grade on the scale: 1.0 to 4.0 or 5.0.":                                                                     "Verwenden Sie eine Note der Skala: 1,0 bis 4,0 oder 5,0.",

		// Answers to failures
		"There is no such resource.": "Diese Ressource gibt es nicht.",
		"Someone else changed this since you read it. Read it again, then make your change.": "Jemand anderes hat dies geändert, seit Sie es gelesen haben. Lesen Sie es erneut und nehmen Sie dann Ihre Änderung vor.",
		"This person is not enrolled in a programme with this lecture or module.":            "Diese Person ist in keinem Studiengang mit dieser Lehrveranstaltung oder diesem Modul eingeschrieben.",
		"Not enrolled in a programme with this lecture or module.":                           "In keinem Studiengang mit dieser Lehrveranstaltung oder diesem Modul eingeschrieben.",
		"Something went wrong on our side.":                                                  "Bei uns ist etwas schiefgegangen.",
		"Still linked":                                                                       "Noch verknüpft",
		"Other resources still refer to this one. Remove the links first, or delete with ?force=true (grades are never removed this way).": "Andere Ressourcen verweisen noch auf diese. Entfernen Sie zuerst die Verknüpfungen oder löschen Sie mit ?force=true (Noten werden so nie entfernt).",

		// Access
		"Changes are paused: the study service cannot reach identity to learn of revoked tokens. Try again in a few seconds.": "Änderungen sind angehalten: Der Studiendienst erreicht Identity nicht, um von widerrufenen Tokens zu erfahren. Versuchen Sie es in einigen Sekunden erneut.",
		"This is about a person's own data; a service token has none.":                                                        "Hier geht es um die eigenen Daten einer Person; ein Diensttoken hat keine.",
		"API keys are read-only; sign in to make changes.":                                                                    "API-Schlüssel können nur lesen; melden Sie sich an, um etwas zu ändern.",
		"Sign in: send an access token as Authorization: Bearer TOKEN.":                                                       "Melden Sie sich an: Senden Sie ein Zugriffstoken als Authorization: Bearer TOKEN.",
		"The token cannot be checked right now: the study service cannot reach identity. Try again in a few seconds.":         "Das Token kann gerade nicht geprüft werden: Der Studiendienst erreicht Identity nicht. Versuchen Sie es in einigen Sekunden erneut.",
		"Access tokens go in the Authorization header, never in the URL; the key parameter takes API keys only.":              "Zugriffstokens gehören in den Authorization-Header, nie in die Adresse; der Parameter key nimmt nur API-Schlüssel.",
		"The token is not valid (expired, revoked or not for this API). Sign in again.":                                       "Das Token ist ungültig (abgelaufen, widerrufen oder nicht für diese API). Melden Sie sich erneut an.",
		"This needs the permission %s.": "Dafür ist die Berechtigung %s nötig.",
		"Second factor needed":          "Zweiter Faktor nötig",
		"This change needs a sign-in with a second factor (a passkey or an authenticator app). Sign in again with one, then repeat the change.":                                                                         "Diese Änderung braucht eine Anmeldung mit einem zweiten Faktor (einem Passkey oder einer Authenticator-App). Melden Sie sich damit erneut an und wiederholen Sie dann die Änderung.",
		"Changing the catalogue needs the study token: an administrator enters the password again (prompt=login, or campus login --write) and gets studies:write for identity's --step-up-ttl (15 minutes by default).": "Änderungen am Katalog brauchen das Studientoken: Eine Administratorin oder ein Administrator gibt das Passwort erneut ein (prompt=login oder campus login --write) und erhält studies:write für die Dauer von --step-up-ttl bei identity (standardmäßig 15 Minuten).",
	})
}
