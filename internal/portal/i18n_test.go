package portal

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// TestTemplatesUseKnownMessages: every key a template asks for is in the
// catalogue (a missing key would show itself on the page).
func TestTemplatesUseKnownMessages(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if _, ok := messages[English][m[1]]; !ok {
				t.Errorf("%s uses %q, which is not in the catalogue", f, m[1])
			}
		}
	}
}

// TestAPITextInGerman: the password policy's reasons from identity's API
// appear in German on German pages, numbers kept; unknown text stays.
func TestAPITextInGerman(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Use at least 10 characters.", "Verwenden Sie mindestens 10 Zeichen."},
		{T(English, "password.policy.keyboard"), T(German, "password.policy.keyboard")},
		{"Something else.", "Something else."},
	}
	for _, tt := range tests {
		if got := apiText(German, tt.in); got != tt.want {
			t.Errorf("apiText(German, %q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := apiText(English, tt.in); got != tt.in {
			t.Errorf("apiText(English, %q) = %q", tt.in, got)
		}
	}
}
