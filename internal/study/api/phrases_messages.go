package api

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// German for responsible staff and the rosters (issue 14).
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"The rosters are for services: use a client-credentials token of a service's own client, such as the messages service's.": "Die Teilnehmerlisten sind für Dienste: Verwenden Sie ein Client-Credentials-Token des eigenen Clients eines Dienstes, etwa des Nachrichtendienstes.",
	})
}
