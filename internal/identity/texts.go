package identity

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"campus/internal/lazyregexp"
)

// TextLangs are the languages a text may be given in: those campus speaks
// (internal/i18n).
var TextLangs = []string{"en", "de"}

// Limits of the texts people read on the sign-in page.
const (
	MaxDisplayName = 100  // characters
	MaxWelcomeText = 1000 // characters
)

// Texts is one text in several languages, keyed by language code ("en",
// "de"). In YAML and JSON it is a mapping: {en: Election 2026, de: Wahl 2026}.
type Texts map[string]string

// In is the text in lang, "" when it has none.
func (t Texts) In(lang string) string { return t[lang] }

// Clean trims every text and drops empty ones; nil when none is left.
func (t Texts) Clean() Texts {
	out := Texts{}
	for l, s := range t {
		if s = strings.TrimSpace(s); s != "" {
			out[l] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Validate checks each language's text with CheckPlainText; what names the
// texts in messages ("welcome_text").
func (t Texts) Validate(what string, max int) error {
	var errs []error
	for _, l := range slices.Sorted(maps.Keys(t)) {
		if !slices.Contains(TextLangs, l) {
			errs = append(errs, fmt.Errorf("%s: language %q: want one of %s", what, l, strings.Join(TextLangs, ", ")))
			continue
		}
		if err := CheckPlainText(t[l], max); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", what, l, err))
		}
	}
	return errors.Join(errs...)
}

// htmlTag finds what a browser would take for markup: a tag, a comment or
// a character reference.
var htmlTag = lazyregexp.New(`<[A-Za-z/!?]|&[A-Za-z]+;|&#`)

// CheckPlainText accepts text shown on a page as typed: at most max
// characters of UTF-8, line breaks but no other control characters, and no
// HTML, which the page would show literally (it escapes every text) rather
// than format.
func CheckPlainText(s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("must be text (UTF-8)")
	case utf8.RuneCountInString(s) > max:
		return fmt.Errorf("may be at most %d characters, has %d", max, utf8.RuneCountInString(s))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		return errors.New("may not contain control characters (line breaks are fine)")
	case htmlTag.MatchString(s):
		return errors.New("is plain text: HTML such as <b> or &amp; would be shown as typed, not formatted; write the text without it")
	}
	return nil
}
