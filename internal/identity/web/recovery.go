package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/mailer"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/mail"
	"campus/internal/problem"
)

// Pages reached from mail: confirming an address, asking for a new
// confirmation link, and resetting a forgotten password. The tokens are
// 256 random bits, stored hashed, single-use and bound to their account;
// a link's GET only shows a form, so that mail scanners that open links do
// not spend them. Asking for a link answers the same whether or not the
// account exists.

// MailDeps is what identity needs to send mail.
type MailDeps struct {
	Composer *mailer.Composer
	// Notify wakes the outbox worker after a mail was queued.
	Notify func()
	// Mailbox is the developer mailbox shown at /dev/mail; nil when mail is
	// really sent.
	Mailbox *mail.Mailbox
	// UnconfirmedSignIn lets accounts sign in before they confirmed their
	// address (default: they may not).
	UnconfirmedSignIn bool
}

// tokenRate bounds the links of one kind mailed to one account.
var tokenRate = store.Rate{PerHour: 5, Gap: time.Minute}

type recovery struct {
	store   *store.Store
	login   *login
	pages   *pages
	mail    MailDeps
	api     *api
	home    string
	limiter *policy.SharedLimiter // link requests per client address, for the whole deployment
}

// lang is the language of mails asked for by this request.
// The language switch's choice (on one origin identity sees the portal's
// cookie) comes first, then the browser's Accept-Language; the mailer's
// Composer weighs it against the language the person chose.
func lang(r *http.Request) string {
	if l, ok := i18n.FromCookie(r); ok {
		return string(l)
	}
	return strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language")))
}

// notify wakes the outbox worker, if there is one.
func (m MailDeps) notify() {
	if m.Notify != nil {
		m.Notify()
	}
}

type recoveryView struct {
	chrome
	Title, Base, CSRF, AuthRequestID, Token, Message, Error, Home string
	Login                                                         string // what was typed into the request form
	Done                                                          bool
	Fields                                                        []fieldView
}

// view is a page of these in the language of r, titled titleKey.
func (rc *recovery) view(w http.ResponseWriter, r *http.Request, titleKey string) recoveryView {
	lang := langOf(r)
	return recoveryView{chrome: rc.login.chrome(r, lang), Title: T(lang, titleKey), Base: rc.login.base, CSRF: rc.login.csrfToken(w, r), Home: rc.home}
}

// mailed serves h when mail is configured; without it there are no links
// to follow, and these pages do not exist.
func (rc *recovery) mailed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc.mail.Composer == nil {
			problem.NotFound().ServeHTTP(w, r)
			return
		}
		h(w, r)
	})
}

// form parses a small form and checks its CSRF token; it answers the
// request itself when it returns false.
func (rc *recovery) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := parseForm(r); err != nil {
		rc.login.message(w, r, http.StatusBadRequest, "page.error", "form.unreadable", true)
		return false
	}
	if !rc.login.csrfOK(r) {
		rc.login.message(w, r, http.StatusForbidden, "form_expired.title", "form_expired.message", true)
		return false
	}
	return true
}

// limited answers 429 when this address asked for too many links.
func (rc *recovery) limited(w http.ResponseWriter, r *http.Request) bool {
	ok, retry, err := rc.limiter.Allow(r.Context(), clientIP(r))
	if err != nil {
		rc.login.fail(w, r, err)
		return true
	}
	if ok {
		return false
	}
	wait := retrySeconds(retry)
	w.Header().Set("Retry-After", strconv.Itoa(wait))
	rc.login.message(w, r, http.StatusTooManyRequests, "too_many.title", "too_many.requests", true, waitIn(langOf(r), wait))
	return true
}

// ---- e-mail confirmation

