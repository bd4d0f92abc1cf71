package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/db"
	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/mfa"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/problem"
)

// LoginStore is what signing in needs of identity's store.
type LoginStore interface {
	AccountByLogin(ctx context.Context, login string) (identity.Account, string, error)
	Account(ctx context.Context, id string) (identity.Account, error)
	Permissions(ctx context.Context, accountID string) ([]identity.Permission, error)
	Client(ctx context.Context, id string) (identity.Client, error)
	AuthRequest(ctx context.Context, id string) (identity.AuthRequest, error)
	CompleteAuthRequest(ctx context.Context, id, accountID, sessionID string, authTime time.Time, amr, scopes []string, stepUp bool) error
	CreateSession(ctx context.Context, sess identity.Session, tokenHash string) error
	SessionByToken(ctx context.Context, tokenHash string) (identity.Session, error)
	TouchSession(ctx context.Context, sessionID string) error
	ReauthenticateSession(ctx context.Context, sessionID string, authTime time.Time, amr []string) error
	RecordSignIn(ctx context.Context, accountID string) error
	SetPasswordHash(ctx context.Context, accountID, hash string) error
	SignInState(ctx context.Context, accountID string) (int, time.Time, error)
	SetSignInState(ctx context.Context, accountID string, failed int, lockedUntil time.Time) error
	RecordEvent(ctx context.Context, e identity.AuditEvent) error
	SignInRules(ctx context.Context, accountID string) (policy.Rules, error)
	Consent(ctx context.Context, accountID, clientID string) ([]string, error)
	SaveConsent(ctx context.Context, accountID, clientID string, scopes []string) error
	FactorStore
}

// FactorStore is what second factors need of identity's store (mfa.go).
type FactorStore interface {
	Factors(ctx context.Context, accountID string) ([]identity.Factor, error)
	AddFactor(ctx context.Context, f identity.Factor) (identity.Factor, error)
	RemoveFactor(ctx context.Context, accountID, id string) error
	UseTOTPStep(ctx context.Context, factorID string, step int64) (bool, error)
	UpdateWebAuthnCredential(ctx context.Context, factorID string, credential []byte) error
	SetRecoveryCodes(ctx context.Context, accountID string, codes []string) error
	UseRecoveryCode(ctx context.Context, accountID, code string) (bool, error)
	RecoveryCodesLeft(ctx context.Context, accountID string) (int, error)
	CreateCeremony(ctx context.Context, c identity.Ceremony) error
	Ceremony(ctx context.Context, idHash string) (identity.Ceremony, error)
	UpdateCeremony(ctx context.Context, c identity.Ceremony) error
	FailCeremony(ctx context.Context, idHash string) (bool, error)
	// EventOf names the event an account belongs to ("" for none): an
	// event's accounts have no second factors (mfa.go).
	EventOf(ctx context.Context, accountID string) (string, error)
	TakeCeremony(ctx context.Context, idHash string) (bool, error)
}

// LoginConfig are the sign-in settings.
type LoginConfig struct {
	Welcome    string
	WelcomeDE  string // "": DefaultWelcomeDE (see signInTexts)
	SessionTTL time.Duration
	Password   password.Params
	Lockout    policy.Lockout
	// PerIPPerMinute bounds sign-in attempts from one client address.
	PerIPPerMinute int
	// Location is the time zone of login windows.
	Location *time.Location
	// Policy decides which new passwords are accepted (registration,
	// password changes); the zero value means policy.DefaultPasswordPolicy.
	Policy policy.PasswordPolicy
	// MFARoles are the roles whose members sign in with a second factor
	// (one who has none enrols one right after the password); nil means
	// DefaultMFARoles, an empty list none.
	MFARoles []string
}

// errNeedsMFA marks a session that a role's policy no longer accepts.
var errNeedsMFA = errors.New("a role requires a second factor this session did not see")

// DefaultMFARoles: administrators can change everything, so they sign in
// with two factors unless the deployment says otherwise.
var DefaultMFARoles = []string{"admin"}

