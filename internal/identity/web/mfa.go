package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/mfa"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/policy"
)

// Multi-factor sign-in (issue 17). After the password, a person with a
// second factor proves it on the factor page: a code of their
// authenticator app (TOTP, RFC 6238), a recovery code, or a passkey or
// security key (WebAuthn, through the small self-hosted static/webauthn.js:
// the pages stay usable without JavaScript for the codes). A person whose
// role requires a second factor and who has none enrols one right after
// the password, before anything else. A passkey alone, with user
// verification, signs in without the password.
//
// What happens between the steps is a ceremony kept in the database
// (store.CreateCeremony) under the hash of a cookie, so that any replica
// takes the next step, and each ceremony completes once.

// mfaCookie names the browser's ceremony in progress.
const mfaCookie = "campus_idp_mfa"

// ceremonyData is what a sign-in ceremony keeps besides its proofs: the
// secret of an authenticator app being enrolled, the WebAuthn session of
// a challenge issued.
type ceremonyData struct {
	TOTP     string `json:"totp,omitempty"`
	WebAuthn string `json:"webauthn,omitempty"`
}

func readCeremonyData(c identity.Ceremony) ceremonyData {
	var d ceremonyData
	if c.Data != "" {
		_ = json.Unmarshal([]byte(c.Data), &d)
	}
	return d
}

func (d ceremonyData) String() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// amr values (RFC 8176 section 2).
const (
	amrPassword = "pwd"
	amrOTP      = "otp"
	amrMFA      = "mfa"
)

// withFactor adds the proofs of a second factor to what a person proved
// before: together they are multi-factor.
func withFactor(before []string, factor ...string) []string {
	out := slices.Clone(before)
	for _, v := range append(factor, amrMFA) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// secondStep begins the second step of a sign-in whose password was right,
// when there is one: the factor page for a person with factors, the
// enrolment for one whose role requires a factor. It reports whether it
// answered.
func (l *login) secondStep(w http.ResponseWriter, r *http.Request, ar identity.AuthRequest, acc identity.Account) bool {
	ctx := r.Context()
	factors, err := l.store.Factors(ctx, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return true
	}
	purpose, page := identity.CeremonySecondFactor, "/login/factor"
	if len(factors) == 0 {
		required := l.cfg.requiresMFA(acc)
		if !required {
			return false
		}
		// An event's account is a username and PIN on a letter that
		// several people may share: it cannot enrol a factor, so a role
		// that requires one (the policy changed after the event was
		// made) keeps it out rather than letting whoever signs in first
		// bind it to their phone.
		if event, err := l.store.EventOf(ctx, acc.ID); err != nil {
			l.fail(w, r, err)
			return true
		} else if event != "" {
			client, _ := l.store.Client(ctx, ar.ClientID)
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
				ClientIP: clientIP(r), ClientID: ar.ClientID, Detail: "an event's account in a role that requires a second factor"})
			l.render(w, r, http.StatusForbidden, ar, client, acc.Username, T(langOf(r), "login.err.event_mfa"))
			return true
		}
		purpose, page = identity.CeremonyEnrol, "/login/enrol"
	}
	token := oidcop.NewToken()
	c := identity.Ceremony{IDHash: oidcop.HashToken(token), AccountID: acc.ID, Purpose: purpose, AuthRequestID: ar.ID,
		AMR: []string{amrPassword}}
	if purpose == identity.CeremonyEnrol {
		secret, _, err := mfa.NewTOTP(l.rpName(), acc.Username)
		if err != nil {
			l.fail(w, r, err)
			return true
		}
		c.Data = ceremonyData{TOTP: secret}.String()
	}
	if err := l.store.CreateCeremony(ctx, c); err != nil {
		l.fail(w, r, err)
		return true
	}
	l.ceremonyCookie(w, token)
	http.Redirect(w, r, l.base+page+"?"+url.Values{"authRequestID": {ar.ID}}.Encode(), http.StatusSeeOther)
	return true
}

// ceremonyCookie gives the browser its ceremony: HttpOnly, and Strict, as
// every step of a ceremony comes from identity's own pages.
func (l *login) ceremonyCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: mfaCookie, Value: token, Path: l.base + "/", HttpOnly: true, Secure: l.secure,
		SameSite: http.SameSiteStrictMode})
}