func (rc *recovery) showConfirm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	rec, t, err := rc.store.TokenAccount(r.Context(), identity.TokenConfirmEmail, oidcop.HashToken(token))
	if err != nil {
		rc.invalidLink(w, r, err, "confirm")
		return
	}
	v := rc.view(w, r, "confirm.title")
	v.Token, v.Login = token, t.Email
	v.Message = T(v.Lang, "confirm.message", t.Email, rec.Username)
	rc.pages.render(w, r, http.StatusOK, "confirm", v)
}

func (rc *recovery) confirm(w http.ResponseWriter, r *http.Request) {
	if !rc.form(w, r) {
		return
	}
	l := lang(r)
	rec, err := rc.store.ConfirmEmail(r.Context(), oidcop.HashToken(r.PostForm.Get("token")), func(rec store.AccountRecord, old string) (identity.Mail, error) {
		return rc.mail.Composer.EmailChanged(rec.Account, old, l)
	})
	var taken *store.TakenError
	switch {
	case errors.As(err, &taken):
		rc.login.message(w, r, http.StatusConflict, "confirm.taken.title", "confirm.taken", true)
		return
	case err != nil:
		rc.invalidLink(w, r, err, "confirm")
		return
	}
	rc.mail.notify()
	rc.login.audit(r.Context(), identity.AuditEvent{Action: "email_confirmed", Outcome: identity.OutcomeSuccess, Actor: rec.ID, Target: rec.ID,
		ClientIP: clientIP(r)})
	v := rc.view(w, r, "confirm.done.title")
	v.Done, v.Message = true, T(v.Lang, "confirm.done", rec.Email, rec.Username)
	rc.pages.render(w, r, http.StatusOK, "confirm", v)
}

// invalidLink answers a token that cannot be used, or a failure.
func (rc *recovery) invalidLink(w http.ResponseWriter, r *http.Request, err error, kind string) {
	if !errors.Is(err, store.ErrTokenInvalid) && !errors.Is(err, identity.ErrNotFound) {
		rc.login.fail(w, r, err)
		return
	}
	if kind == "reset" {
		rc.login.message(w, r, http.StatusBadRequest, "link_invalid.title", "link_invalid.reset", true, rc.login.base+"/password/forgot")
		return
	}
	rc.login.message(w, r, http.StatusBadRequest, "link_invalid.title", "link_invalid.confirm", true, rc.login.base+"/confirm/resend")
}

// linkForm is a page that asks for a link by mail: a new confirmation
// link, or a password reset. Whether an account matches or not, the answer
// is the same.
type linkForm struct {
	// title and empty (the answer to an empty form) name messages of the
	// catalogue.
	page, title, field, empty string
	purpose                   string
	// gets tells whether the account found (with its password hash) is
	// sent a link.
	gets func(acc identity.Account, hash string) bool
	done func(rc *recovery, lang i18n.Lang) string
}

var (
	resendForm = linkForm{page: "resend", title: "resend.title", field: "email",
		empty: "resend.empty", purpose: identity.TokenConfirmEmail,
		gets: func(acc identity.Account, _ string) bool {
			return !acc.EmailVerified && acc.Status == identity.StatusActive
		},
		done: func(rc *recovery, lang i18n.Lang) string {
			return T(lang, "resend.done", durationText(lang, rc.mail.Composer.ConfirmTTL))
		}}
	// Only accounts with a local password can reset it; directory accounts
	// change theirs in the directory.
	forgotForm = linkForm{page: "forgot", title: "forgot.title", field: "login",
		empty: "forgot.empty", purpose: identity.TokenResetPassword,
		gets: func(acc identity.Account, hash string) bool { return hash != "" && acc.Status == identity.StatusActive },
		done: func(rc *recovery, lang i18n.Lang) string {
			return T(lang, "forgot.done", durationText(lang, rc.mail.Composer.ResetTTL))
		}}
)

func (rc *recovery) showLinkForm(f linkForm) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ar := rc.login.pendingRequest(r, r.URL.Query().Get("authRequestID"))
		v := rc.view(w, r, f.title)
		v.AuthRequestID = ar
		rc.pages.render(w, r, http.StatusOK, f.page, v)
	}
}

