package httpserver

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"Something went wrong on our side. The request id is %s.": "Bei uns ist etwas schiefgegangen. Die Kennung der Anfrage ist %s.",
	})
}
