package policy

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the password policy's reasons and of a login window's
// problems, which the API writes as field errors.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"Use at least %d characters.":                                                                                                  "Verwenden Sie mindestens %d Zeichen.",
		"Use at most %d characters.":                                                                                                   "Verwenden Sie höchstens %d Zeichen.",
		"This is one of the most commonly used passwords; choose another.":                                                             "Dies ist eines der am häufigsten verwendeten Passwörter; wählen Sie ein anderes.",
		"Do not use your username or e-mail address in the password.":                                                                  "Verwenden Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse nicht im Passwort.",
		"This password repeats a pattern; add more words or characters that don't follow a pattern.":                                   "Dieses Passwort wiederholt ein Muster; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is a sequence like abc or 4321; add more words or characters that don't follow a pattern.":                      "Dieses Passwort ist eine Folge wie abc oder 4321; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is a keyboard sequence; add more words or characters that don't follow a pattern.":                              "Dieses Passwort ist eine Tastaturfolge; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is mostly a date or a year; add more words or characters that don't follow a pattern.":                          "Dieses Passwort ist größtenteils ein Datum oder eine Jahreszahl; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is close to a commonly used password; add more words or characters that don't follow a pattern.":                "Dieses Passwort ähnelt einem häufig verwendeten Passwort; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is mostly a common word or name; add more words or characters that don't follow a pattern.":                     "Dieses Passwort ist größtenteils ein gängiges Wort oder ein Name; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is built from your username, e-mail address or name; add more words or characters that don't follow a pattern.": "Dieses Passwort ist aus Ihrem Benutzernamen, Ihrer E-Mail-Adresse oder Ihrem Namen gebildet; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",
		"This password is too easy to guess; add more words or characters that don't follow a pattern.":                                "Dieses Passwort ist zu leicht zu erraten; fügen Sie weitere Wörter oder Zeichen hinzu, die keinem Muster folgen.",

		"earliest: time of day %q is not in the form HH:MM":    "Beginn: Die Uhrzeit %q hat nicht die Form HH:MM",
		"earliest: time of day %q is out of range 00:00–23:59": "Beginn: Die Uhrzeit %q liegt nicht zwischen 00:00 und 23:59",
		"latest: time of day %q is not in the form HH:MM":      "Ende: Die Uhrzeit %q hat nicht die Form HH:MM",
		"latest: time of day %q is out of range 00:00–23:59":   "Ende: Die Uhrzeit %q liegt nicht zwischen 00:00 und 23:59",
		"first date: date %q is not a valid YYYY-MM-DD date":   "Erster Tag: %q ist kein gültiges Datum der Form JJJJ-MM-TT",
		"last date: date %q is not a valid YYYY-MM-DD date":    "Letzter Tag: %q ist kein gültiges Datum der Form JJJJ-MM-TT",
		"first date %s is after last date %s":                  "Der erste Tag %s liegt nach dem letzten Tag %s",
	})
}
