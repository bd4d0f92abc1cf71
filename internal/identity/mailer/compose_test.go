package mailer

import (
	"strings"
	"testing"
	"time"

	"campus/internal/identity"
	"campus/internal/mail"
)

func TestComposer(t *testing.T) {
	t.Parallel()
	c, err := NewComposer("Uni Campus", "https://campus.example/idp/", time.Hour, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a := identity.Account{ID: "sub-1", Username: "ada", Email: "ada@uni.example", GivenName: "Ada"}
	for _, tc := range []struct {
		name, kind, to, lang, want string
		make                       func() (identity.Mail, error)
	}{
		{"confirm", mail.KindConfirmEmail, "ada@uni.example", "en", "https://campus.example/idp/confirm?token=tok",
			func() (identity.Mail, error) { return c.Confirm(a, "ada@uni.example", "tok", "en") }},
		{"confirm a new address", mail.KindConfirmNewEmail, "ada@new.example", "de", "https://campus.example/idp/confirm?token=tok",
			func() (identity.Mail, error) { return c.Confirm(a, "ada@new.example", "tok", "de-CH") }},
		{"reset", mail.KindPasswordReset, "ada@uni.example", "en", "https://campus.example/idp/password/reset?token=t%2Fk",
			func() (identity.Mail, error) { return c.Reset(a, "t/k", "") }},
		{"old address told", mail.KindEmailChanged, "ada@old.example", "en", "ada@uni.example",
			func() (identity.Mail, error) { return c.EmailChanged(a, "ada@old.example", "en") }},
		{"password changed", mail.KindPasswordChanged, "ada@uni.example", "en", "Ada",
			func() (identity.Mail, error) { return c.PasswordChanged(a, "en") }},
		{"an administrator changes the address", mail.KindEmailChangeByAdmin, "ada@uni.example", "de", "ada@new.example",
			func() (identity.Mail, error) { return c.EmailChangeByAdmin(a, "ada@new.example", "de") }},
		{"someone registers with the address", mail.KindRegistrationAttempt, "ada@uni.example", "en", "https://campus.example/idp/password/forgot",
			func() (identity.Mail, error) { return c.RegistrationAttempt(a, "en") }},
		{"another account asks for the address", mail.KindEmailInUse, "ada@uni.example", "de", "anderen Konto",
			func() (identity.Mail, error) { return c.EmailInUse(a, "de") }},
		{"welcome", mail.KindDirectoryWelcome, "ada@uni.example", "en", "S3cret-Generated",
			func() (identity.Mail, error) {
				return c.Welcome(a, "S3cret-Generated", "https://campus.example/", "en")
			}},
	} {
		m, err := tc.make()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Kind != tc.kind || m.AccountID != "sub-1" || m.Message.To != tc.to || !strings.Contains(m.Message.Text, tc.want) ||
			!strings.Contains(m.Message.Subject+m.Message.Text, "Uni Campus") {
			t.Errorf("%s: %+v", tc.name, m)
		}
		if tc.lang == "de" && !strings.Contains(m.Message.HTML, `lang="de"`) {
			t.Errorf("%s: not German: %s", tc.name, m.Message.Subject)
		}
	}
}
