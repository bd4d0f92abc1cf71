package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"campus/internal/identity"
	"campus/internal/identity/mfa"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/store"
)

// Enrolment during sign-in: a person whose role requires a second factor
// and who has none adds one right after the password (an authenticator
// app by its QR code and a first code, or a passkey or security key), is
// shown recovery codes once, and only then goes on.

// enrolView is the enrolment page, also used on the security page
// (security.go) with Action and Back set.
type enrolView struct {
	chrome
	Title, Base, ClientName, AuthRequestID, CSRF, Error string
	// Secret is the authenticator app's secret in groups of four, for
	// typing it in; QR the address of its QR code.
	Secret, QR, Name, Code string
	// Action is where the form goes; OptionsURL where webauthn.js asks
	// for the passkey's registration options.
	Action, OptionsURL string
	// Back is the security page, when enrolling from there.
	Back string
	// Passkeys: identity has a domain name, so WebAuthn works.
	Passkeys bool
}

func (l *login) renderEnrol(w http.ResponseWriter, r *http.Request, status int, ar identity.AuthRequest, client identity.Client, secret, name, msg string) {
	lang := langOf(r)
	clientName, _ := l.signInTexts(lang, client)
	q := url.Values{"authRequestID": {ar.ID}}.Encode()
	l.pages.render(w, r, status, "enrol", enrolView{chrome: l.chrome(r, lang), Title: T(lang, "enrol.title"), Base: l.base,
		ClientName: clientName, AuthRequestID: ar.ID, CSRF: l.csrfToken(w, r), Error: msg,
		Secret: mfa.GroupSecret(secret), QR: l.base + "/login/enrol/qr.png?" + q, Name: name,
		Action: l.base + "/login/enrol", OptionsURL: l.base + "/login/enrol/webauthn", Passkeys: l.rp != nil})
}

func (l *login) handleEnrolShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ar, client, c, _, ok := l.ceremonyPage(w, r, r.URL.Query().Get("authRequestID"), identity.CeremonyEnrol)
		if !ok {
			return
		}
		l.renderEnrol(w, r, http.StatusOK, ar, client, readCeremonyData(c).TOTP, "", "")
	})
}

// handleEnrolQR draws the QR code of the authenticator app being enrolled.
func (l *login) handleEnrolQR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _, _, c, acc, ok := l.ceremonyPage(w, r, r.URL.Query().Get("authRequestID"), identity.CeremonyEnrol)
		if !ok {
			return
		}
		l.writeQR(w, r, readCeremonyData(c).TOTP, acc.Username)
	})
}

