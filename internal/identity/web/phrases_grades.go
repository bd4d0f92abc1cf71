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