// requiresMFA reports whether a role of acc requires a second factor.
func (c LoginConfig) requiresMFA(acc identity.Account) bool {
	return slices.ContainsFunc(acc.Roles, c.roleRequiresMFA)
}

// roleRequiresMFA reports whether the members of role sign in with a
// second factor.
func (c LoginConfig) roleRequiresMFA(role string) bool {
	roles := c.MFARoles
	if roles == nil {
		roles = DefaultMFARoles
	}
	return slices.Contains(roles, role)
}

// passwordPolicy is the configured policy, or the default.
func (c LoginConfig) passwordPolicy() policy.PasswordPolicy {
	if c.Policy == (policy.PasswordPolicy{}) {
		return policy.DefaultPasswordPolicy()
	}
	return c.Policy
}

// SessionCookie is the name of identity's session cookie.
const SessionCookie = "campus_idp_session"

const csrfCookie = "campus_idp_csrf"

// The sign-in page's answers are in the catalogue (i18n_pages.go):
// login.err.wrong is the one answer to a failed sign-in, whether the
// account exists, the password is wrong or the account is locked;
// login.err.directory answers directory accounts while the directory
// cannot be reached (local accounts sign in as usual); login.err.busy
// answers while the server checks as many passwords as it can
// (password.ErrBusy).

// errBusy is login.err.busy in English, for the registration API.
const errBusy = "Very many people are signing in right now. Please try again in a few seconds."

// login serves identity's sign-in page.
type login struct {
	store    LoginStore
	storage  *oidcop.Storage
	provider *op.Provider
	pages    *pages
	cfg      LoginConfig
	base     string                // path prefix of identity, "" at the root
	secure   bool                  // cookies only over https
	limiter  *policy.SharedLimiter // sign-ins per client address, for the whole deployment
	now      func() time.Time
	logger   *slog.Logger
	// decoy is verified for unknown usernames, so that the answer takes as
	// long as for a real account (password.Decoy: made without hashing,
	// so a start no longer spends an argon2id and its 19 MiB on it).
	decoy string
	// confirmFirst refuses sign-in until the address is confirmed;
	// recovery offers the password reset (mail is configured).
	confirmFirst, recovery bool
	dir                    Directory
	// issuer is identity's issuer URL; rp the WebAuthn relying party on
	// its origin (mfa.go), nil when the issuer has no domain name; home
	// the portal, where the security page leads back to.
	issuer, home string
	rp           *mfa.RP
}

func newLogin(d Deps, p *pages) (*login, error) {
	rp, err := mfa.NewRP(d.Issuer, "campus")
	if errors.Is(err, mfa.ErrNoDomain) {
		// Passkeys and security keys are off; the codes still work.
		d.Logger.Info("passkeys and security keys are off: identity's issuer is an IP address", "issuer", d.Issuer)
	} else if err != nil {
		return nil, err
	}
	decoy := password.Decoy(d.Login.Password)
	perIP := d.Login.PerIPPerMinute
	if perIP <= 0 {
		perIP = 30
	}
	if d.Login.SessionTTL <= 0 {
		d.Login.SessionTTL = 12 * time.Hour
	}
	return &login{
		store: d.Store, storage: d.Storage, provider: d.Provider, pages: p, cfg: d.Login,
		base: d.Base, secure: d.Secure, limiter: policy.NewSharedLimiter("sign-in/address", d.Store, perIP, time.Minute, max(10, perIP/6), d.Now),
		now: d.Now, logger: d.Logger, decoy: decoy,
		confirmFirst: d.Mail.Composer != nil && !d.Mail.UnconfirmedSignIn, recovery: d.Mail.Composer != nil, dir: d.Directory,
		issuer: d.Issuer, home: d.Home, rp: rp,
	}, nil
}

type loginView struct {
	chrome
	Title, Base, Welcome, ClientName, AuthRequestID, CSRF, Username, Error string
	StepUp                                                                 bool
	// Unconfirmed offers a new confirmation link; Recovery the reset;
	// Passkeys the sign-in with a passkey.
	Unconfirmed, Recovery, Passkeys bool
}