func (l *login) writeQR(w http.ResponseWriter, r *http.Request, secret, account string) {
	if secret == "" {
		http.NotFound(w, r)
		return
	}
	png, err := mfa.QRCode(mfa.URI(l.rpName(), account, secret), 240)
	if err != nil {
		l.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

// handleEnrolWebAuthn issues the registration options of a passkey or
// security key being enrolled during sign-in.
func (l *login) handleEnrolWebAuthn() http.Handler {
	return l.signInChallenge(identity.CeremonyEnrol, func(u *mfa.User) ([]byte, string, error) { return l.rp.BeginRegistration(u) })
}

// registrationOptions begins a WebAuthn registration for the person of
// ceremony c, keeping its session in c.
func (l *login) registrationOptions(w http.ResponseWriter, r *http.Request, c identity.Ceremony) {
	l.challenge(w, r, c, func(u *mfa.User) ([]byte, string, error) { return l.rp.BeginRegistration(u) })
}

// challenge issues a WebAuthn challenge for the person of ceremony c
// (begin makes it for them and their credentials), keeps its session in c
// and answers the options for navigator.credentials, as JSON.
func (l *login) challenge(w http.ResponseWriter, r *http.Request, c identity.Ceremony, begin func(*mfa.User) ([]byte, string, error)) {
	if l.rp == nil {
		http.Error(w, "Passkeys and security keys are off on this server.", http.StatusNotFound)
		return
	}
	acc, err := l.store.Account(r.Context(), c.AccountID)
	if err != nil {
		l.jsonFail(w, r, err)
		return
	}
	factors, err := l.store.Factors(r.Context(), acc.ID)
	if err != nil {
		l.jsonFail(w, r, err)
		return
	}
	u, err := mfa.NewUser(acc, factors)
	if err != nil {
		l.jsonFail(w, r, err)
		return
	}
	options, session, err := begin(u)
	if errors.Is(err, mfa.ErrNoCredential) {
		http.Error(w, "No passkey or security key is registered.", http.StatusConflict)
		return
	}
	if err != nil {
		l.jsonFail(w, r, err)
		return
	}
	d := readCeremonyData(c)
	d.WebAuthn = session
	c.Data = d.String()
	if err := l.store.UpdateCeremony(r.Context(), c); err != nil {
		l.jsonFail(w, r, err)
		return
	}
	writeOptions(w, options)
}

// handleEnrolSubmit confirms the authenticator app with its first code, or
// registers the passkey or security key (credential), then shows the
// recovery codes once.
func (l *login) handleEnrolSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 64<<10, "login.failed") {
			return
		}
		r, ar, client, c, acc, ok := l.ceremonyPage(w, r, r.PostForm.Get("authRequestID"), identity.CeremonyEnrol)
		if !ok {
			return
		}
		lang, name := langOf(r), strings.TrimSpace(r.PostForm.Get("name"))
		d := readCeremonyData(c)
		if !l.csrfOK(r) {
			l.renderEnrol(w, r, http.StatusForbidden, ar, client, d.TOTP, name, T(lang, "login.err.form_expired"))
			return
		}
		f, proof, key := l.enrolFactor(r, acc, d, name, r.PostForm.Get("code"), r.PostForm.Get("credential"))
		if key == "error" {
			l.fail(w, r, errEnrol)
			return
		}
		if key != "" {
			if alive, err := l.store.FailCeremony(r.Context(), c.IDHash); err != nil {
				l.fail(w, r, err)
				return
			} else if !alive {
				l.endCeremony(w, r, c)
				l.render(w, r, http.StatusUnauthorized, ar, client, "", T(lang, "factor.err.too_many"))
				return
			}
			l.renderEnrol(w, r, http.StatusUnprocessableEntity, ar, client, d.TOTP, name, T(lang, key))
			return
		}
		codes, err := l.newRecoveryCodes(r, acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		l.audit(r.Context(), identity.AuditEvent{Action: "mfa_enrol", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
			ClientIP: clientIP(r), ClientID: client.ID, Detail: f.Kind + " added during sign-in (a role requires a second factor)"})
		c.Purpose, c.AMR, c.Data = identity.CeremonyEnrolled, withFactor(c.AMR, proof...), ""
		if err := l.store.UpdateCeremony(r.Context(), c); err != nil {
			l.fail(w, r, err)
			return
		}
		l.pages.render(w, r, http.StatusOK, "codes", codesView{chrome: l.chrome(r, lang), Title: T(lang, "codes.title"), Base: l.base,
			Codes: codes, CSRF: l.csrfToken(w, r), AuthRequestID: ar.ID, Action: l.base + "/login/enrol/done"})
	})
}

// errEnrol stands for a failure already logged by enrolFactor.
var errEnrol = errEnrolFailed{}

type errEnrolFailed struct{}

func (errEnrolFailed) Error() string { return "storing the new second factor failed" }