// rpName is how authenticators and apps name identity.
func (l *login) rpName() string {
	if u, err := url.Parse(l.issuer); err == nil && u.Hostname() != "" {
		return "campus (" + u.Hostname() + ")"
	}
	return "campus"
}

// ceremony finds the browser's ceremony of one of purposes for the sign-in
// ar; ok is false when there is none (expired, done, or another sign-in's).
func (l *login) ceremony(r *http.Request, ar identity.AuthRequest, purposes ...string) (identity.Ceremony, bool, error) {
	ck, err := r.Cookie(mfaCookie)
	if err != nil || ck.Value == "" {
		return identity.Ceremony{}, false, nil
	}
	c, err := l.store.Ceremony(r.Context(), oidcop.HashToken(ck.Value))
	if errors.Is(err, identity.ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	ok := c.AuthRequestID == ar.ID && slices.Contains(purposes, c.Purpose)
	return c, ok, nil
}

// ceremonyPage loads the sign-in and the ceremony a factor or enrolment
// page is for; without one it sends the browser back to the password.
func (l *login) ceremonyPage(w http.ResponseWriter, r *http.Request, id string, purposes ...string) (*http.Request, identity.AuthRequest, identity.Client, identity.Ceremony, identity.Account, bool) {
	r, ar, client, ok := l.request(w, r, id)
	if !ok {
		return r, ar, client, identity.Ceremony{}, identity.Account{}, false
	}
	c, found, err := l.ceremony(r, ar, purposes...)
	if err != nil {
		l.fail(w, r, err)
		return r, ar, client, c, identity.Account{}, false
	}
	if !found {
		http.Redirect(w, r, l.base+"/login?"+url.Values{"authRequestID": {ar.ID}}.Encode(), http.StatusSeeOther)
		return r, ar, client, c, identity.Account{}, false
	}
	acc, err := l.store.Account(r.Context(), c.AccountID)
	if err != nil {
		l.fail(w, r, err)
		return r, ar, client, c, acc, false
	}
	return r, ar, client, c, acc, true
}

// factorView is the second factor page.
type factorView struct {
	chrome
	Title, Base, ClientName, AuthRequestID, CSRF, Error string
	TOTP, WebAuthn, Recovery                            bool
}

func (l *login) renderFactor(w http.ResponseWriter, r *http.Request, status int, ar identity.AuthRequest, client identity.Client, factors []identity.Factor, left int, msg string) {
	lang := langOf(r)
	name, _ := l.signInTexts(lang, client)
	v := factorView{chrome: l.chrome(r, lang), Title: T(lang, "factor.title"), Base: l.base, ClientName: name, AuthRequestID: ar.ID,
		CSRF: l.csrfToken(w, r), Error: msg, Recovery: left > 0}
	for _, f := range factors {
		v.TOTP = v.TOTP || f.Kind == identity.FactorTOTP
		v.WebAuthn = v.WebAuthn || (f.Kind == identity.FactorWebAuthn && l.rp != nil)
	}
	l.pages.render(w, r, status, "factor", v)
}

func (l *login) handleFactorShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ar, client, _, acc, ok := l.ceremonyPage(w, r, r.URL.Query().Get("authRequestID"), identity.CeremonySecondFactor)
		if !ok {
			return
		}
		factors, left, err := l.factorsOf(r.Context(), acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		l.renderFactor(w, r, http.StatusOK, ar, client, factors, left, "")
	})
}

func (l *login) factorsOf(ctx context.Context, accountID string) ([]identity.Factor, int, error) {
	factors, err := l.store.Factors(ctx, accountID)
	if err != nil {
		return nil, 0, err
	}
	left, err := l.store.RecoveryCodesLeft(ctx, accountID)
	return factors, left, err
}