// forcesLogin reports whether the request demands a fresh password entry:
// prompt=login, or a session older than max_age (OIDC Core 3.1.2.1).
func forcesLogin(ar identity.AuthRequest, sess *identity.Session, now time.Time) bool {
	if slices.Contains(ar.Prompt, oidc.PromptLogin) {
		return true
	}
	return ar.MaxAge != nil && sess != nil && now.Sub(sess.AuthTime) > time.Duration(*ar.MaxAge)*time.Second
}

func (l *login) session(r *http.Request) *identity.Session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	s, err := l.store.SessionByToken(r.Context(), oidcop.HashToken(c.Value))
	if err != nil {
		return nil
	}
	return &s
}

func (l *login) handleShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ar, client, ok := l.request(w, r, r.URL.Query().Get("authRequestID"))
		if !ok {
			return
		}
		sess := l.session(r)
		force := forcesLogin(ar, sess, l.now())
		if sess != nil && ar.HintSubject != "" && sess.AccountID != ar.HintSubject {
			// The application expects someone else than who is signed in
			// here: no single sign-on (OIDC Core 3.1.2.1, id_token_hint).
			force = true
		}
		if sess != nil && !force && slices.Contains(ar.ACRValues, oidcop.ACRMFA) && !slices.Contains(sess.AMR, amrMFA) {
			// The application asks for two factors (acr_values, OIDC Core
			// 3.1.2.1) and the session has one: a person who has a second
			// factor signs in again with it. One who has none goes on with
			// the session; the acr claim tells the application.
			factors, err := l.store.Factors(r.Context(), sess.AccountID)
			if err != nil {
				l.fail(w, r, err)
				return
			}
			force = len(factors) > 0
		}
		if sess != nil && !force {
			acc, err := l.store.Account(r.Context(), sess.AccountID)
			if err == nil && l.cfg.requiresMFA(acc) && !slices.Contains(sess.AMR, amrMFA) {
				// A role now requires a second factor this session did
				// not see (given since, or the policy turned on): sign in
				// again, with one or enrolling one.
				err, force = errNeedsMFA, true
			}
			if err == nil {
				l.finish(w, r, ar, client, acc, *sess, false, false)
				return
			}
		}
		if slices.Contains(ar.Prompt, oidc.PromptNone) {
			op.AuthRequestError(w, r, errRequest{ar}, oidc.ErrLoginRequired(), l.provider)
			return
		}
		l.render(w, r, http.StatusOK, ar, client, ar.LoginHint, "")
	})
}

func (l *login) handleSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 16<<10, "login.failed") {
			return
		}
		r, ar, client, ok := l.request(w, r, r.PostForm.Get("authRequestID"))
		if !ok {
			return
		}
		lang := langOf(r)
		username := r.PostForm.Get("username")
		if !l.csrfOK(r) {
			l.render(w, r, http.StatusForbidden, ar, client, username, T(lang, "login.err.form_expired"))
			return
		}
		ip := clientIP(r)
		if ok, retry, err := l.limiter.Allow(r.Context(), ip); err != nil {
			l.fail(w, r, err)
			return
		} else if !ok {
			wait := retrySeconds(retry)
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			l.render(w, r, http.StatusTooManyRequests, ar, client, username, T(lang, "login.err.too_many", waitIn(lang, wait)))
			return
		}
		acc, err := l.authenticate(r.Context(), username, r.PostForm.Get("password"), ip, client.ID)
		if errors.Is(err, password.ErrBusy) {
			// Overload, not the person's mistake: nothing is counted.
			w.Header().Set("Retry-After", "2")
			l.render(w, r, http.StatusServiceUnavailable, ar, client, username, T(lang, "login.err.busy"))
			return
		}
		if err != nil {
			directoryDown := errors.Is(err, directory.ErrUnavailable) || errors.Is(err, directory.ErrServiceAccount)
			if !directoryDown && db.Unavailable(err) {
				l.fail(w, r, err) // not the person's mistake: a 503 page
				return
			}
			l.audit(r.Context(), identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: err.Error()})
			if directoryDown {
				w.Header().Set("Retry-After", "60")
				l.render(w, r, http.StatusServiceUnavailable, ar, client, username, T(lang, "login.err.directory"))
				return
			}
			l.render(w, r, http.StatusUnauthorized, ar, client, username, T(lang, "login.err.wrong"))
			return
		}
		// Told only to whoever knows the password: it says nothing about
		// whether an account exists.
		if l.confirmFirst && !acc.EmailVerified && acc.DirectoryDN == "" {
			l.audit(r.Context(), identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "e-mail address not confirmed"})
			l.render(w, r, http.StatusForbidden, ar, client, acc.Username, T(lang, "login.err.unconfirmed"))
			return
		}
		if msg := l.otherPerson(r.Context(), lang, ar, l.session(r), acc); msg != "" {
			l.audit(r.Context(), identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "signed in as another person than the request was for"})
			l.render(w, r, http.StatusForbidden, ar, client, "", msg)
			return
		}
		// A person with a second factor proves it next; one whose role
		// requires one and who has none enrols one first (mfa.go).
		if l.secondStep(w, r, ar, acc) {
			return
		}
		l.signIn(w, r, ar, client, acc, []string{"pwd"})
	})
}

