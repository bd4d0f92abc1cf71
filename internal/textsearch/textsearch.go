// Package textsearch turns text into search words and queries into prefix
// ranges, so that stores can find records by the beginnings of their words
// with an ordinary index on both SQLite and PostgreSQL: a word table
// (record id, word as bytes) and a range scan per search term. It holds no
// SQL.
package textsearch

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// MaxWordBytes bounds a word; longer words and terms are cut, so that a
// term still matches the words it begins.
const MaxWordBytes = 64

// Fold lower-cases s and removes diacritics, so that "Müller" is found as
// "muller" and "MÜLLER" alike.
func Fold(s string) string {
	lower := strings.ToLower(s)
	if isASCII(lower) { // nothing to strip: the common case, without a transformer
		return cut(lower)
	}
	t := folders.Get().(transform.Transformer)
	defer folders.Put(t)
	t.Reset()
	out, _, err := transform.String(t, lower)
	if err != nil {
		out = lower
	}
	return cut(out)
}

// folders hold the transformers Fold uses: one costs about 10 KB to build,
// and a chain may not be used by two goroutines at once.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func cut(s string) string {
	if len(s) <= MaxWordBytes {
		return s
	}
	s = s[:MaxWordBytes]
	for len(s) > 0 && !validEnd(s) {
		s = s[:len(s)-1]
	}
	return s
}

// validEnd reports whether s does not end inside a multi-byte rune.
func validEnd(s string) bool {
	for i := len(s) - 1; i >= 0 && i >= len(s)-4; i-- {
		c := s[i]
		if c < 0x80 {
			return true
		}
		if c >= 0xC0 { // a lead byte: is the rune complete?
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			return len(s)-i == need
		}
	}
	return false
}

// IsWordRune reports whether r belongs to a word.
func IsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Words are the folded words of the texts, sorted, each once.
func Words(texts ...string) []string {
	var words []string
	for _, s := range texts {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !IsWordRune(r) }) {
			words = append(words, Fold(w))
		}
	}
	return Normalize(words)
}

// Normalize sorts words, drops duplicates and empty ones.
func Normalize(words []string) []string {
	slices.Sort(words)
	words = slices.Compact(words)
	return slices.DeleteFunc(words, func(w string) bool { return w == "" })
}

// Terms are the folded terms of a query, each once.
func Terms(q string) []string {
	var terms []string
	for _, f := range strings.Fields(q) {
		f = strings.TrimFunc(f, func(r rune) bool { return !IsWordRune(r) })
		if t := Fold(f); t != "" && !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	return terms
}

// Range is the bytes of the words a term is a prefix of: lo <= word < hi.
// Compared bytewise, as both engines compare BYTEA (a text collation
// could order "ann", "ann-x", "anna" so that no range follows a prefix).
func Range(term string) (lo, hi []byte) {
	return []byte(term), append([]byte(term), 0xFF) // 0xFF never occurs in UTF-8
}
