package i18n

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a language campus speaks.
type Lang string

const (
	English Lang = "en"
	German  Lang = "de"
)

// Langs is every language campus speaks, English (the fallback) first.
var Langs = []Lang{English, German}

// Cookie is the cookie that holds a person's explicit choice (the
// language switch of the portal and of identity's pages). On one origin
// (campus serve) both services see it.
const Cookie = "campus_lang"

var (
	supported = []language.Tag{language.English, language.German}
	matcher   = language.NewMatcher(supported)
)

// Parse reads a language code such as "de", "de-AT" or "en-GB"; ok is
// false for a language campus does not speak.
func Parse(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch Lang(s) {
	case English, German:
		return Lang(s), true
	}
	return "", false
}

// FromList picks the first language campus speaks from a space-separated
// list in order of preference, as OpenID Connect's ui_locales (Core 1.0
// section 3.1.2.1); ok is false when none is spoken.
func FromList(list string) (Lang, bool) {
	for _, f := range strings.Fields(list) {
		if l, ok := Parse(f); ok {
			return l, true
		}
	}
	return "", false
}

// FromAcceptLanguage is the best match of an Accept-Language header
// (RFC 9110 section 12.5.4), English when nothing matches.
func FromAcceptLanguage(header string) Lang {
	// A browser says a few languages; a header of thousands would cost
	// milliseconds of parsing on every request, so only its start counts.
	if len(header) > maxAcceptLanguage {
		header = header[:maxAcceptLanguage]
		if i := strings.LastIndexByte(header, ','); i > 0 {
			header = header[:i]
		}
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		tags = lenientTags(header)
	}
	_, i, _ := matcher.Match(tags...)
	if supported[i] == language.German {
		return German
	}
	return English
}

// FromCookie is the explicit choice the language switch stored, if any.
func FromCookie(r *http.Request) (Lang, bool) {
	c, err := r.Cookie(Cookie)
	if err != nil {
		return "", false
	}
	switch Lang(c.Value) {
	case English, German:
		return Lang(c.Value), true
	}
	return "", false
}

// FromRequest is the language of a page: the switch's choice, else the
// browser's Accept-Language, else English.
func FromRequest(r *http.Request) Lang {
	if l, ok := FromCookie(r); ok {
		return l
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// lenientTags reads the languages of an Accept-Language header that the
// strict parser refuses as a whole, in their order, ignoring their weights:
// one malformed element (Chromium under emulation sends
// "de-DE,de;q=0.9;q=0.9") must not turn a German browser English.
// maxAcceptLanguage is how much of an Accept-Language header is read.
const maxAcceptLanguage = 256

func lenientTags(header string) []language.Tag {
	var tags []language.Tag
	for _, part := range strings.Split(header, ",") {
		code, _, _ := strings.Cut(part, ";")
		if t, err := language.Parse(strings.TrimSpace(code)); err == nil {
			tags = append(tags, t)
		}
	}
	return tags
}