// enrolFactor adds the factor a form brings: an authenticator app
// confirmed by code, or the WebAuthn credential. It returns the factor and
// its proofs, or the catalogue key of what is wrong ("error" for a failure
// on our side, logged).
func (l *login) enrolFactor(r *http.Request, acc identity.Account, d ceremonyData, name, code, credential string) (identity.Factor, []string, string) {
	ctx, lang := r.Context(), langOf(r)
	var f identity.Factor
	var proof []string
	switch {
	case credential != "":
		if d.WebAuthn == "" || l.rp == nil {
			return f, nil, "enrol.err.webauthn"
		}
		factors, err := l.store.Factors(ctx, acc.ID)
		if err != nil {
			l.logger.ErrorContext(ctx, "enrol", "err", err)
			return f, nil, "error"
		}
		u, err := mfa.NewUser(acc, factors)
		if err != nil {
			l.logger.ErrorContext(ctx, "enrol", "err", err)
			return f, nil, "error"
		}
		reg, err := l.rp.FinishRegistration(u, d.WebAuthn, []byte(credential))
		if err != nil {
			l.logger.InfoContext(ctx, "webauthn registration refused", "sub", acc.ID, "err", err)
			return f, nil, "enrol.err.webauthn"
		}
		if name == "" {
			name = T(lang, "factor.default.webauthn")
		}
		f = identity.Factor{AccountID: acc.ID, Kind: identity.FactorWebAuthn, Name: cut(name), CredentialID: reg.CredentialID, Credential: reg.Record}
		proof = reg.AMR
	default:
		if d.TOTP == "" {
			return f, nil, "enrol.err.code"
		}
		step, ok := mfa.CheckTOTP(d.TOTP, code, l.now())
		if !ok {
			return f, nil, "enrol.err.code"
		}
		if name == "" {
			name = T(lang, "factor.default.totp")
		}
		// The confirming code is spent with the factor's creation, in one
		// statement: it cannot be typed again.
		f = identity.Factor{AccountID: acc.ID, Kind: identity.FactorTOTP, Name: cut(name), Secret: d.TOTP, LastStep: step}
		proof = []string{amrOTP}
	}
	added, key := l.addFactor(ctx, f)
	return added, proof, key
}

func (l *login) addFactor(ctx context.Context, f identity.Factor) (identity.Factor, string) {
	// An event's account is shared by whoever holds its letter: a factor
	// would lock the others out (secondStep).
	if event, err := l.store.EventOf(ctx, f.AccountID); err != nil {
		l.logger.ErrorContext(ctx, "enrol", "err", err)
		return f, "error"
	} else if event != "" {
		return f, "enrol.err.event"
	}
	added, err := l.store.AddFactor(ctx, f)
	switch {
	case errors.Is(err, store.ErrTooManyFactors):
		return f, "enrol.err.too_many"
	case errors.Is(err, identity.ErrConflict):
		return f, "enrol.err.exists"
	case err != nil:
		l.logger.ErrorContext(ctx, "enrol", "err", err)
		return f, "error"
	}
	return added, ""
}

// cut bounds a factor's name.
func cut(name string) string {
	if r := []rune(name); len(r) > 60 {
		return string(r[:60])
	}
	return name
}

// newRecoveryCodes gives the person fresh recovery codes (the old ones
// end) and returns them, to be shown once.
func (l *login) newRecoveryCodes(r *http.Request, accountID string) ([]string, error) {
	codes := mfa.NewRecoveryCodes()
	norm := make([]string, len(codes))
	for i, c := range codes {
		norm[i] = mfa.NormaliseRecoveryCode(c)
	}
	return codes, l.store.SetRecoveryCodes(r.Context(), accountID, norm)
}

// codesView shows recovery codes once.
type codesView struct {
	chrome
	Title, Base, CSRF, AuthRequestID, Action string
	Codes                                    []string
	Back                                     string // the security page, when shown from there
}

