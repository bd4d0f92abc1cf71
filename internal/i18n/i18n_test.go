package i18n

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPhrasebook(t *testing.T) {
	t.Parallel()
	p := NewPhrasebook()
	p.Add(German, map[string]string{
		"Not found":                        "Nicht gefunden",
		"Use at least %d characters.":      "Verwenden Sie mindestens %d Zeichen.",
		"%s is not one of %s.":             "%[2]s enthält %[1]s nicht.",
		"Try again in %d seconds (100%%).": "In %d Sekunden erneut (100%%).",
	})
	tests := []struct {
		lang     Lang
		in, want string
		ok       bool
	}{
		{German, "Not found", "Nicht gefunden", true},
		{German, "Use at least 10 characters.", "Verwenden Sie mindestens 10 Zeichen.", true},
		{German, `"x" is not one of a, b.`, `a, b enthält "x" nicht.`, true},
		{German, "Try again in 3 seconds (100%).", "In 3 Sekunden erneut (100%).", true},
		{German, "Something unknown", "Something unknown", false},
		{English, "Not found", "Not found", false},
		{German, "Use at least characters.", "Use at least characters.", false},
	}
	for _, tt := range tests {
		got, ok := p.Translate(tt.lang, tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Translate(%s, %q) = %q, %v; want %q, %v", tt.lang, tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if !p.Knows(German, "Use at least %d characters.") || p.Knows(German, "Use at least 10 characters.") {
		t.Error("Knows answers for formats, not for their results")
	}
}

// TestPhrasebookPrefersTheMostSpecificFormat: when a general and a
// specific format both match, the specific one translates, whichever
// package added its phrases first.
func TestPhrasebookPrefersTheMostSpecificFormat(t *testing.T) {
	t.Parallel()
	general := map[string]string{"This needs the permission %s.": "Dafür ist die Berechtigung %s nötig."}
	specific := map[string]string{"This needs the permission %s, which keys never carry.": "Dafür ist die Berechtigung %s nötig, die Schlüssel nie haben."}
	for _, order := range [][]map[string]string{{general, specific}, {specific, general}} {
		p := NewPhrasebook()
		for _, m := range order {
			p.Add(German, m)
		}
		if got, _ := p.Translate(German, "This needs the permission grades:read, which keys never carry."); got != "Dafür ist die Berechtigung grades:read nötig, die Schlüssel nie haben." {
			t.Errorf("specific = %q", got)
		}
		if got, _ := p.Translate(German, "This needs the permission grades:read."); got != "Dafür ist die Berechtigung grades:read nötig." {
			t.Errorf("general = %q", got)
		}
	}
}

func TestPhrasebookRefusesBadTranslations(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("a translation with more values than its English was accepted")
		}
	}()
	NewPhrasebook().Add(German, map[string]string{"%d left": "%d von %d übrig"})
}

func TestFromRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, accept, cookie string
		want                 Lang
	}{
		{"nothing said", "", "", English},
		{"German browser", "de-DE,de;q=0.9,en;q=0.5", "", German},
		{"Austrian German", "de-AT", "", German},
		{"French browser", "fr-FR,fr;q=0.9", "", English},
		{"switch wins over the browser", "de-DE", "en", English},
		{"bad cookie ignored", "de", "xx", German},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: Cookie, Value: tt.cookie})
		}
		if got := FromRequest(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	for in, want := range map[string]Lang{"de": German, "fr de-CH": German, "en-GB de": English} {
		if got, ok := FromList(in); !ok || got != want {
			t.Errorf("FromList(%q) = %s, %v", in, got, ok)
		}
	}
	if _, ok := FromList("fr it"); ok {
		t.Error("FromList found a language campus does not speak")
	}
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	c := NewCatalogue()
	c.Add(English, map[string]string{"a": "Hello %s", "b": "only English"})
	c.Add(German, map[string]string{"a": "Hallo %s"})
	if got := c.T(German, "a", "Ada"); got != "Hallo Ada" {
		t.Error(got)
	}
	if got := c.T(German, "b"); got != "only English" {
		t.Error(got)
	}
	if got := c.T(German, "zzz"); got != "zzz" {
		t.Error(got)
	}
	if m := c.Missing(nil); len(m) != 1 {
		t.Errorf("missing %v", m)
	}
	if m := c.Missing(map[string]bool{"b": true}); len(m) != 0 {
		t.Errorf("missing %v", m)
	}
}

// TestLongAcceptLanguage: only the start of a long header is read, so a
// header of thousands of languages costs no more than a browser's.
func TestLongAcceptLanguage(t *testing.T) { // not parallel: AllocsPerRun
	long := "de-DE,de;q=0.9," + strings.Repeat("xx-YY;q=0.1,", 5000)
	if got := FromAcceptLanguage(long); got != German {
		t.Errorf("the long header's first language is lost: %s", got)
	}
	allocs := testing.AllocsPerRun(10, func() { FromAcceptLanguage(long) })
	short := testing.AllocsPerRun(10, func() { FromAcceptLanguage("de-DE,de;q=0.9,en;q=0.5") })
	if allocs > 20*short+50 {
		t.Errorf("a long header costs %v allocations, a browser's %v", allocs, short)
	}
}
