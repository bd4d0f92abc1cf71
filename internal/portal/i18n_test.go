package portal

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
)

// TestCatalogueComplete: every English message has a German one, except
// the few that are the same in both.
func TestCatalogueComplete(t *testing.T) {
	t.Parallel()
	same := map[string]bool{"site.name": true}
	var missing []string
	for key := range messages[English] {
		if _, ok := messages[German][key]; !ok && !same[key] {
			missing = append(missing, key)
		}
	}
	for key := range messages[German] {
		if _, ok := messages[English][key]; !ok {
			t.Errorf("German message %q has no English one", key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no German for %v", missing)
	}
}

func TestLanguageNegotiation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, accept, cookie string
		want                 Lang
	}{
		{"nothing said", "", "", English},
		{"German browser", "de-DE,de;q=0.9,en;q=0.5", "", German},
		{"Austrian German", "de-AT", "", German},
		{"French browser", "fr-FR,fr;q=0.9", "", English},
		{"switcher wins over the browser", "de-DE", "en", English},
		{"bad cookie ignored", "de", "xx", German},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tt.cookie})
		}
		if got := langOf(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
