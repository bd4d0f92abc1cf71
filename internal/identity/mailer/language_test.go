package mailer

import (
	"strings"
	"testing"
	"time"

	"campus/internal/identity"
)

// TestComposerLanguage: the person's choice wins over the browser, the
// browser over --mail-language, and every kind of mail follows the rule.
func TestComposerLanguage(t *testing.T) {
	t.Parallel()
	c, err := NewComposer("campus", "https://campus.example/idp", time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.Default = "de"
	chose := func(l string) identity.Account {
		return identity.Account{ID: "s", Username: "ada", Email: "ada@uni.example", Locale: l}
	}
	for _, tc := range []struct {
		locale, requested, want string
	}{
		{"de", "en-US,en;q=0.9", "de"}, // chosen German, English browser
		{"en", "de-DE", "en"},          // chosen English, German browser
		{"", "de-AT,en;q=0.5", "de"},   // not chosen: the browser
		{"", "fr-FR, en;q=0.8", "en"},  // the first language campus speaks
		{"", "en", "en"},               // even against a German default
		{"", "", "de"},                 // no request: the configured default
		{"", "fr", "de"},               // nothing campus speaks: the default
		{"xx", "", "de"},               // a stored value campus does not speak is ignored
	} {
		if got := c.Language(chose(tc.locale), tc.requested); got != tc.want {
			t.Errorf("Language(locale %q, requested %q) = %q, want %q", tc.locale, tc.requested, got, tc.want)
		}
	}
	c.Default = ""
	if got := c.Language(chose(""), ""); got != "en" {
		t.Errorf("no default: %q, want en", got)
	}

	// Each mail follows the rule, not its caller's language argument.
	a := chose("de")
	mails := map[string]func() (identity.Mail, error){
		"confirm":         func() (identity.Mail, error) { return c.Confirm(a, a.Email, "tok", "en") },
		"confirm new":     func() (identity.Mail, error) { return c.Confirm(a, "new@uni.example", "tok", "en") },
		"reset":           func() (identity.Mail, error) { return c.Reset(a, "tok", "en") },
		"email changed":   func() (identity.Mail, error) { return c.EmailChanged(a, "old@uni.example", "en") },
		"admin change":    func() (identity.Mail, error) { return c.EmailChangeByAdmin(a, "new@uni.example", "en") },
		"registration":    func() (identity.Mail, error) { return c.RegistrationAttempt(a, "en") },
		"in use":          func() (identity.Mail, error) { return c.EmailInUse(a, "en") },
		"password change": func() (identity.Mail, error) { return c.PasswordChanged(a, "en") },
		"welcome":         func() (identity.Mail, error) { return c.Welcome(a, "S3cret-pw", "https://campus.example/", "en") },
	}
	for name, make := range mails {
		m, err := make()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(m.Message.Text, "Guten Tag") || strings.Contains(m.Message.Text, "Hello") {
			t.Errorf("%s: not German for a person who chose German:\n%s", name, m.Message.Text)
		}
	}
}
