package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"campus/internal/identity"
	"campus/internal/identity/mailer"
	"campus/internal/identity/policy"
	"campus/internal/problem"
	"campus/internal/rest"
)

// Limits of a service's mail to a person.
const (
	maxServiceSubject = 200
	maxServiceText    = 5000
	maxServiceLink    = 500
	maxServiceKey     = 200
	// serviceMailsPerDay is how many mails services together may send one
	// person a day: a digest a few times a day, never a flood, whatever a
	// service's bug.
	serviceMailsPerDay = 10
)

// newServiceMailLimiter bounds the service mails per person across
// replicas: a token bucket of serviceMailsPerDay that refills over 24 h.
func newServiceMailLimiter(b policy.Buckets, now func() time.Time) *policy.SharedLimiter {
	return policy.NewSharedLimiter("service-mail/account", b, serviceMailsPerDay, 24*time.Hour, serviceMailsPerDay, now)
}

type serviceMailBody struct {
	Subject identity.Texts `json:"subject"`
	Text    identity.Texts `json:"text"`
	Link    string         `json:"link"`
	Key     string         `json:"key"`
}

// handleServiceMail mails a person for a service acting as itself
// (mail:send, client credentials): the service knows the person by
// subject id only; identity knows the address and the language, wraps
// the text (greeting, the link on the portal's origin, a footer naming
// the service) and queues it in the outbox. The key makes a repeated
// request harmless: the same (client, key) is answered 202 again and
// mails nothing. Unknown and disabled accounts are 404 alike.
func (a *api) handleServiceMail(w http.ResponseWriter, r *http.Request, p *principal) {
	if refuseIfNotService(w, p, identity.ScopeMailSend) {
		return
	}
	var body serviceMailBody
	if !decode(w, r, &body, nil) {
		return
	}
	if errs := body.check(); len(errs) > 0 {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid request",
			Detail: "Some fields are not right; see errors.", Errors: errs})
		return
	}
	ctx := r.Context()
	acc, err := a.store.AccountRecord(ctx, r.PathValue("id"))
	if errors.Is(err, identity.ErrNotFound) || err == nil && acc.Status != identity.StatusActive {
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "There is no active account with this id."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	seen, err := a.store.ServiceMailSeen(ctx, p.clientID, body.Key)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if seen {
		rest.Reply(w, http.StatusAccepted, 0, map[string]bool{"added": false})
		return
	}
	composer := a.rc.mail.Composer
	if composer == nil {
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable,
			Detail: "Identity sends no mail: no mail server is configured."})
		return
	}
	ok, wait, err := a.serviceMails.Allow(ctx, acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !ok {
		secs := max(1, int(wait.Round(time.Second).Seconds()))
		a.audit(r, p, "service_mail", identity.OutcomeDenied, acc.ID, "too many mails to this person")
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem.Write(w, problem.Details{Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("This person was mailed %d times in the last 24 hours; try again later.", serviceMailsPerDay)})
		return
	}
	service := p.clientID
	if c, err := a.store.Client(ctx, p.clientID); err == nil && c.Name != "" {
		service = c.Name
	}
	link := ""
	if body.Link != "" && a.rc.home != "" {
		link = strings.TrimSuffix(a.rc.home, "/") + body.Link
	}
	m, err := composer.ServiceNotice(acc.Account, mailer.ServiceNotice{Subject: body.Subject, Text: body.Text, Link: link, Service: service})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	added, err := a.store.QueueServiceMail(ctx, p.clientID, body.Key, m, identity.AuditEvent{Action: "service_mail", Outcome: identity.OutcomeSuccess,
		Actor: p.subject, Target: acc.ID, ClientID: p.clientID, ClientIP: clientIP(r), Detail: "key " + body.Key})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if added && a.rc.mail.Notify != nil {
		a.rc.mail.Notify()
	}
	rest.Reply(w, http.StatusAccepted, 0, map[string]bool{"added": added})
}

// check reports every problem of the body as field errors.
func (b *serviceMailBody) check() []problem.FieldError {
	var errs []problem.FieldError
	b.Subject, b.Text = b.Subject.Clean(), b.Text.Clean()
	texts := func(field string, t identity.Texts, max int, oneLine bool) {
		if len(t) == 0 {
			errs = append(errs, problem.FieldError{Field: field, Detail: "needs a text in en or de"})
		}
		for l, s := range t {
			f := field + "." + l
			switch {
			case l != "en" && l != "de":
				errs = append(errs, problem.FieldError{Field: f, Detail: "is not a language campus speaks; use en or de"})
			case !utf8.ValidString(s) || utf8.RuneCountInString(s) > max:
				errs = append(errs, problem.FieldError{Field: f, Detail: fmt.Sprintf("must be text of at most %d characters", max)})
			case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && (oneLine || r != '\n') }):
				errs = append(errs, problem.FieldError{Field: f, Detail: "may not contain control characters"})
			}
		}
	}
	texts("subject", b.Subject, maxServiceSubject, true)
	texts("text", b.Text, maxServiceText, false)
	if b.Link != "" && !relativePath(b.Link) {
		errs = append(errs, problem.FieldError{Field: "link", Detail: "must be a path on the portal, starting with one /"})
	}
	if b.Key == "" || len(b.Key) > maxServiceKey || strings.ContainsFunc(b.Key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		errs = append(errs, problem.FieldError{Field: "key", Detail: fmt.Sprintf("must be 1 to %d visible ASCII characters", maxServiceKey)})
	}
	return errs
}

// relativePath accepts a path on the portal's origin ("/messages?x=1"),
// never another origin ("//evil.example", "/\evil.example", "https://...").
func relativePath(s string) bool {
	if len(s) > maxServiceLink || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\ \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}
