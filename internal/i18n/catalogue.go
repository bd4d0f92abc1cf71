package i18n

import (
	"fmt"
	"sort"
	"sync"
)

// Catalogue holds the messages of one service's pages by name, per
// language. Files add their messages at init; T reads them.
type Catalogue struct {
	mu sync.RWMutex
	m  map[Lang]map[string]string
}

// NewCatalogue returns an empty catalogue.
func NewCatalogue() *Catalogue {
	return &Catalogue{m: map[Lang]map[string]string{}}
}

// Add adds messages in lang. A name added twice is a programming error
// and panics at start.
func (c *Catalogue) Add(lang Lang, msgs map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[lang] == nil {
		c.m[lang] = map[string]string{}
	}
	for k, v := range msgs {
		if _, dup := c.m[lang][k]; dup {
			panic(fmt.Sprintf("i18n: message %q added twice in %s", k, lang))
		}
		c.m[lang][k] = v
	}
}

// T returns the message named key in lang, formatted with args. A name
// missing in lang falls back to English; a name missing everywhere shows
// itself (and a test of the catalogue fails).
func (c *Catalogue) T(lang Lang, key string, args ...any) string {
	c.mu.RLock()
	msg, ok := c.m[lang][key]
	if !ok {
		msg, ok = c.m[English][key]
	}
	c.mu.RUnlock()
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key is in lang.
func (c *Catalogue) Has(lang Lang, key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.m[lang][key]
	return ok
}

// Keys is every name in lang, sorted.
func (c *Catalogue) Keys(lang Lang) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.m[lang]))
	for k := range c.m[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Missing lists the names that are in one language and not in the other,
// except those in same (messages that read the same in both).
func (c *Catalogue) Missing(same map[string]bool) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, a := range Langs {
		for k := range c.m[a] {
			for _, b := range Langs {
				if _, ok := c.m[b][k]; !ok && !same[k] {
					out = append(out, fmt.Sprintf("%s: %q has no %s", a, k, b))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