func (rc *recovery) askLink(f linkForm) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !rc.form(w, r) {
			return
		}
		r, ar := rc.login.pendingRequest(r, r.PostForm.Get("authRequestID"))
		v := rc.view(w, r, f.title)
		v.AuthRequestID = ar
		v.Login = strings.TrimSpace(r.PostForm.Get(f.field))
		if v.Login == "" {
			v.Error = T(v.Lang, f.empty)
			rc.pages.render(w, r, http.StatusUnprocessableEntity, f.page, v)
			return
		}
		if rc.limited(w, r) {
			return
		}
		acc, hash, err := rc.store.AccountByLogin(r.Context(), v.Login)
		if err == nil && f.gets(acc, hash) {
			err = rc.issue(r.Context(), acc, f.purpose, acc.Email, lang(r))
			rc.login.audit(r.Context(), identity.AuditEvent{Action: f.purpose + "_link", Outcome: outcome(err), Target: acc.ID, ClientIP: clientIP(r)})
		}
		if err != nil && !errors.Is(err, identity.ErrNotFound) && !errors.Is(err, store.ErrRateLimited) {
			rc.login.fail(w, r, err)
			return
		}
		v.Done, v.Message = true, f.done(rc, v.Lang)
		rc.pages.render(w, r, http.StatusOK, f.page, v)
	}
}

// issue mails a new link of purpose to the account, within the rate.
func (rc *recovery) issue(ctx context.Context, acc identity.Account, purpose, email, language string) error {
	is, err := newIssue(rc.mail.Composer, rc.login.now(), acc, purpose, email, language)
	if err != nil {
		return err
	}
	if err = rc.store.IssueToken(ctx, acc.ID, is, tokenRate); err == nil {
		rc.mail.notify()
	}
	return err
}

// Notices to the owner of an address that others tried to use (to
// register, or for their own account), per owner and hour: enough to be
// told, too few to flood a mailbox.
const ownerNoticesPerHour = 3

// tellOwner renders a notice to owner unless they had ownerNoticesPerHour
// of this action within the hour; the zero Mail when not.
func (rc *recovery) tellOwner(ctx context.Context, owner identity.Account, action, ip string, render func() (identity.Mail, error)) (identity.Mail, error) {
	_, err := rc.store.CountedAttempt(ctx, identity.AuditEvent{Action: action, Target: owner.ID, ClientIP: ip}, ownerNoticesPerHour, time.Hour)
	if errors.Is(err, store.ErrRateLimited) {
		return identity.Mail{}, nil
	}
	if err != nil {
		return identity.Mail{}, err
	}
	m, err := render()
	m.AccountID = owner.ID
	return m, err
}

// issueInUse answers a request to confirm an address that owner's
// account has as a free address is answered (a token for acc, pending,
// within the same rate), but the token is mailed to nobody, so that it
// can never be used; owner is told instead.
func (rc *recovery) issueInUse(r *http.Request, acc identity.Account, email string, owner identity.Account) error {
	ctx, l := r.Context(), lang(r)
	notice, err := rc.tellOwner(ctx, owner, "email_in_use_notice", clientIP(r), func() (identity.Mail, error) {
		return rc.mail.Composer.EmailInUse(owner, l)
	})
	if err != nil {
		return err
	}
	is := store.Issue{Mail: notice, Token: identity.Token{Purpose: identity.TokenConfirmEmail, Hash: oidcop.HashToken(oidcop.NewToken()),
		Email: email, ExpiresAt: rc.login.now().Add(rc.mail.Composer.ConfirmTTL)}}
	if err = rc.store.IssueToken(ctx, acc.ID, is, tokenRate); err == nil && notice.Kind != "" {
		rc.mail.notify()
	}
	return err
}

