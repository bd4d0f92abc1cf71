package mailer

import (
	"fmt"
	netmail "net/mail"
	"strings"

	"campus/internal/identity"
	"campus/internal/mail"
)

// KindServiceNotice is the outbox kind of a mail a service of campus
// asked identity to send to a person (POST /api/v1/people/{id}/mail):
// the service knows the person only by subject id, identity knows the
// address and the language.
const KindServiceNotice = "service_notice"

// ServiceNotice is what a service asks to tell a person, in each language
// campus speaks; Link is absolute ("" for none).
type ServiceNotice struct {
	Subject, Text identity.Texts
	Link          string
	// Service names the sending service (its client's name) in the
	// footer, so that the person knows where the mail comes from.
	Service string
}

// serviceTexts are the frame of a service notice per language.
var serviceTexts = map[string]struct{ greeting, greetingName, link, footer string }{
	"en": {"Hello,", "Hello %s,", "Open: %s", "This message was sent automatically by %s on behalf of %s. Please do not reply to it."},
	"de": {"Guten Tag,", "Guten Tag %s,", "Öffnen: %s", "Diese Nachricht wurde automatisch von %s im Auftrag von %s versandt. Bitte antworten Sie nicht darauf."},
}

// ServiceNotice renders n for a in the person's language (Language with
// no request: their choice, else the default), falling back to the other
// language's text where n lacks one. The mail is plain text: a service's
// text is never taken for markup.
func (c *Composer) ServiceNotice(a identity.Account, n ServiceNotice) (identity.Mail, error) {
	if _, err := netmail.ParseAddress(a.Email); err != nil {
		return identity.Mail{}, fmt.Errorf("mail: recipient %q: %w", a.Email, err)
	}
	lang := c.Language(a, "")
	pick := func(t identity.Texts) string {
		if s := t.In(lang); s != "" {
			return s
		}
		for _, l := range identity.TextLangs {
			if s := t.In(l); s != "" {
				return s
			}
		}
		return ""
	}
	f := serviceTexts[lang]
	var b strings.Builder
	if nm := name(a); nm != "" {
		fmt.Fprintf(&b, f.greetingName, nm)
	} else {
		b.WriteString(f.greeting)
	}
	b.WriteString("\n\n")
	b.WriteString(strings.TrimSpace(pick(n.Text)))
	b.WriteString("\n")
	if n.Link != "" {
		b.WriteString("\n")
		fmt.Fprintf(&b, f.link, n.Link)
		b.WriteString("\n")
	}
	b.WriteString("\n-- \n")
	fmt.Fprintf(&b, f.footer, c.Site, n.Service)
	b.WriteString("\n")
	return identity.Mail{Kind: KindServiceNotice, AccountID: a.ID, Message: mail.Message{
		To: a.Email,
		// One header line, whatever the service sent.
		Subject: strings.Join(strings.Fields(pick(n.Subject)), " "),
		Text:    b.String(),
	}}, nil
}
