package rest

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

func init() {
	const en = "This address does not take %s; it takes %s."
	if !problem.Phrases.Knows(i18n.German, en) {
		problem.Phrases.Add(i18n.German, map[string]string{en: "Diese Adresse nimmt %s nicht an, nur %s."})
	}
}