// signIn completes a sign-in whose every step passed: the browser's
// session is renewed for the same person (or begun, ending another
// person's), with amr saying how the person proved themselves (RFC 8176),
// and the authorization request finishes.
func (l *login) signIn(w http.ResponseWriter, r *http.Request, ar identity.AuthRequest, client identity.Client, acc identity.Account, amr []string) {
	lang := langOf(r)
	now := l.now()
	sess := l.session(r)
	if msg := l.otherPerson(r.Context(), lang, ar, sess, acc); msg != "" {
		l.audit(r.Context(), identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
			ClientIP: clientIP(r), ClientID: client.ID, Detail: "signed in as another person than the request was for"})
		l.render(w, r, http.StatusForbidden, ar, client, "", msg)
		return
	}
	switch {
	case sess != nil && sess.AccountID == acc.ID:
		if err := l.store.ReauthenticateSession(r.Context(), sess.ID, now, amr); err != nil {
			l.fail(w, r, err)
			return
		}
		sess.AuthTime, sess.AMR = now, amr
	default:
		if sess != nil { // someone else signs in on this browser
			if err := l.storage.EndSession(r.Context(), *sess); err != nil {
				l.fail(w, r, err)
				return
			}
		}
		s, err := l.newSession(w, r, acc.ID, now, amr)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		sess = &s
	}
	l.finish(w, r, ar, client, acc, *sess, true, false)
}

// otherPerson refuses a sign-in by someone other than the person the
// request is for: the subject of the application's id_token_hint (OIDC
// Core 3.1.2.1), or, for a step-up (a fresh password for studies:write),
// the person already signed in on this browser. A step-up raises the power
// of a session that exists; it must never swap the person behind it. It
// returns the message to show, or "" to go on.
func (l *login) otherPerson(ctx context.Context, lang i18n.Lang, ar identity.AuthRequest, sess *identity.Session, acc identity.Account) string {
	expected := ar.HintSubject
	if expected == "" && sess != nil && isStepUp(ar) {
		expected = sess.AccountID
	}
	if expected == "" || expected == acc.ID {
		return ""
	}
	if other, err := l.store.Account(ctx, expected); err == nil && other.Username != "" {
		return T(lang, "login.err.other_person", other.Username)
	}
	return T(lang, "login.err.other_account")
}

// isStepUp reports whether the request asks for a fresh password to grant
// the step-up scope.
func isStepUp(ar identity.AuthRequest) bool {
	return slices.Contains(ar.Prompt, oidc.PromptLogin) && slices.Contains(ar.Scopes, oidcop.StepUpScope)
}

