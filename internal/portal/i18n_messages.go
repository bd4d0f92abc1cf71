package portal

import "campus/internal/i18n"

// Messages is every message of the portal's pages in lang, unformatted:
// for checks that a page in one language shows none of the other's.
func Messages(lang i18n.Lang) []string {
	out := make([]string, 0, len(messages[Lang(lang)]))
	for _, m := range messages[Lang(lang)] {
		out = append(out, m)
	}
	return out
}