// handleFactorSubmit checks the second factor: a code (the app's or a
// recovery code) or a WebAuthn assertion (the credential field, filled by
// webauthn.js). Wrong answers count towards the account's lockout, as
// wrong passwords do, and end the ceremony after a few.
func (l *login) handleFactorSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 64<<10, "login.failed") {
			return
		}
		r, ar, client, c, acc, ok := l.ceremonyPage(w, r, r.PostForm.Get("authRequestID"), identity.CeremonySecondFactor)
		if !ok {
			return
		}
		ctx, lang, ip := r.Context(), langOf(r), clientIP(r)
		factors, left, err := l.factorsOf(ctx, acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		again := func(status int, key string, args ...any) {
			factors, left, _ := l.factorsOf(ctx, acc.ID)
			l.renderFactor(w, r, status, ar, client, factors, left, T(lang, key, args...))
		}
		if !l.csrfOK(r) {
			again(http.StatusForbidden, "login.err.form_expired")
			return
		}
		if !l.attemptAllowed(w, r, ip, func(key string, args ...any) { again(http.StatusTooManyRequests, key, args...) }) {
			return
		}
		if locked, err := l.locked(ctx, acc.ID); err != nil {
			l.fail(w, r, err)
			return
		} else if locked {
			l.endCeremony(w, r, c)
			l.render(w, r, http.StatusForbidden, ar, client, "", T(lang, "factor.err.locked"))
			return
		}
		proof, why, err := l.checkFactor(ctx, acc, c, factors, r.PostForm.Get("code"), r.PostForm.Get("credential"))
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if proof == nil {
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "second factor: " + why})
			if err := l.countFailure(ctx, acc.ID, ip, client.ID); err != nil {
				l.fail(w, r, err)
				return
			}
			if alive, err := l.store.FailCeremony(ctx, c.IDHash); err != nil {
				l.fail(w, r, err)
				return
			} else if !alive {
				l.endCeremony(w, r, c)
				l.render(w, r, http.StatusUnauthorized, ar, client, "", T(lang, "factor.err.too_many"))
				return
			}
			key := "factor.err.wrong"
			if why == "code used already" {
				key = "factor.err.replay"
			}
			again(http.StatusUnauthorized, key)
			return
		}
		if !l.endCeremony(w, r, c) {
			// Another request completed it first (a double submit).
			http.Redirect(w, r, l.base+"/login?"+url.Values{"authRequestID": {ar.ID}}.Encode(), http.StatusSeeOther)
			return
		}
		if slices.Contains(proof, "recovery") {
			proof = slices.DeleteFunc(proof, func(v string) bool { return v == "recovery" })
			l.audit(ctx, identity.AuditEvent{Action: "recovery_code", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "signed in with a recovery code; " + strconv.Itoa(left-1) + " left"})
		}
		l.signIn(w, r, ar, client, acc, withFactor(c.AMR, proof...))
	})
}

// checkFactor checks a code or a WebAuthn assertion against the person's
// factors: the proofs it gives (amr values; "recovery" marks a recovery
// code), or nil and why not.
func (l *login) checkFactor(ctx context.Context, acc identity.Account, c identity.Ceremony, factors []identity.Factor, code, credential string) ([]string, string, error) {
	if credential != "" {
		d := readCeremonyData(c)
		if d.WebAuthn == "" || l.rp == nil {
			return nil, "no security key challenge was issued", nil
		}
		u, err := mfa.NewUser(acc, factors)
		if err != nil {
			return nil, "", err
		}
		used, err := l.rp.FinishLogin(u, d.WebAuthn, []byte(credential))
		if err != nil {
			return nil, err.Error(), nil
		}
		if err := l.store.UpdateWebAuthnCredential(ctx, used.Factor.ID, used.Record); err != nil {
			return nil, "", err
		}
		return used.AMR, "", nil
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, "no code", nil
	}
	if mfa.LooksLikeRecoveryCode(code) {
		ok, err := l.store.UseRecoveryCode(ctx, acc.ID, mfa.NormaliseRecoveryCode(code))
		if err != nil || !ok {
			return nil, "wrong or used recovery code", err
		}
		return []string{amrOTP, "recovery"}, "", nil
	}
	now := l.now()
	for _, f := range factors {
		if f.Kind != identity.FactorTOTP {
			continue
		}
		step, ok := mfa.CheckTOTP(f.Secret, code, now)
		if !ok {
			continue
		}
		fresh, err := l.store.UseTOTPStep(ctx, f.ID, step)
		if err != nil {
			return nil, "", err
		}
		if !fresh {
			return nil, "code used already", nil
		}
		return []string{amrOTP}, "", nil
	}
	return nil, "wrong code", nil
}