// authenticate checks the password and applies the lockout. Every failure
// is the same error to the caller; the reason is for the log.
func (l *login) authenticate(ctx context.Context, username, pw, ip, clientID string) (identity.Account, error) {
	acc, hash, err := l.store.AccountByLogin(ctx, username)
	bind := err == nil && hash == "" && acc.DirectoryDN != "" && l.dir != nil
	if errors.Is(err, identity.ErrNotFound) || (err == nil && hash == "" && !bind) {
		// Spends the same time, and is refused as busy alike.
		if _, _, err := password.VerifyContext(ctx, pw, l.decoy, l.cfg.Password); errors.Is(err, password.ErrBusy) {
			return acc, err
		}
		return acc, errors.New("unknown account or no local password")
	}
	if err != nil {
		return acc, err
	}
	failed, until, err := l.store.SignInState(ctx, acc.ID)
	if err != nil {
		return acc, err
	}
	state := policy.LockState{FailedAttempts: failed, LockedUntil: until}
	now := l.now()
	if l.cfg.Lockout.IsLocked(state, now) {
		if !bind {
			if _, _, err := password.VerifyContext(ctx, pw, hash, l.cfg.Password); errors.Is(err, password.ErrBusy) {
				return acc, err
			}
		}
		return acc, errors.New("account locked")
	}
	var ok, rehash bool
	if bind {
		ok, err = l.bind(ctx, acc, pw)
	} else {
		ok, rehash, err = password.VerifyContext(ctx, pw, hash, l.cfg.Password)
	}
	if err != nil {
		return acc, err // neither right nor wrong: no failed attempt counts
	}
	if !ok {
		next := l.cfg.Lockout.AfterFailure(state, now)
		if err := l.store.SetSignInState(ctx, acc.ID, next.FailedAttempts, next.LockedUntil); err != nil {
			return acc, err
		}
		if !next.LockedUntil.IsZero() {
			l.audit(ctx, identity.AuditEvent{Action: "lock", Outcome: identity.OutcomeSuccess, Target: acc.ID, ClientIP: ip,
				ClientID: clientID, Detail: "too many failed sign-ins; locked until " + next.LockedUntil.UTC().Format(time.RFC3339)})
		}
		return acc, errors.New("wrong password")
	}
	if rehash {
		if h, err := password.HashContext(ctx, pw, l.cfg.Password); err == nil {
			if err := l.store.SetPasswordHash(ctx, acc.ID, h); err != nil {
				l.logger.ErrorContext(ctx, "rehash password", "err", err)
			}
		}
	}
	return acc, nil
}

// bind checks a directory account's password against the directory;
// the entry that binds must be the one the account is linked to.
func (l *login) bind(ctx context.Context, acc identity.Account, pw string) (bool, error) {
	dn, err := l.dir.Authenticate(ctx, acc.Username, pw)
	switch {
	case errors.Is(err, directory.ErrInvalidCredentials):
		return false, nil
	case err != nil:
		return false, err
	}
	return strings.EqualFold(dn, acc.DirectoryDN), nil
}

// newSession signs the browser in: a session that remembers the address
// the server trusts (clientIP, after the trusted proxies) and the
// browser's user agent, for the person's list of sessions.
func (l *login) newSession(w http.ResponseWriter, r *http.Request, accountID string, now time.Time, amr []string) (identity.Session, error) {
	token := oidcop.NewToken()
	s := identity.Session{ID: oidcop.NewToken(), AccountID: accountID, AuthTime: now, AMR: amr,
		CreatedAt: now, ExpiresAt: now.Add(l.cfg.SessionTTL), LastUsedAt: now, ClientIP: clientIP(r), UserAgent: r.UserAgent()}
	if err := l.store.CreateSession(r.Context(), s, oidcop.HashToken(token)); err != nil {
		return s, err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: l.base + "/", Expires: s.ExpiresAt,
		HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteLaxMode})
	return s, nil
}

