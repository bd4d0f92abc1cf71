package web

import (
	"html/template"

	"campus/internal/i18n"
)

// catalogue holds every string a person reads on identity's pages, in
// English and German. Each file adds the messages of its own pages at init
// (catalogue.Add); templates ask for them with {{T .Lang "name" args...}},
// so every view carries the page's Lang.
var catalogue = i18n.NewCatalogue()

// T is a message of identity's pages in lang.
func T(lang i18n.Lang, key string, args ...any) string {
	return catalogue.T(lang, key, args...)
}

// templateFuncs are the functions identity's templates use.
var templateFuncs = template.FuncMap{
	"T": T,
}

// Messages is every message of identity's pages in lang, unformatted: for
// checks that a page in one language shows none of the other's.
func Messages(lang i18n.Lang) []string {
	keys := catalogue.Keys(lang)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, catalogue.T(lang, k))
	}
	return out
}
