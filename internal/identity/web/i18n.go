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