// finish applies the account rules, grants scopes and sends the browser
// back through the provider's callback, which issues the code.
func (l *login) finish(w http.ResponseWriter, r *http.Request, ar identity.AuthRequest, client identity.Client, acc identity.Account, sess identity.Session, passwordNow, consented bool) {
	ctx, lang := r.Context(), langOf(r)
	if ar.HintSubject != "" && acc.ID != ar.HintSubject {
		l.render(w, r, http.StatusForbidden, ar, client, "", l.otherPerson(ctx, lang, ar, &sess, acc))
		return
	}
	if acc.Status != identity.StatusActive {
		l.render(w, r, http.StatusForbidden, ar, client, acc.Username, T(lang, "login.err.disabled"))
		return
	}
	if msg, why := l.refusal(ctx, lang, acc, client); msg != "" {
		l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
			ClientIP: clientIP(r), ClientID: client.ID, Detail: why})
		l.render(w, r, http.StatusForbidden, ar, client, acc.Username, msg)
		return
	}
	perms, err := l.store.Permissions(ctx, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return
	}
	// The step-up: prompt=login was asked and the password was entered
	// after this request began.
	stepUp := slices.Contains(ar.Prompt, oidc.PromptLogin) && !sess.AuthTime.Before(ar.CreatedAt) &&
		slices.Contains(ar.Scopes, oidcop.StepUpScope)
	if stepUp && !slices.Contains(sess.AMR, amrMFA) {
		// A person with a second factor unlocks editing with it too.
		factors, err := l.store.Factors(ctx, acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		stepUp = len(factors) == 0
	}
	scopes := oidcop.GrantScopes(ar.Scopes, perms, stepUp)
	if !client.FirstParty && !consented {
		allowed, err := l.store.Consent(ctx, acc.ID, client.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if slices.Contains(ar.Prompt, oidc.PromptConsent) || !covers(allowed, scopes) {
			if slices.Contains(ar.Prompt, oidc.PromptNone) {
				// OIDC Core 3.1.2.6; the library has no constructor for it.
				op.AuthRequestError(w, r, errRequest{ar}, &oidc.Error{ErrorType: "consent_required", Description: "the user has not allowed this application"}, l.provider)
				return
			}
			l.askConsent(w, r, ar, client, acc, scopes)
			return
		}
	}
	if err := l.store.CompleteAuthRequest(ctx, ar.ID, acc.ID, sess.ID, sess.AuthTime, sess.AMR, scopes, stepUp); err != nil {
		l.fail(w, r, err)
		return
	}
	if err := l.store.TouchSession(ctx, sess.ID); err != nil { // the session's list shows its last use
		l.logger.ErrorContext(ctx, "note the session's use", "err", err)
	}
	if passwordNow || sess.CreatedAt.Equal(sess.AuthTime) {
		if err := l.store.RecordSignIn(ctx, acc.ID); err != nil {
			l.logger.ErrorContext(ctx, "record sign-in", "err", err)
		}
	}
	detail := "password"
	if !passwordNow {
		detail = "single sign-on"
	}
	if slices.Contains(sess.AMR, amrMFA) && passwordNow {
		detail = "multi-factor (" + strings.Join(sess.AMR, " ") + ")"
	}
	if stepUp {
		detail = "step-up for studies:write (" + strings.Join(sess.AMR, " ") + ")"
	}
	l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
		ClientIP: clientIP(r), ClientID: client.ID, Detail: detail})
	http.Redirect(w, r, op.AuthCallbackURL(l.provider)(ctx, ar.ID), http.StatusSeeOther)
}

// audit records an event in the audit trail and the log.
func (l *login) audit(ctx context.Context, e identity.AuditEvent) {
	l.logger.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("action", e.Action), slog.String("outcome", e.Outcome),
		slog.String("actor", e.Actor), slog.String("target", e.Target), slog.String("client_ip", e.ClientIP),
		slog.String("client_id", e.ClientID), slog.String("detail", e.Detail))
	if err := l.store.RecordEvent(ctx, e); err != nil {
		l.logger.ErrorContext(ctx, "record audit event", "err", err)
	}
}

