package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"campus/internal/lazyregexp"
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
	// pending is what Add was given and is not indexed yet. Packages add
	// their phrases at initialisation, in every campus process; indexing
	// them (hundreds of formats, each a regular expression) waits for the
	// first translation instead of delaying every start.
	pending []added
}

type added struct {
	lang    Lang
	phrases map[string]string
	onlyNew bool // AddNew: phrases already there are skipped, not refused
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

var (
	verb  = lazyregexp.New(`%(\[\d+\])?[dsqv]`)
	index = lazyregexp.New(`\[(\d+)\]`) // a verb's explicit index, the 2 of %[2]s
)

// Add adds translations into lang: English text or format → translation.
// A phrase added twice, or a translation with verbs its English does not
// have, is a programming error: it panics on the phrasebook's first use,
// and in tests at once.
func (p *Phrasebook) Add(lang Lang, phrases map[string]string) {
	p.queue(added{lang: lang, phrases: phrases})
}

// AddNew is Add for the phrases that are not in lang yet when it is
// indexed: for files that translate sentences another file of the same
// package may have translated first.
func (p *Phrasebook) AddNew(lang Lang, phrases map[string]string) {
	p.queue(added{lang: lang, phrases: phrases, onlyNew: true})
}

func (p *Phrasebook) queue(a added) {
	p.mu.Lock()
	p.pending = append(p.pending, a)
	p.mu.Unlock()
	if lazyregexp.InTest {
		p.index()
	}
}

// rlock read-locks p with every added phrase indexed.
func (p *Phrasebook) rlock() {
	p.mu.RLock()
	for len(p.pending) > 0 {
		p.mu.RUnlock()
		p.index()
		p.mu.RLock()
	}
}

// index indexes the pending phrases.
func (p *Phrasebook) index() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.pending) > 0 {
		a := p.pending[0]
		p.pending = p.pending[1:]
		p.add(a.lang, a.phrases, a.onlyNew)
	}
	p.pending = nil
}

func (p *Phrasebook) add(lang Lang, phrases map[string]string, onlyNew bool) {
	if p.exact[lang] == nil {
		p.exact[lang] = map[string]string{}
	}
	for en, tr := range phrases {
		if _, dup := p.exact[lang][en]; dup && onlyNew {
			continue
		} else if dup {
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
			if m := index.FindStringSubmatch(v); m != nil {
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
	p.rlock()
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
	p.rlock()
	defer p.mu.RUnlock()
	_, ok := p.exact[lang][english]
	return ok
}

// Phrases is every English text or format the phrasebook translates into
// lang: for checks that a page in lang shows none of them untranslated.
func (p *Phrasebook) Phrases(lang Lang) []string {
	p.rlock()
	defer p.mu.RUnlock()
	out := make([]string, 0, len(p.exact[lang]))
	for en := range p.exact[lang] {
		out = append(out, en)
	}
	return out
}
