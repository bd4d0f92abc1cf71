package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Phrasebook translates English sentences into other languages, keyed by
// the English text (the format string when the sentence has values in
// it), as gettext does. API errors are written in English where they
// arise; the phrasebook turns them into the client's language when the
// problem document is written, so no layer below the handler needs to
// know the language.
//
// A format's verbs (%d, %s, %q, %v) match any text; the translation takes
// the values in the same order, or by index as %[2]s.
type Phrasebook struct {
	mu    sync.RWMutex
	exact map[Lang]map[string]string
	forms map[Lang][]form
}

type form struct {
	english string
	re      *regexp.Regexp
	out     string // the translation with every verb as %[n]s
	literal int    // how much of english is literal text, not verbs
}

// NewPhrasebook returns an empty phrasebook.
func NewPhrasebook() *Phrasebook {
	return &Phrasebook{exact: map[Lang]map[string]string{}, forms: map[Lang][]form{}}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[dsqv]`)

// Add adds translations into lang: English text or format → translation.
// A phrase added twice, or a translation with verbs its English does not
// have, is a programming error and panics at start.
func (p *Phrasebook) Add(lang Lang, phrases map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exact[lang] == nil {
		p.exact[lang] = map[string]string{}
	}
	for en, tr := range phrases {
		if _, dup := p.exact[lang][en]; dup {
			panic(fmt.Sprintf("i18n: phrase %q added twice in %s", en, lang))
		}
		p.exact[lang][en] = tr
		esc := strings.ReplaceAll(en, "%%", "\x00") // a literal per cent sign
		verbs := verb.FindAllStringIndex(esc, -1)
		if len(verbs) == 0 {
			continue
		}
		literal := func(s string) string { return regexp.QuoteMeta(strings.ReplaceAll(s, "\x00", "%")) }
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, v := range verbs {
			re.WriteString(literal(esc[last:v[0]]))
			re.WriteString("(.+?)")
			last = v[1]
		}
		re.WriteString(literal(esc[last:]))
		re.WriteString("$")
		n := 0
		out := verb.ReplaceAllStringFunc(strings.ReplaceAll(tr, "%%", "\x00"), func(v string) string {
			if m := regexp.MustCompile(`\[(\d+)\]`).FindStringSubmatch(v); m != nil {
				i, _ := strconv.Atoi(m[1])
				if i < 1 || i > len(verbs) {
					panic(fmt.Sprintf("i18n: translation %q of %q uses value %d of %d", tr, en, i, len(verbs)))
				}
				return "%[" + m[1] + "]s"
			}
			n++
			if n > len(verbs) {
				panic(fmt.Sprintf("i18n: translation %q of %q has more values than the English", tr, en))
			}
			return "%[" + strconv.Itoa(n) + "]s"
		})
		out = strings.ReplaceAll(out, "\x00", "%%")
		p.forms[lang] = append(p.forms[lang], form{english: en, re: regexp.MustCompile(re.String()), out: out,
			literal: len(verb.ReplaceAllString(esc, ""))})
	}
}

// Translate returns text in lang, or text itself (and false) when lang is
// English or the phrasebook does not know it.
func (p *Phrasebook) Translate(lang Lang, text string) (string, bool) {
	if lang == English || text == "" {
		return text, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if tr, ok := p.exact[lang][text]; ok && !verb.MatchString(strings.ReplaceAll(text, "%%", "")) {
		return tr, true
	}
	// When several formats match, the most specific one wins: the one
	// with the most literal text ("This needs the permission %s, which API
	// keys never carry: ..." over "This needs the permission %s."), so the
	// answer does not depend on the order packages added their phrases.
	var best *form
	var bestSub []string
	for i := range p.forms[lang] {
		f := &p.forms[lang][i]
		if sub := f.re.FindStringSubmatch(text); sub != nil && (best == nil || f.literal > best.literal) {
			best, bestSub = f, sub
		}
	}
	if best == nil {
		return text, false
	}
	args := make([]any, len(bestSub)-1)
	for i, s := range bestSub[1:] {
		args[i] = s
	}
	return fmt.Sprintf(best.out, args...), true
}

// Knows reports whether the English text or format is in lang: the check
// that a test runs over every message a package writes.
func (p *Phrasebook) Knows(lang Lang, english string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.exact[lang][english]
	return ok
}

// Phrases is every English text or format the phrasebook translates into
// lang: for checks that a page in lang shows none of them untranslated.
func (p *Phrasebook) Phrases(lang Lang) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]string, 0, len(p.exact[lang]))
	for en := range p.exact[lang] {
		out = append(out, en)
	}
	return out
}
