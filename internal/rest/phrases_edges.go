package rest

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

func init() {
	problem.Phrases.AddNew(i18n.German, map[string]string{
		"This address does not take %s; it takes %s.": "Diese Adresse nimmt %s nicht an, nur %s.",
	})
}
