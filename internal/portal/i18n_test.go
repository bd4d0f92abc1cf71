package portal

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
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

// TestAPICallsAskForThePageLanguage: every call to identity's and the
// study API asks for the language of the page the person is on (the
// switch's cookie, else the browser's Accept-Language), so the field
// errors the APIs write come back in it and the page shows them as they
// came: German on a German page. (cmd/campus's
// TestPortalShowsAPIErrorsInThePageLanguage does it with the real APIs.)
func TestAPICallsAskForThePageLanguage(t *testing.T) {
	t.Parallel()
	form := url.Values{"current_password": {"old secret"}, "new_password": {"Zq7!xw"}, "new_password_again": {"Zq7!xw"}}
	for _, tt := range []struct {
		name, cookie, accept, want, detail string
	}{
		{"switch", "de", "en-GB", "de", "Verwenden Sie mindestens 10 Zeichen."},
		{"browser", "", "de-AT,de;q=0.9", "de", "Verwenden Sie mindestens 10 Zeichen."},
		{"english", "en", "de", "en", "Use at least 10 characters."},
		{"neither", "", "", "en", "Use at least 10 characters."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.api.on("GET /idp/api/v1/me", 200, meJSON)
			p.api.on("POST /idp/api/v1/me/password", 422,
				`{"title":"x","status":422,"errors":[{"field":"new_password","detail":"`+tt.detail+`"}]}`)
			r := httptest.NewRequest(http.MethodPost, "/profile/password", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: langCookie, Value: tt.cookie})
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			p.do(p.signIn(student()), r).want(t, http.StatusUnprocessableEntity,
				`<p class="field-error" id="new_password-error">`+tt.detail+`</p>`)
			wantHeader(t, p.api.only(t, "POST /idp/api/v1/me/password"), "Accept-Language", tt.want)
			for _, req := range p.api.sent("GET /idp/api/v1/me") {
				wantHeader(t, req, "Accept-Language", tt.want)
			}
		})
	}
}
