package web

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the problem documents identity's API writes.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"Invalid request":        "Ungültige Anfrage",
		"must be en, de or null": "muss en, de oder null sein",

		// Fields a body may not set
		"is assigned by campus and cannot change":        "wird von campus vergeben und kann sich nicht ändern",
		"change roles with PUT /api/v1/users/{id}/roles": "ändern Sie Rollen mit PUT /api/v1/users/{id}/roles",
		"use POST /api/v1/users/{id}/disable or /enable": "verwenden Sie POST /api/v1/users/{id}/disable oder /enable",
		"is set when the person confirms the address":    "wird gesetzt, wenn die Person die Adresse bestätigt",
		"is read-only":                                           "kann nur gelesen werden",
		"use POST /api/v1/users/{id}/unlock":                     "verwenden Sie POST /api/v1/users/{id}/unlock",
		"is read-only; send it as If-Match":                      "kann nur gelesen werden; senden Sie es als If-Match",
		"is changed by its holder with POST /api/v1/me/password": "wird von der Inhaberin oder dem Inhaber mit POST /api/v1/me/password geändert",
		"is the role's identity and cannot change":               "ist die Identität der Rolle und kann sich nicht ändern",
		"is set by administrators":                               "wird von Administratorinnen und Administratoren gesetzt",

		// Access
		"There is no such API endpoint; see /api/v1/openapi.yaml.":                                                                    "Diesen API-Endpunkt gibt es nicht; siehe /api/v1/openapi.yaml.",
		"A valid access token is required (Authorization: Bearer ...): no bearer token.":                                              "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Es wurde keines gesendet.",
		"A valid access token is required (Authorization: Bearer ...): the token is not valid or has expired.":                        "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token ist ungültig oder abgelaufen.",
		"A valid access token is required (Authorization: Bearer ...): the token is not meant for this API.":                          "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token ist nicht für diese API bestimmt.",
		"A valid access token is required (Authorization: Bearer ...): the token has no id.":                                          "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token hat keine Kennung.",
		"A valid access token is required (Authorization: Bearer ...): the token was revoked.":                                        "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token wurde widerrufen.",
		"A valid access token is required (Authorization: Bearer ...): the token's application is no longer registered.":              "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Die Anwendung des Tokens ist nicht mehr registriert.",
		"A valid access token is required (Authorization: Bearer ...): the token names no account.":                                   "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token nennt kein Konto.",
		"A valid access token is required (Authorization: Bearer ...): the token's account does not exist.":                           "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Konto des Tokens existiert nicht.",
		"A valid access token is required (Authorization: Bearer ...): the token's account is disabled.":                              "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Konto des Tokens ist deaktiviert.",
		"A valid access token is required (Authorization: Bearer ...): %v.":                                                           "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): %v.",
		"A valid access token is required (Authorization: Bearer ...): the token could not be checked.":                               "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token konnte nicht geprüft werden.",
		"This endpoint is for people signed in with their own account; a client-credentials token has none.":                          "Dieser Endpunkt ist für Personen, die mit ihrem eigenen Konto angemeldet sind; ein Client-Credentials-Token hat keines.",
		"Self-service is available only through campus's own applications, not through %s.":                                           "Die Selbstverwaltung ist nur über die eigenen Anwendungen von campus möglich, nicht über %s.",
		"This needs the scope grades:read, users:read or people:read, which your token does not carry or your roles no longer grant.": "Dafür ist der Scope grades:read, users:read oder people:read nötig, den Ihr Token nicht enthält oder den Ihre Rollen nicht mehr gewähren.",
		"This needs the scope %s, which your token does not carry or your roles no longer grant.":                                     "Dafür ist der Scope %s nötig, den Ihr Token nicht enthält oder den Ihre Rollen nicht mehr gewähren.",

		// Store errors
		"is taken; choose another":                   "ist vergeben; wählen Sie einen anderen",
		"belongs to another account":                 "gehört zu einem anderen Konto",
		"The username and e-mail address are taken.": "Der Benutzername und die E-Mail-Adresse sind vergeben.",
		"The username is taken.":                     "Der Benutzername ist vergeben.",
		"The e-mail address is taken.":               "Die E-Mail-Adresse ist vergeben.",
		"The username or e-mail address is taken.":   "Der Benutzername oder die E-Mail-Adresse ist vergeben.",
		"It was changed since you read it. Read it again (GET), then send your change with its new ETag in If-Match.": "Es wurde geändert, seit Sie es gelesen haben. Lesen Sie es erneut (GET) und senden Sie Ihre Änderung dann mit dem neuen ETag in If-Match.",
		"There is no such account.": "Dieses Konto gibt es nicht.",
		"There is no such role.":    "Diese Rolle gibt es nicht.",
		"Too many passwords are being checked at once. Try again in a few seconds; nothing was changed.": "Gerade werden zu viele Passwörter auf einmal geprüft. Versuchen Sie es in einigen Sekunden erneut; es wurde nichts geändert.",
		"Something went wrong on our side; nothing was changed.":                                         "Bei uns ist etwas schiefgegangen; es wurde nichts geändert.",
		"This is the last active administrator; give another account the admin role first.":              "Dies ist der letzte aktive Administrator; geben Sie zuerst einem anderen Konto die Rolle admin.",
		"Username or e-mail already taken.":                                                              "Benutzername oder E-Mail-Adresse ist bereits vergeben.",
		"A role named %q exists already.":                                                                "Eine Rolle namens %q gibt es bereits.",
		"It conflicts with the current state.":                                                           "Das widerspricht dem aktuellen Stand.",

		// Audit, consent, keys, mail
		"must be success, failure or denied":                                                 "muss success, failure oder denied sein",
		"must be an RFC 3339 time such as 2026-11-22T09:00:00Z":                              "muss eine Zeit nach RFC 3339 sein, etwa 2026-11-22T09:00:00Z",
		"You have not allowed this application anything.":                                    "Sie haben dieser Anwendung nichts erlaubt.",
		"must be 1 to 100 characters":                                                        "muss 1 bis 100 Zeichen lang sein",
		"must be in the future":                                                              "muss in der Zukunft liegen",
		"You have 20 keys already; revoke one you no longer use first.":                      "Sie haben bereits 20 Schlüssel; widerrufen Sie zuerst einen, den Sie nicht mehr verwenden.",
		"You have no such key (or it is revoked already).":                                   "Diesen Schlüssel haben Sie nicht (oder er ist bereits widerrufen).",
		"There is no such session (or it has ended already).":                                "Diese Sitzung gibt es nicht (oder sie ist bereits beendet).",
		"Not every session could be ended; try again.":                                       "Nicht jede Sitzung konnte beendet werden; versuchen Sie es erneut.",
		"must be pending, failed or sent":                                                    "muss pending, failed oder sent sein",
		"Only a mail that was given up can be retried; this one is not (or does not exist).": "Nur eine aufgegebene E-Mail kann erneut versucht werden; diese ist es nicht (oder es gibt sie nicht).",

		// Registration and accounts
		"is required": "ist erforderlich",
		"has an account already; sign in, or use another address":                             "hat bereits ein Konto; melden Sie sich an oder verwenden Sie eine andere Adresse",
		"use 2 to 64 letters (a-z), digits, '.', '_' or '-', starting with a letter or digit": "verwenden Sie 2 bis 64 Buchstaben (a-z), Ziffern, '.', '_' oder '-', beginnend mit einem Buchstaben oder einer Ziffer",
		"is not an e-mail address like name@uni.example":                                      "ist keine E-Mail-Adresse wie name@uni.example",
		"must be text (UTF-8)":                "muss Text sein (UTF-8)",
		"may be at most %d characters":        "darf höchstens %d Zeichen lang sein",
		"may not contain control characters":  "darf keine Steuerzeichen enthalten",
		"must be active or disabled":          "muss active oder disabled sein",
		"must be created_at or last_login_at": "muss created_at oder last_login_at sein",
		"must be created_at or last_login_at: usernames and e-mail addresses are stored encrypted and cannot be sorted by; search for them with q": "muss created_at oder last_login_at sein: Benutzernamen und E-Mail-Adressen werden verschlüsselt gespeichert und können nicht sortiert werden; suchen Sie sie mit q",
		"must be asc or desc": "muss asc oder desc sein",
		"is not valid for this sort and order; start again without it":              "passt nicht zu dieser Sortierung; beginnen Sie erneut ohne ihn",
		"cannot be null; send \"\" to clear it":                                     "darf nicht null sein; senden Sie \"\", um es zu leeren",
		"cannot be null; send 0 for none":                                           "darf nicht null sein; senden Sie 0 für keines",
		"must be from 0 (none) to 40":                                               "muss zwischen 0 (keines) und 40 liegen",
		"Your e-mail address comes from the university directory; change it there.": "Ihre E-Mail-Adresse stammt aus dem Verzeichnis der Universität; ändern Sie sie dort.",
		"comes from the university directory":                                       "stammt aus dem Verzeichnis der Universität",
		"Your other changes are saved, but a confirmation link was mailed very recently; try the new address again in a minute.":                          "Ihre übrigen Änderungen sind gespeichert, aber vor Kurzem wurde bereits ein Bestätigungslink verschickt; versuchen Sie die neue Adresse in einer Minute erneut.",
		"Nobody changes their own lock; ask another administrator.":                                                                                       "Niemand hebt die eigene Sperre auf; bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"Nobody changes their own roles; ask another administrator.":                                                                                      "Niemand ändert die eigenen Rollen; bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"Nobody changes their own login window; ask another administrator.":                                                                               "Niemand ändert das eigene Anmeldefenster; bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"Nobody resets their own second factors here: remove one on the sign-in security page (it asks for your password), or ask another administrator.": "Niemand setzt hier die eigenen zweiten Faktoren zurück: Entfernen Sie einen auf der Seite Anmeldesicherheit (sie fragt nach Ihrem Passwort), oder bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"Nobody changes their own status; ask another administrator.":                                                                                     "Niemand ändert den eigenen Status; bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"Nobody lifts a restriction on their own account; ask another administrator.":                                                                     "Niemand hebt eine Einschränkung des eigenen Kontos auf; bitten Sie eine andere Administratorin oder einen anderen Administrator.",
		"You can only change accounts, and give or take away roles, whose permissions you hold yourself; you lack %s.":                                    "Sie können nur Konten ändern und Rollen vergeben oder entziehen, deren Berechtigungen Sie selbst haben; Ihnen fehlt %s.",
		"The login window is changed, but not every session of the account could be ended; its tokens stop working when they expire.":                     "Das Anmeldefenster ist geändert, aber nicht jede Sitzung des Kontos konnte beendet werden; seine Tokens verlieren ihre Gültigkeit, wenn sie ablaufen.",
		"The roles are changed, but not every session of the account could be ended; its tokens stop working when they expire.":                           "Die Rollen sind geändert, aber nicht jede Sitzung des Kontos konnte beendet werden; seine Tokens verlieren ihre Gültigkeit, wenn sie ablaufen.",
		"The change is made, but not every session of the account could be ended; its tokens stop working when they expire.":                              "Die Änderung ist gespeichert, aber nicht jede Sitzung des Kontos konnte beendet werden; seine Tokens verlieren ihre Gültigkeit, wenn sie ablaufen.",
		"The account is disabled, but not all of its sessions could be ended; disable it again to retry.":                                                 "Das Konto ist deaktiviert, aber nicht alle seine Sitzungen konnten beendet werden; deaktivieren Sie es erneut, um es nochmals zu versuchen.",
		"is required: the complete list of roles ([] for none)":                                                                                           "ist erforderlich: die vollständige Liste der Rollen ([] für keine)",
		"there is no role %q":                   "die Rolle %q gibt es nicht",
		"must differ from the current password": "muss sich vom aktuellen Passwort unterscheiden",
		"This account signs in through the university directory; change the password there.": "Dieses Konto meldet sich über das Verzeichnis der Universität an; ändern Sie das Passwort dort.",
		"is not right": "stimmt nicht",
		"The password was changed, but not all other sessions could be ended. Sign out everywhere to be sure.": "Das Passwort wurde geändert, aber nicht alle anderen Sitzungen konnten beendet werden. Melden Sie sich überall ab, um sicherzugehen.",
		"does not match the new password": "stimmt nicht mit dem neuen Passwort überein",
		"does not match the password":     "stimmt nicht mit dem Passwort überein",

		// Roles
		"%q is not a permission; choose from %s":                                                                                "%q ist keine Berechtigung; wählen Sie aus %s",
		"you cannot grant %s: you do not hold it yourself":                                                                      "Sie können %s nicht vergeben: Sie haben es selbst nicht",
		"the admin role must keep %s, or nobody could manage accounts and roles":                                                "die Rolle admin muss %s behalten, sonst könnte niemand Konten und Rollen verwalten",
		"there is no application %q":                                                                                            "die Anwendung %q gibt es nicht",
		"use 2 to 32 lower-case letters, digits, '_' or '-', starting with a letter":                                            "verwenden Sie 2 bis 32 Kleinbuchstaben, Ziffern, '_' oder '-', beginnend mit einem Buchstaben",
		"A role named %q exists already. Change it with PATCH /api/v1/roles/%s instead.":                                        "Eine Rolle namens %q gibt es bereits. Ändern Sie sie stattdessen mit PATCH /api/v1/roles/%s.",
		"is taken by an existing role":                                                                                          "ist von einer bestehenden Rolle belegt",
		"The role is changed, but not every session of its members could be ended; their tokens stop working when they expire.": "Die Rolle ist geändert, aber nicht jede Sitzung ihrer Mitglieder konnte beendet werden; ihre Tokens verlieren ihre Gültigkeit, wenn sie ablaufen.",

		// Directory and revocations
		"No directory is configured (CAMPUS_LDAP_URL).":                        "Es ist kein Verzeichnis eingerichtet (CAMPUS_LDAP_URL).",
		"A directory sync is running already; look at its result in a moment.": "Ein Abgleich mit dem Verzeichnis läuft bereits; sehen Sie sich gleich sein Ergebnis an.",
		"The directory cannot be reached, so nothing was changed: %v":          "Das Verzeichnis ist nicht erreichbar, daher wurde nichts geändert: %v",
		"since must be an RFC 3339 time, as the feed's as_of.":                 "since muss eine Zeit nach RFC 3339 sein, wie as_of des Feeds.",
		"The revocations could not be read.":                                   "Die Widerrufe konnten nicht gelesen werden.",
	})
}