// attemptAllowed applies the per-address limit of sign-in attempts to a
// code or passkey attempt; when it is reached it calls refuse with the
// message and answers.
func (l *login) attemptAllowed(w http.ResponseWriter, r *http.Request, ip string, refuse func(key string, args ...any)) bool {
	ok, retry, err := l.limiter.Allow(r.Context(), ip)
	if err != nil {
		l.fail(w, r, err)
		return false
	}
	if !ok {
		wait := retrySeconds(retry)
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		refuse("login.err.too_many", waitIn(langOf(r), wait))
		return false
	}
	return true
}

// locked reports whether the account is locked now.
func (l *login) locked(ctx context.Context, accountID string) (bool, error) {
	failed, until, err := l.store.SignInState(ctx, accountID)
	if err != nil {
		return false, err
	}
	return l.cfg.Lockout.IsLocked(policy.LockState{FailedAttempts: failed, LockedUntil: until}, l.now()), nil
}

// countFailure counts a wrong second factor towards the lockout, as a
// wrong password counts: codes are short and guessable.
func (l *login) countFailure(ctx context.Context, accountID, ip, clientID string) error {
	failed, until, err := l.store.SignInState(ctx, accountID)
	if err != nil {
		return err
	}
	now := l.now()
	next := l.cfg.Lockout.AfterFailure(policy.LockState{FailedAttempts: failed, LockedUntil: until}, now)
	if err := l.store.SetSignInState(ctx, accountID, next.FailedAttempts, next.LockedUntil); err != nil {
		return err
	}
	if !next.LockedUntil.IsZero() {
		l.audit(ctx, identity.AuditEvent{Action: "lock", Outcome: identity.OutcomeSuccess, Target: accountID, ClientIP: ip,
			ClientID: clientID, Detail: "too many failed sign-ins; locked until " + next.LockedUntil.UTC().Format("2006-01-02T15:04:05Z07:00")})
	}
	return nil
}

// endCeremony ends the browser's ceremony: true for the one request that
// ended it.
func (l *login) endCeremony(w http.ResponseWriter, r *http.Request, c identity.Ceremony) bool {
	http.SetCookie(w, &http.Cookie{Name: mfaCookie, Value: "", Path: l.base + "/", MaxAge: -1, HttpOnly: true, Secure: l.secure,
		SameSite: http.SameSiteStrictMode})
	took, err := l.store.TakeCeremony(r.Context(), c.IDHash)
	if err != nil {
		l.logger.ErrorContext(r.Context(), "end a sign-in ceremony", "err", err)
	}
	return took
}

// handleFactorWebAuthn issues the challenge for a security key or passkey
// as the second factor (webauthn.js asks for it, then signs it): the
// options for navigator.credentials.get, as JSON.
func (l *login) handleFactorWebAuthn() http.Handler {
	return l.signInChallenge(identity.CeremonySecondFactor, l.rpBeginLogin)
}

// signInChallenge answers webauthn.js's request for the options of a
// sign-in ceremony of purpose (the form's authRequestID and csrf, the
// browser's ceremony cookie), made by begin.
func (l *login) signInChallenge(purpose string, begin func(*mfa.User) ([]byte, string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := parseForm(r); err != nil || !l.csrfOK(r) {
			http.Error(w, "The form expired. Reload the page and try again.", http.StatusForbidden)
			return
		}
		r, ar, _, ok := l.request(w, r, r.PostForm.Get("authRequestID"))
		if !ok {
			return
		}
		c, found, err := l.ceremony(r, ar, purpose)
		if err != nil || !found {
			http.Error(w, "The sign-in expired. Sign in again.", http.StatusConflict)
			return
		}
		l.challenge(w, r, c, begin)
	})
}

// rpBeginLogin asks for one of the person's credentials; none is
// mfa.ErrNoCredential.
func (l *login) rpBeginLogin(u *mfa.User) ([]byte, string, error) {
	if len(u.Factors) == 0 {
		return nil, "", mfa.ErrNoCredential
	}
	return l.rp.BeginLogin(u)
}

func writeOptions(w http.ResponseWriter, options []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(options)
}

func (l *login) jsonFail(w http.ResponseWriter, r *http.Request, err error) {
	if db.Unavailable(err) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "Temporarily unavailable.", http.StatusServiceUnavailable)
		return
	}
	l.logger.ErrorContext(r.Context(), "webauthn", "err", err)
	http.Error(w, "Something went wrong.", http.StatusInternalServerError)
}