// refusal applies the account's application limits and login windows; it
// returns the message to show in lang and the reason for the audit trail
// (in English), or "" to go on. It runs after the password was checked (or
// a session exists), so it may say precisely why.
func (l *login) refusal(ctx context.Context, lang i18n.Lang, acc identity.Account, client identity.Client) (msg, why string) {
	rules, err := l.store.SignInRules(ctx, acc.ID)
	if err != nil {
		l.logger.ErrorContext(ctx, "read sign-in rules", "sub", acc.ID, "err", err)
		return T(lang, "login.err.rules"), "sign-in rules could not be read"
	}
	if err := rules.Refusal(acc.Roles, client.ID, client.Name, l.now(), l.cfg.Location); err != nil {
		return refusalText(lang, err), err.Error()
	}
	return "", ""
}

func covers(allowed, needed []string) bool {
	for _, s := range needed {
		if !slices.Contains(allowed, s) {
			return false
		}
	}
	return true
}

type consentView struct {
	chrome
	Title, Base, ClientName, Username, AuthRequestID, CSRF string
	Scopes                                                 []string
}

func (l *login) askConsent(w http.ResponseWriter, r *http.Request, ar identity.AuthRequest, client identity.Client, acc identity.Account, scopes []string) {
	lang := langOf(r)
	var texts []string
	for _, s := range scopes {
		if k, ok := scopeKeys[s]; ok {
			texts = append(texts, T(lang, k))
		}
	}
	name, _ := l.signInTexts(lang, client)
	l.pages.render(w, r, http.StatusOK, "consent", consentView{chrome: l.chrome(r, lang), Title: T(lang, "consent.title", name), Base: l.base, ClientName: name,
		Username: acc.Username, AuthRequestID: ar.ID, CSRF: l.csrfToken(w, r), Scopes: texts})
}

// handleConsent takes the answer of the consent page. The person is the
// one signed in to identity (the session cookie), never a form field.
func (l *login) handleConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 16<<10, "page.error") {
			return
		}
		r, ar, client, ok := l.request(w, r, r.PostForm.Get("authRequestID"))
		if !ok {
			return
		}
		sess := l.session(r)
		if sess == nil || !l.csrfOK(r) {
			l.message(w, r, http.StatusForbidden, "consent.again.title", "consent.again", true)
			return
		}
		acc, err := l.store.Account(r.Context(), sess.AccountID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if r.PostForm.Get("decision") != "allow" {
			l.audit(r.Context(), identity.AuditEvent{Action: "consent", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: client.ID,
				ClientIP: clientIP(r), ClientID: client.ID})
			op.AuthRequestError(w, r, errRequest{ar}, oidc.ErrAccessDenied().WithDescription("the user did not allow access"), l.provider)
			return
		}
		perms, err := l.store.Permissions(r.Context(), acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		stepUp := slices.Contains(ar.Prompt, oidc.PromptLogin) && !sess.AuthTime.Before(ar.CreatedAt)
		scopes := oidcop.GrantScopes(ar.Scopes, perms, stepUp)
		if err := l.store.SaveConsent(r.Context(), acc.ID, client.ID, scopes); err != nil {
			l.fail(w, r, err)
			return
		}
		l.audit(r.Context(), identity.AuditEvent{Action: "consent", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: client.ID,
			ClientIP: clientIP(r), ClientID: client.ID, Detail: strings.Join(scopes, " ")})
		l.finish(w, r, ar, client, acc, *sess, false, true)
	})
}

// request loads a pending authorization request and its client, or
// answers with a page saying the link expired. The request it returns
// carries the page language of the sign-in (its ui_locales first).
func (l *login) request(w http.ResponseWriter, r *http.Request, id string) (*http.Request, identity.AuthRequest, identity.Client, bool) {
	ar, err := l.store.AuthRequest(r.Context(), id)
	if db.Unavailable(err) {
		l.fail(w, r, err)
		return r, ar, identity.Client{}, false
	}
	if err != nil || ar.Done {
		l.message(w, r, http.StatusBadRequest, "signin_expired.title", "signin_expired.message", true)
		return r, ar, identity.Client{}, false
	}
	r = withLang(r, pageLang(r, ar.UILocales))
	client, err := l.store.Client(r.Context(), ar.ClientID)
	if err != nil {
		l.fail(w, r, err)
		return r, ar, client, false
	}
	return r, ar, client, true
}

