package rest

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"Insufficient scope": "Berechtigung fehlt",

		"Send the body as application/json.":                    "Senden Sie den Inhalt als application/json.",
		"The body may be at most %d KiB.":                       "Der Inhalt darf höchstens %d KiB groß sein.",
		"The body could not be read.":                           "Der Inhalt konnte nicht gelesen werden.",
		"Malformed JSON":                                        "Fehlerhaftes JSON",
		"The body must be one JSON object: %v (at byte %d)":     "Der Inhalt muss ein JSON-Objekt sein: %v (bei Byte %d)",
		"The body must be one JSON object: it is empty":         "Der Inhalt muss ein JSON-Objekt sein; er ist leer.",
		"The body must be one JSON object: got null":            "Der Inhalt muss ein JSON-Objekt sein, nicht null.",
		"The body must be one JSON object: it is not an object": "Der Inhalt muss ein JSON-Objekt sein; er ist keines.",
		"is not a field of this request; allowed: %s":           "ist kein Feld dieser Anfrage; erlaubt sind: %s",
		"has the wrong type":                                    "hat den falschen Typ",
		"must be a string, not a JSON %s":                       "muss eine Zeichenkette sein, kein JSON-Wert vom Typ %s",
		"must be a whole number, not a JSON %s":                 "muss eine ganze Zahl sein, kein JSON-Wert vom Typ %s",
		"must be a number, not a JSON %s":                       "muss eine Zahl sein, kein JSON-Wert vom Typ %s",
		"must be true or false, not a JSON %s":                  "muss true oder false sein, kein JSON-Wert vom Typ %s",
		"must be a list, not a JSON %s":                         "muss eine Liste sein, kein JSON-Wert vom Typ %s",
		"must be an object, not a JSON %s":                      "muss ein Objekt sein, kein JSON-Wert vom Typ %s",
		"must be another type, not a JSON %s":                   "muss einen anderen Typ haben, kein JSON-Wert vom Typ %s",
		"Invalid input":                                         "Ungültige Eingabe",
		"Some fields are not right; see errors.":                "Einige Felder stimmen nicht; siehe errors.",

		"If-Match required": "If-Match erforderlich",
		"Send If-Match with the ETag you read (GET), so that a change made meanwhile by someone else is not overwritten.": "Senden Sie If-Match mit dem ETag, den Sie gelesen haben (GET), damit eine zwischenzeitliche Änderung durch jemand anderen nicht überschrieben wird.",
		"Changed meanwhile": "Zwischenzeitlich geändert",
		"It was changed since you read it (or If-Match names no strong ETag of it). Read it again (GET), then send your change with its new ETag in If-Match.": "Es wurde geändert, seit Sie es gelesen haben (oder If-Match nennt keinen starken ETag davon). Lesen Sie es erneut (GET) und senden Sie Ihre Änderung dann mit dem neuen ETag in If-Match.",

		"is not a parameter of this list; use %s":                      "ist kein Parameter dieser Liste; verwenden Sie %s",
		"must be a whole number from 1 to %d":                          "muss eine ganze Zahl von 1 bis %d sein",
		"is not a cursor this list handed out; start again without it": "ist kein Cursor, den diese Liste ausgegeben hat; beginnen Sie erneut ohne ihn",
		"Invalid query": "Ungültige Abfrage",
		"Some parameters are not right; see errors.": "Einige Parameter stimmen nicht; siehe errors.",

		// Shared by the services' list parameters.
		"may be at most 200 characters": "darf höchstens 200 Zeichen lang sein",

		"The answer could not be encoded.": "Die Antwort konnte nicht kodiert werden.",
	})
}