// newIssue makes a fresh single-use token of purpose for the account and
// the mail that carries its link to email; only the token's hash is kept.
func newIssue(c *mailer.Composer, now time.Time, acc identity.Account, purpose, email, language string) (store.Issue, error) {
	token := oidcop.NewToken()
	ttl, m, err := c.ConfirmTTL, identity.Mail{}, error(nil)
	if purpose == identity.TokenResetPassword {
		ttl = c.ResetTTL
		m, err = c.Reset(acc, token, language)
	} else {
		m, err = c.Confirm(acc, email, token, language)
	}
	return store.Issue{Mail: m, Token: identity.Token{Purpose: purpose, Hash: oidcop.HashToken(token), Email: email, ExpiresAt: now.Add(ttl)}}, err
}

// ---- password reset

func outcome(err error) string {
	if err != nil {
		return identity.OutcomeFailure
	}
	return identity.OutcomeSuccess
}

func resetFields(lang i18n.Lang, errs []problem.FieldError) []fieldView {
	return markErrors(lang, []fieldView{
		{Name: "password", Label: T(lang, "reset.password"), Type: "password", Autocomplete: "new-password", Required: true,
			Hint: T(lang, "field.password.hint")},
		{Name: "password_confirm", Label: T(lang, "reset.confirm"), Type: "password", Autocomplete: "new-password", Required: true},
	}, errs)
}

func (rc *recovery) showReset(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	rec, _, err := rc.store.TokenAccount(r.Context(), identity.TokenResetPassword, oidcop.HashToken(token))
	if err != nil {
		rc.invalidLink(w, r, err, "reset")
		return
	}
	v := rc.view(w, r, "reset.title")
	v.Token, v.Login, v.Fields = token, rec.Username, resetFields(v.Lang, nil)
	rc.pages.render(w, r, http.StatusOK, "reset", v)
}

func (rc *recovery) reset(w http.ResponseWriter, r *http.Request) {
	if !rc.form(w, r) {
		return
	}
	ctx, token := r.Context(), r.PostForm.Get("token")
	hash := oidcop.HashToken(token)
	rec, _, err := rc.store.TokenAccount(ctx, identity.TokenResetPassword, hash)
	if err != nil {
		rc.invalidLink(w, r, err, "reset")
		return
	}
	pw := r.PostForm.Get("password")
	var errs []problem.FieldError
	if err := rc.login.cfg.passwordPolicy().Check(pw, rec.Username, rec.Email, rec.GivenName, rec.FamilyName, rec.DisplayName); err != nil {
		errs = passwordErrors("password", err)
	} else if r.PostForm.Get("password_confirm") != pw {
		errs = []problem.FieldError{{Field: "password_confirm", Detail: "does not match the new password"}}
	}
	if errs != nil {
		v := rc.view(w, r, "reset.title")
		v.Token, v.Login, v.Fields = token, rec.Username, resetFields(v.Lang, errs)
		v.Error = T(v.Lang, "form.correct")
		rc.pages.render(w, r, http.StatusUnprocessableEntity, "reset", v)
		return
	}
	newHash, err := password.HashContext(ctx, pw, rc.login.cfg.Password)
	if errors.Is(err, password.ErrBusy) {
		v := rc.view(w, r, "reset.title")
		v.Token, v.Login, v.Error = token, rec.Username, T(v.Lang, "login.err.busy")
		w.Header().Set("Retry-After", "2")
		rc.pages.render(w, r, http.StatusServiceUnavailable, "reset", v)
		return
	}
	if err != nil {
		rc.login.fail(w, r, err)
		return
	}
	l := lang(r)
	rec, err = rc.store.ResetPassword(ctx, hash, newHash, func(rec store.AccountRecord) (identity.Mail, error) {
		return rc.mail.Composer.PasswordChanged(rec.Account, l)
	})
	if err != nil {
		rc.invalidLink(w, r, err, "reset")
		return
	}
	rc.mail.notify()
	rc.login.audit(ctx, identity.AuditEvent{Action: "password_reset", Outcome: identity.OutcomeSuccess, Actor: rec.ID, Target: rec.ID,
		ClientIP: clientIP(r), Detail: "by a mailed link; every session ended"})
	v := rc.view(w, r, "reset.done.title")
	v.Done, v.Login = true, rec.Username
	v.Message = T(v.Lang, "reset.done")
	if err := rc.api.endSessions(ctx, rec.ID, ""); err != nil {
		rc.login.logger.ErrorContext(ctx, "end sessions after a password reset", "account", rec.ID, "err", err)
		v.Message = T(v.Lang, "reset.done.some")
	}
	rc.pages.render(w, r, http.StatusOK, "reset", v)
}

