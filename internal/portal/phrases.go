package portal

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the problem documents the API gateway writes itself.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"The service behind this address did not answer; try again in a moment.":                                    "Der Dienst hinter dieser Adresse hat nicht geantwortet; versuchen Sie es gleich noch einmal.",
		"The gateway is misconfigured.":                                                                             "Das Gateway ist falsch eingerichtet.",
		"API keys read the study API (/api/study/...) only.":                                                        "API-Schlüssel lesen nur die Studien-API (/api/study/...).",
		"The API key is not valid: unknown, expired or revoked.":                                                    "Der API-Schlüssel ist ungültig: unbekannt, abgelaufen oder widerrufen.",
		"API keys cannot be checked right now; try again in a moment.":                                              "API-Schlüssel können gerade nicht geprüft werden; versuchen Sie es gleich noch einmal.",
		"Sign in to the portal, or send an API key (Authorization: Bearer KEY).":                                    "Melden Sie sich im Portal an oder senden Sie einen API-Schlüssel (Authorization: Bearer KEY).",
		"Your session's token cannot be renewed right now: identity cannot be reached. Try again in a few minutes.": "Das Token Ihrer Sitzung kann gerade nicht erneuert werden: Identity ist nicht erreichbar. Versuchen Sie es in einigen Minuten erneut.",
		"Your session has ended; sign in again.":                                                                    "Ihre Sitzung ist beendet; melden Sie sich erneut an.",
	})
}
