package i18n

import "testing"

// TestAcceptLanguageLenient: a header the strict parser refuses as a whole
// (Chromium under emulation repeats the weights) still says which
// languages the browser asks for, in their order.
func TestAcceptLanguageLenient(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]Lang{
		"de-DE,de;q=0.9;q=0.9,en;q=0.3;q=0.8": German,
		"en-GB;q=x,de":                        English,
		"xx-bad;;,de-AT;q=0.5;q=0.5":          German,
		";;;":                                 English,
	} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", header, got, want)
		}
	}
}
