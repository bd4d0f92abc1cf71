package mailer

import (
	"net/url"
	"strings"
	"time"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/mail"
)

// Composer renders identity's mails. Links point at identity's public URL
// (its issuer), where the pages that take the tokens are.
type Composer struct {
	templates *mail.Templates
	// Site names the university's campus in subjects and greetings.
	Site string
	// Issuer is identity's public URL, e.g. https://campus.example/idp.
	Issuer string
	// ConfirmTTL and ResetTTL are how long the links are valid.
	ConfirmTTL, ResetTTL time.Duration
	// Default is the language of mails to people who chose none and
	// whose request named none campus speaks (--mail-language); "" is
	// English.
	Default string
}

// Paths of the pages the links open, relative to the issuer.
const (
	ConfirmPath = "/confirm"
	ResetPath   = "/password/reset"
	ForgotPath  = "/password/forgot"
)

// NewComposer parses the templates (a broken one fails the start).
func NewComposer(site, issuer string, confirmTTL, resetTTL time.Duration) (*Composer, error) {
	t, err := mail.NewTemplates()
	if err != nil {
		return nil, err
	}
	if site == "" {
		site = "campus"
	}
	return &Composer{templates: t, Site: site, Issuer: strings.TrimSuffix(issuer, "/"), ConfirmTTL: confirmTTL, ResetTTL: resetTTL}, nil
}

func name(a identity.Account) string {
	switch {
	case a.DisplayName != "":
		return a.DisplayName
	case a.GivenName != "":
		return a.GivenName
	}
	return a.Username
}

func (c *Composer) link(path, token string) string {
	return c.Issuer + path + "?" + url.Values{"token": {token}}.Encode()
}

// Language is the language of a mail to a, the one place that decides it:
// the language the person chose (a.Locale, set at registration and by the
// portal's language switch or profile), else the first language campus
// speaks in requested (the Accept-Language of the request that causes the
// mail, or a single tag such as "de-CH"), else Default.
func (c *Composer) Language(a identity.Account, requested string) string {
	if l, ok := i18n.Parse(a.Locale); ok {
		return string(l)
	}
	for tag := range strings.SplitSeq(requested, ",") {
		tag, _, _ = strings.Cut(tag, ";")
		if l, ok := i18n.Parse(tag); ok {
			return string(l)
		}
	}
	if l, ok := i18n.Parse(c.Default); ok {
		return string(l)
	}
	return string(i18n.English)
}

// render renders kind for a; requested is the language the request
// asked for (see Language).
func (c *Composer) render(kind, requested, to string, a identity.Account, d mail.Data) (identity.Mail, error) {
	d.Name, d.Site = name(a), c.Site
	m, err := c.templates.Render(kind, c.Language(a, requested), to, d)
	return identity.Mail{Kind: kind, AccountID: a.ID, Message: m}, err
}

// Confirm is the mail with the link that confirms email for the account:
// its address at registration, or the new one it asked for.
func (c *Composer) Confirm(a identity.Account, email, token, lang string) (identity.Mail, error) {
	kind := mail.KindConfirmEmail
	if !strings.EqualFold(email, a.Email) {
		kind = mail.KindConfirmNewEmail
	}
	return c.render(kind, lang, email, a, mail.Data{Link: c.link(ConfirmPath, token), Expires: c.ConfirmTTL, NewEmail: email})
}

// EmailChanged tells the old address that another replaced it.
func (c *Composer) EmailChanged(a identity.Account, old, lang string) (identity.Mail, error) {
	return c.render(mail.KindEmailChanged, lang, old, a, mail.Data{NewEmail: a.Email})
}

// EmailChangeByAdmin tells the account's current address that an
// administrator asked to replace it with newEmail.
func (c *Composer) EmailChangeByAdmin(a identity.Account, newEmail, lang string) (identity.Mail, error) {
	return c.render(mail.KindEmailChangeByAdmin, lang, a.Email, a, mail.Data{NewEmail: newEmail})
}

// RegistrationAttempt tells the account's address that someone tried to
// register with it; the link asks for a password reset.
func (c *Composer) RegistrationAttempt(a identity.Account, lang string) (identity.Mail, error) {
	return c.render(mail.KindRegistrationAttempt, lang, a.Email, a, mail.Data{Link: c.Issuer + ForgotPath})
}

// EmailInUse tells the account's address that another account asked to
// use it.
func (c *Composer) EmailInUse(a identity.Account, lang string) (identity.Mail, error) {
	return c.render(mail.KindEmailInUse, lang, a.Email, a, mail.Data{})
}

// Reset is the mail with the password reset link.
func (c *Composer) Reset(a identity.Account, token, lang string) (identity.Mail, error) {
	return c.render(mail.KindPasswordReset, lang, a.Email, a, mail.Data{Link: c.link(ResetPath, token), Expires: c.ResetTTL})
}

// PasswordChanged tells the account's address that its password changed.
func (c *Composer) PasswordChanged(a identity.Account, lang string) (identity.Mail, error) {
	return c.render(mail.KindPasswordChanged, lang, a.Email, a, mail.Data{})
}

// FactorsReset tells the account's address that an administrator removed
// its second factors.
func (c *Composer) FactorsReset(a identity.Account, lang string) (identity.Mail, error) {
	return c.render(mail.KindFactorsReset, lang, a.Email, a, mail.Data{})
}

// Welcome gives a new directory account its generated password; signIn
// is where to sign in.
func (c *Composer) Welcome(a identity.Account, password, signIn, lang string) (identity.Mail, error) {
	return c.render(mail.KindDirectoryWelcome, lang, a.Email, a, mail.Data{Username: a.Username, Password: password, Link: signIn})
}