func (l *login) render(w http.ResponseWriter, r *http.Request, status int, ar identity.AuthRequest, client identity.Client, username, msg string) {
	token := l.csrfToken(w, r)
	lang := langOf(r)
	name, welcome := l.signInTexts(lang, client)
	stepUp := slices.Contains(ar.Prompt, oidc.PromptLogin) && slices.Contains(ar.Scopes, oidcop.StepUpScope)
	title := T(lang, "login.title")
	if stepUp {
		title = T(lang, "login.stepup.title")
	}
	v := loginView{chrome: l.chrome(r, lang), Title: title, Base: l.base, Welcome: welcome, ClientName: name, AuthRequestID: ar.ID,
		CSRF: token, Username: username, Error: msg, StepUp: stepUp,
		Recovery: l.recovery, Unconfirmed: msg != "" && msg == T(lang, "login.err.unconfirmed"), Passkeys: l.rp != nil}
	l.pages.render(w, r, status, "login", v)
}

// message shows a page with a title and a message, both named in the
// catalogue (msgKey formatted with args), in the page's language.
func (l *login) message(w http.ResponseWriter, r *http.Request, status int, titleKey, msgKey string, isErr bool, args ...any) {
	lang := langOf(r)
	l.pages.render(w, r, status, "message", messageView{chrome: l.chrome(r, lang), Title: T(lang, titleKey), Base: l.base,
		Message: T(lang, msgKey, args...), IsError: isErr})
}

func (l *login) fail(w http.ResponseWriter, r *http.Request, err error) {
	if db.Unavailable(err) {
		l.logger.WarnContext(r.Context(), "sign-in: database unavailable", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(problem.RetryAfter))
		l.message(w, r, http.StatusServiceUnavailable, "unavailable.title", "unavailable.signin", true)
		return
	}
	l.logger.ErrorContext(r.Context(), "sign-in", "err", err)
	l.message(w, r, http.StatusInternalServerError, "page.error", "failed.signin", true)
}

// csrfToken returns the browser's CSRF token, setting one if it has none
// (double-submit: the form must carry the cookie's value, which another
// site can neither read nor set).
func (l *login) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 24)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: t, Path: l.base + "/", HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteStrictMode})
	return t
}

func (l *login) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	return err == nil && len(c.Value) >= 32 && subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) == 1
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// errRequest lets the library send an error back to the client's redirect
// URI for a stored request.
type errRequest struct{ ar identity.AuthRequest }

func (e errRequest) GetRedirectURI() string             { return e.ar.RedirectURI }
func (e errRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(e.ar.ResponseType) }
func (e errRequest) GetState() string                   { return e.ar.State }
func (e errRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(e.ar.ResponseMode) }

type messageView struct {
	chrome
	Title, Base, Message string
	IsError              bool
}

// pages are identity's HTML templates, each parsed on its first use.
type pages struct {
	t      map[string]func() (*template.Template, error)
	logger *slog.Logger
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	err := fmt.Errorf("no page %q", name)
	if parse, ok := p.t[name]; ok {
		var t *template.Template
		if t, err = parse(); err == nil {
			err = t.ExecuteTemplate(&buf, "layout", data)
		}
	}
	if err != nil {
		p.logger.ErrorContext(r.Context(), "render", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", htmlCSP)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// htmlCSP allows identity's own stylesheet and its one script file
// (static/webauthn.js, for passkeys and security keys), which fetches the
// WebAuthn options from identity itself; no inline script, nothing from
// elsewhere. It sets no form-action: browsers apply it to the redirects
// after the sign-in form, and the last of those goes to the application.
const htmlCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
