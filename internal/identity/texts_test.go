package identity

import (
	"strings"
	"testing"
)

// TestClientTextsValidate: a client's texts are plain text in a language
// campus speaks, within their limits; every problem is reported.
func TestClientTextsValidate(t *testing.T) {
	t.Parallel()
	base := func() Client {
		return Client{ID: "app", Name: "App", Public: true, GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://app.example/cb"}}
	}
	ok := base()
	ok.DisplayNames = Texts{"de": "Anwendung"}
	ok.WelcomeTexts = Texts{"en": "Welcome & hello: 3 < 4.", "de": "Willkommen!\nZweite Zeile."}
	if err := ok.Validate(); err != nil {
		t.Fatalf("good texts refused: %v", err)
	}
	bad := base()
	bad.Name = "<i>App</i>"
	bad.DisplayNames = Texts{"fr": "Appli", "de": "Zwei\nZeilen"}
	bad.WelcomeTexts = Texts{"en": "<b>Hi</b>", "de": strings.Repeat("x", MaxWelcomeText+1)}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad texts accepted")
	}
	for _, want := range []string{"name: is plain text", `display_name: language "fr"`, "display_name (de): one line",
		"welcome_text (en): is plain text", "welcome_text (de): may be at most 1000 characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, s := range []string{"a\x00b", "&amp;", "&#60;", "<!-- x -->", "\xff"} {
		if CheckPlainText(s, 100) == nil {
			t.Errorf("CheckPlainText(%q) accepted", s)
		}
	}
}
