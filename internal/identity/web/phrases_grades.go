package web

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"This is for services with a client-credentials token carrying grades:read, not for people's tokens.": "Dieser Endpunkt ist für Dienste mit einem Client-Credentials-Token mit grades:read, nicht für Tokens von Personen.",
		"Ask for at most %d usernames or addresses at a time.":                                                "Fragen Sie nach höchstens %d Benutzernamen oder Adressen auf einmal.",
		"may hold at most %d entries":                          "darf höchstens %d Einträge enthalten",
		"Every entry must be a username or an e-mail address.": "Jeder Eintrag muss ein Benutzername oder eine E-Mail-Adresse sein.",
		"is not a username or an e-mail address":               "ist weder ein Benutzername noch eine E-Mail-Adresse",
	})
}

// The German of the people lookups and mails for services (issue 14).
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"This is for services with a client-credentials token, not for people's tokens.": "Dieser Endpunkt ist für Dienste mit einem Client-Credentials-Token, nicht für Tokens von Personen.",
		"needs the scope people:read or users:read":                                      "erfordert den Scope people:read oder users:read",
		"may be given at most %d times":                                                  "darf höchstens %d-mal angegeben werden",
		"needs at least %d characters":                                                   "braucht mindestens %d Zeichen",
		"There is no active account with this id.":                                       "Es gibt kein aktives Konto mit dieser ID.",
		"Identity sends no mail: no mail server is configured.":                          "identity versendet keine E-Mails: Es ist kein Mailserver eingerichtet.",
		"This person was mailed %d times in the last 24 hours; try again later.":         "Diese Person hat in den letzten 24 Stunden %d E-Mails erhalten; versuchen Sie es später erneut.",
		"needs a text in en or de":                                                       "braucht einen Text in en oder de",
		"is not a language campus speaks; use en or de":                                  "ist keine Sprache, die campus spricht; verwenden Sie en oder de",
		"must be text of at most %d characters":                                          "muss Text mit höchstens %d Zeichen sein",
		"must be a path on the portal, starting with one /":                              "muss ein Pfad im Portal sein, der mit einem / beginnt",
		"must be 1 to %d visible ASCII characters":                                       "muss aus 1 bis %d sichtbaren ASCII-Zeichen bestehen",
	})
}
