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

// addMessages adds messages to the catalogue from a file of their own;
// a name added twice is a programming error and panics at start.
func addMessages(msgs map[Lang]map[string]string) {
	for lang, m := range msgs {
		for k, v := range m {
			if _, dup := messages[lang][k]; dup {
				panic("portal: message " + k + " added twice")
			}
			messages[lang][k] = v
		}
	}
}
