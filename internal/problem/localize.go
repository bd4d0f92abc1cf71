package problem

import (
	"net/http"

	"campus/internal/i18n"
)

// Phrases translates the English titles and details of problem documents
// into the other languages campus speaks. Each package that writes
// problems adds its own sentences at init (messages.go beside it), and a
// test of that package checks that every sentence it writes is here.
var Phrases = i18n.NewPhrasebook()

// Localize makes the problem documents of next follow the client's
// Accept-Language (RFC 9110 section 12.5.4). Every response then varies
// by Accept-Language.
func Localize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language")
		lang := i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
		if lang == i18n.English {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&langWriter{ResponseWriter: w, lang: lang}, r)
	})
}

// langWriter carries the negotiated language to Write.
type langWriter struct {
	http.ResponseWriter
	lang i18n.Lang
}

func (w *langWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *langWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// langOf finds the language Localize chose, looking through the writers
// that middleware wrapped around it.
func langOf(w http.ResponseWriter) i18n.Lang {
	for w != nil {
		if lw, ok := w.(*langWriter); ok {
			return lw.lang
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return i18n.English
}

// LangOf is the language Localize chose for the request w answers:
// English without Localize. A handler whose answer is no problem document
// but carries texts for people (a report's reasons) translates them with
// Phrases into it, and sets Content-Language when it is not English.
func LangOf(w http.ResponseWriter) i18n.Lang { return langOf(w) }

// In returns p with its texts in lang where Phrases knows them.
func (p Details) in(lang i18n.Lang) Details {
	p.Title, _ = Phrases.Translate(lang, p.Title)
	p.Detail, _ = Phrases.Translate(lang, p.Detail)
	if len(p.Errors) > 0 {
		errs := make([]FieldError, len(p.Errors))
		for i, e := range p.Errors {
			e.Detail, _ = Phrases.Translate(lang, e.Detail)
			errs[i] = e
		}
		p.Errors = errs
	}
	return p
}