// handleEnrolDone goes on with the sign-in once the recovery codes were
// shown.
func (l *login) handleEnrolDone() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 16<<10, "login.failed") {
			return
		}
		r, ar, client, c, acc, ok := l.ceremonyPage(w, r, r.PostForm.Get("authRequestID"), identity.CeremonyEnrolled)
		if !ok {
			return
		}
		if !l.csrfOK(r) {
			l.message(w, r, http.StatusForbidden, "form_expired.title", "form_expired.message", true)
			return
		}
		if !l.endCeremony(w, r, c) {
			http.Redirect(w, r, l.base+"/login?"+url.Values{"authRequestID": {ar.ID}}.Encode(), http.StatusSeeOther)
			return
		}
		l.signIn(w, r, ar, client, acc, c.AMR)
	})
}

// Passkey sign-in: a discoverable credential with user verification
// signs the person in without the password.

// handlePasskeyOptions begins a passkey sign-in: a ceremony for the
// browser and the options for navigator.credentials.get.
func (l *login) handlePasskeyOptions() http.Handler {
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
		if l.rp == nil {
			http.Error(w, "Passkeys and security keys are off on this server.", http.StatusNotFound)
			return
		}
		if ok, _, err := l.limiter.Allow(r.Context(), clientIP(r)); err != nil || !ok {
			http.Error(w, "Too many sign-in attempts from your network. Try again in a minute.", http.StatusTooManyRequests)
			return
		}
		options, session, err := l.rp.BeginPasskey()
		if err != nil {
			l.jsonFail(w, r, err)
			return
		}
		token := oidcop.NewToken()
		c := identity.Ceremony{IDHash: oidcop.HashToken(token), Purpose: identity.CeremonyPasskey, AuthRequestID: ar.ID,
			Data: ceremonyData{WebAuthn: session}.String()}
		if err := l.store.CreateCeremony(r.Context(), c); err != nil {
			l.jsonFail(w, r, err)
			return
		}
		l.ceremonyCookie(w, token)
		writeOptions(w, options)
	})
}

// handlePasskeySubmit checks the passkey's assertion and signs its person
// in. Every refusal is the same message; the reason is for the audit.
func (l *login) handlePasskeySubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 64<<10, "login.failed") {
			return
		}
		r, ar, client, ok := l.request(w, r, r.PostForm.Get("authRequestID"))
		if !ok {
			return
		}
		ctx, lang, ip := r.Context(), langOf(r), clientIP(r)
		if !l.csrfOK(r) {
			l.render(w, r, http.StatusForbidden, ar, client, "", T(lang, "login.err.form_expired"))
			return
		}
		c, found, err := l.ceremony(r, ar, identity.CeremonyPasskey)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		refuse := func(acc identity.Account, why string) {
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "passkey: " + why})
			l.render(w, r, http.StatusUnauthorized, ar, client, "", T(lang, "login.err.passkey"))
		}
		if !found || l.rp == nil {
			refuse(identity.Account{}, "no challenge issued, or it expired")
			return
		}
		if !l.endCeremony(w, r, c) {
			refuse(identity.Account{}, "the challenge was used already")
			return
		}
		var acc identity.Account
		lookup := func(subject string) (*mfa.User, error) {
			a, err := l.store.Account(ctx, subject)
			if err != nil {
				return nil, err
			}
			factors, err := l.store.Factors(ctx, a.ID)
			if err != nil {
				return nil, err
			}
			acc = a
			return mfa.NewUser(a, factors)
		}
		_, used, err := l.rp.FinishPasskey(readCeremonyData(c).WebAuthn, []byte(r.PostForm.Get("credential")), lookup)
		if err != nil {
			refuse(acc, err.Error())
			return
		}
		if locked, err := l.locked(ctx, acc.ID); err != nil {
			l.fail(w, r, err)
			return
		} else if locked {
			refuse(acc, "account locked")
			return
		}
		if err := l.store.UpdateWebAuthnCredential(ctx, used.Factor.ID, used.Record); err != nil {
			l.fail(w, r, err)
			return
		}
		// User verification was required: the passkey is two factors.
		l.signIn(w, r, ar, client, acc, withFactor(nil, used.AMR...))
	})
}