// markErrors puts each field's errors beside it, as sentences in lang.
func markErrors(lang i18n.Lang, fields []fieldView, errs []problem.FieldError) []fieldView {
	for i := range fields {
		var msgs []string
		for _, e := range errs {
			if e.Field == fields[i].Name {
				msgs = append(msgs, fieldText(lang, e.Detail))
			}
		}
		fields[i].Error = strings.Join(msgs, " ")
		fields[i].Optional = T(lang, "form.optional")
	}
	return fields
}

// duration says a validity in English words: "1 hour", "30 minutes",
// "2 days" (durationText in other languages).
func duration(d time.Duration) string {
	return durationText(i18n.English, d)
}

// ---- the developer mailbox

// loopback tells whether the request comes from this machine: the
// developer mailbox holds live links to every account, so it is never
// shown to anyone else. A request relayed by a proxy (which may run on
// this machine and forward the whole internet) does not count.
func loopback(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	ip := net.ParseIP(clientIP(r))
	return ip != nil && ip.IsLoopback()
}

type mailboxView struct {
	chrome
	Title, Base string
	Mails       []mail.Stored
	Mail        *mail.Stored
	Links       []string
}

// devMailbox serves h only when mail goes to the developer mailbox, and
// only to browsers on the server's own machine.
func (rc *recovery) devMailbox(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc.mail.Mailbox == nil {
			problem.NotFound().ServeHTTP(w, r)
			return
		}
		if !loopback(r) {
			rc.login.message(w, r, http.StatusForbidden, "mailbox.title", "mailbox.local_only", true)
			return
		}
		h(w, r)
	})
}

// handleMailbox lists the developer mailbox's mails.
func (rc *recovery) handleMailbox() http.Handler {
	return rc.devMailbox(func(w http.ResponseWriter, r *http.Request) {
		mails, err := rc.mail.Mailbox.List(100)
		if err != nil {
			rc.login.fail(w, r, err)
			return
		}
		lang := langOf(r)
		rc.pages.render(w, r, http.StatusOK, "mailbox", mailboxView{chrome: rc.login.chrome(r, lang), Title: T(lang, "mailbox.title"), Base: rc.login.base, Mails: mails})
	})
}

// handleMailboxMail shows one mail of the developer mailbox.
func (rc *recovery) handleMailboxMail() http.Handler {
	return rc.devMailbox(func(w http.ResponseWriter, r *http.Request) {
		m, err := rc.mail.Mailbox.Get(r.PathValue("id"))
		if err != nil {
			rc.login.message(w, r, http.StatusNotFound, "mailbox.title", "mailbox.no_such", true)
			return
		}
		rc.pages.render(w, r, http.StatusOK, "mailbox", mailboxView{chrome: rc.login.chrome(r, langOf(r)), Title: m.Subject, Base: rc.login.base, Mail: &m, Links: links(m.Text)})
	})
}

// links finds the https links of a text mail, to offer them as links.
func links(text string) []string {
	var out []string
	for _, f := range strings.Fields(text) {
		if u, err := url.Parse(f); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			out = append(out, f)
		}
	}
	return out
}
