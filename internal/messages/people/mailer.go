package people

import (
	"context"
	"net/url"
)

// Mail is what the messages service asks identity to tell a person, in
// English and German; identity picks the person's language and adds the
// greeting and the footer.
type Mail struct {
	Subject, Text map[string]string // by language: "en", "de"
	// Link is a path on the portal ("/messages"), made absolute by identity.
	Link string
	// Key makes the request idempotent: identity mails once per key.
	Key string
}

// Mailer has identity mail people (POST /api/v1/people/{id}/mail).
type Mailer struct {
	c caller
}

// NewMailer returns a mailer through identity as cfg reaches it.
func NewMailer(cfg Config) *Mailer {
	return &Mailer{c: caller{cfg: cfg, scope: ScopeMailSend}}
}

// Mail has identity mail the person sub. It is done when identity has
// queued it, or had under the same key. ErrNotFound: no active account;
// *RateLimitedError: too many mails to the person for now;
// ErrUnavailable (wrapped): try again later.
func (m *Mailer) Mail(ctx context.Context, sub string, mail Mail) error {
	body := map[string]any{"subject": mail.Subject, "text": mail.Text, "key": mail.Key}
	if mail.Link != "" {
		body["link"] = mail.Link
	}
	return m.c.call(ctx, "POST", "/api/v1/people/"+url.PathEscape(sub)+"/mail", body, nil)
}
