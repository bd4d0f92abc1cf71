package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/mfa"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
)

// The security page: a person signed in at identity sees their second
// factors, adds an authenticator app or a passkey or security key, gets
// new recovery codes and removes a factor. Every change asks for the
// password again (a fresh sign-in: a browser left open is not enough to
// change how its person signs in). The portal's profile links here: the
// factors belong to identity, and WebAuthn ceremonies run on identity's
// origin, which is the relying party id.

type securityView struct {
	chrome
	Title, Base, CSRF, Error, Notice string
	Factors                          []factorRow
	RecoveryLeft                     int
	Required                         bool
	// Enrol is the form that adds a factor.
	Enrol enrolView
	// Back is the portal's profile, when the portal sent the person here.
	Back string
}

type factorRow struct {
	ID, Name, Kind, Created, LastUsed string
}

// securitySession is the signed-in person of a security page request, or
// nil after answering with a page that says how to sign in.
func (l *login) securitySession(w http.ResponseWriter, r *http.Request) (*identity.Session, identity.Account) {
	r = withLang(r, pageLang(r, ""))
	sess := l.session(r)
	if sess == nil {
		l.message(w, r, http.StatusUnauthorized, "security.signin.title", "security.signin.message", true)
		return nil, identity.Account{}
	}
	acc, err := l.store.Account(r.Context(), sess.AccountID)
	if err != nil || acc.Status != identity.StatusActive {
		l.message(w, r, http.StatusUnauthorized, "security.signin.title", "security.signin.message", true)
		return nil, acc
	}
	return sess, acc
}

// backTo is where the security page leads back: the portal's address the
// request names, if it is on the portal's origin, else the portal's home.
func (l *login) backTo(r *http.Request) string {
	back := r.FormValue("back")
	if back == "" || l.home == "" {
		return l.home
	}
	h, err1 := url.Parse(l.home)
	b, err2 := url.Parse(back)
	if err1 != nil || err2 != nil || b.Scheme != h.Scheme || b.Host != h.Host || b.User != nil {
		return l.home
	}
	return b.String()
}

func (l *login) renderSecurity(w http.ResponseWriter, r *http.Request, status int, acc identity.Account, msg, notice string, enrol enrolView) {
	ctx, lang := r.Context(), langOf(r)
	factors, left, err := l.factorsOf(ctx, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return
	}
	required := l.cfg.requiresMFA(acc)
	v := securityView{chrome: l.chrome(r, lang), Title: T(lang, "security.title"), Base: l.base, CSRF: l.csrfToken(w, r),
		Error: msg, Notice: notice, RecoveryLeft: left, Required: required, Back: l.backTo(r), Enrol: enrol}
	for _, f := range factors {
		row := factorRow{ID: f.ID, Name: f.Name, Kind: T(lang, "factor.kind."+f.Kind), Created: dateIn(lang, f.CreatedAt, l.cfg.Location)}
		if f.LastUsedAt != nil {
			row.LastUsed = dateIn(lang, *f.LastUsedAt, l.cfg.Location)
		}
		v.Factors = append(v.Factors, row)
	}
	if v.Enrol.Action == "" {
		v.Enrol = enrolView{Action: l.base + "/security/add", OptionsURL: l.base + "/security/webauthn", Name: ""}
	}
	v.Enrol.chrome, v.Enrol.Base, v.Enrol.CSRF, v.Enrol.Back, v.Enrol.Passkeys = v.chrome, l.base, v.CSRF, v.Back, l.rp != nil
	l.pages.render(w, r, status, "security", v)
}

func dateIn(lang i18n.Lang, t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	if lang == i18n.German {
		return t.Format("02.01.2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func (l *login) handleSecurity() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, acc := l.securitySession(w, r)
		if sess == nil {
			return
		}
		r = withLang(r, pageLang(r, ""))
		notice := ""
		if k := r.URL.Query().Get("done"); k == "added" || k == "removed" {
			notice = T(langOf(r), "security.done."+k)
		}
		l.renderSecurity(w, r, http.StatusOK, acc, "", notice, enrolView{})
	})
}

// handleSecurityTOTP begins adding an authenticator app: a ceremony holds
// the new secret until a first code confirms it.
func (l *login) handleSecurityTOTP() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, acc := l.securitySession(w, r)
		if sess == nil {
			return
		}
		r = withLang(r, pageLang(r, ""))
		secret, _, err := mfa.NewTOTP(l.rpName(), acc.Username)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if _, err := l.newRegisterCeremony(w, r, acc, ceremonyData{TOTP: secret}); err != nil {
			l.fail(w, r, err)
			return
		}
		q := ""
		if b := r.URL.Query().Get("back"); b != "" {
			q = "?" + url.Values{"back": {b}}.Encode()
		}
		l.renderSecurity(w, r, http.StatusOK, acc, "", "", enrolView{Secret: mfa.GroupSecret(secret), QR: l.base + "/security/totp/qr.png",
			Action: l.base + "/security/add" + q, OptionsURL: l.base + "/security/webauthn"})
	})
}

// newRegisterCeremony starts a ceremony of a signed-in person adding a
// factor, under the browser's ceremony cookie.
func (l *login) newRegisterCeremony(w http.ResponseWriter, r *http.Request, acc identity.Account, d ceremonyData) (identity.Ceremony, error) {
	token := oidcop.NewToken()
	c := identity.Ceremony{IDHash: oidcop.HashToken(token), AccountID: acc.ID, Purpose: identity.CeremonyRegister, Data: d.String()}
	if err := l.store.CreateCeremony(r.Context(), c); err != nil {
		return c, err
	}
	l.ceremonyCookie(w, token)
	return c, nil
}

// registerCeremony is the browser's ceremony of adding a factor, if it is
// the person's.
func (l *login) registerCeremony(r *http.Request, acc identity.Account) (identity.Ceremony, bool, error) {
	ck, err := r.Cookie(mfaCookie)
	if err != nil || ck.Value == "" {
		return identity.Ceremony{}, false, nil
	}
	c, err := l.store.Ceremony(r.Context(), oidcop.HashToken(ck.Value))
	if errors.Is(err, identity.ErrNotFound) {
		return c, false, nil
	}
	return c, err == nil && c.Purpose == identity.CeremonyRegister && c.AccountID == acc.ID, err
}

func (l *login) handleSecurityQR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, acc := l.securitySession(w, r)
		if sess == nil {
			return
		}
		c, ok, err := l.registerCeremony(r, acc)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		l.writeQR(w, r, readCeremonyData(c).TOTP, acc.Username)
	})
}

// handleSecurityWebAuthn issues the registration options of a passkey or
// security key added from the security page.
func (l *login) handleSecurityWebAuthn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := parseForm(r); err != nil || !l.csrfOK(r) {
			http.Error(w, "The form expired. Reload the page and try again.", http.StatusForbidden)
			return
		}
		sess := l.session(r)
		if sess == nil {
			http.Error(w, "Your sign-in ended. Sign in again.", http.StatusUnauthorized)
			return
		}
		acc, err := l.store.Account(r.Context(), sess.AccountID)
		if err != nil {
			l.jsonFail(w, r, err)
			return
		}
		c, ok, err := l.registerCeremony(r, acc)
		if err != nil {
			l.jsonFail(w, r, err)
			return
		}
		if !ok {
			if c, err = l.newRegisterCeremony(w, r, acc, ceremonyData{}); err != nil {
				l.jsonFail(w, r, err)
				return
			}
		}
		l.registrationOptions(w, r, c)
	})
}

// confirmPassword checks the password a change on the security page asks
// for, under the lockout and the per-address limit; it returns the
// catalogue key of what is wrong, "" when it is right.
func (l *login) confirmPassword(r *http.Request, acc identity.Account) (string, error) {
	ctx, ip := r.Context(), clientIP(r)
	if ok, _, err := l.limiter.Allow(ctx, ip); err != nil {
		return "", err
	} else if !ok {
		return "security.err.too_many", nil
	}
	got, err := l.authenticate(ctx, acc.Username, r.PostForm.Get("password"), ip, "")
	switch {
	case errors.Is(err, password.ErrBusy):
		return "login.err.busy", nil
	case err != nil || got.ID != acc.ID:
		l.audit(ctx, identity.AuditEvent{Action: "security", Outcome: identity.OutcomeFailure, Actor: acc.ID, Target: acc.ID,
			ClientIP: ip, Detail: "wrong password on the security page"})
		return "security.err.password", nil
	}
	return "", nil
}

// securityForm reads a security page form: the person, or an answer.
func (l *login) securityForm(w http.ResponseWriter, r *http.Request) (*http.Request, identity.Account, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r = withLang(r, pageLang(r, ""))
	if err := parseForm(r); err != nil {
		l.message(w, r, http.StatusBadRequest, "page.error", "form.unreadable", true)
		return r, identity.Account{}, false
	}
	sess, acc := l.securitySession(w, r)
	if sess == nil {
		return r, acc, false
	}
	if !l.csrfOK(r) {
		l.message(w, r, http.StatusForbidden, "form_expired.title", "form_expired.message", true)
		return r, acc, false
	}
	return r, acc, true
}

// handleSecurityAdd adds the authenticator app (its first code) or the
// passkey or security key (credential) of the browser's ceremony.
func (l *login) handleSecurityAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, acc, ok := l.securityForm(w, r)
		if !ok {
			return
		}
		ctx, lang := r.Context(), langOf(r)
		name := strings.TrimSpace(r.PostForm.Get("name"))
		c, found, err := l.registerCeremony(r, acc)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if !found {
			l.renderSecurity(w, r, http.StatusConflict, acc, T(lang, "security.err.expired"), "", enrolView{})
			return
		}
		d := readCeremonyData(c)
		again := func(status int, key string) {
			v := enrolView{Name: name, Action: l.base + "/security/add", OptionsURL: l.base + "/security/webauthn"}
			if d.TOTP != "" {
				v.Secret, v.QR = mfa.GroupSecret(d.TOTP), l.base+"/security/totp/qr.png"
			}
			l.renderSecurity(w, r, status, acc, T(lang, key), "", v)
		}
		if key, err := l.confirmPassword(r, acc); err != nil {
			l.fail(w, r, err)
			return
		} else if key != "" {
			again(http.StatusUnauthorized, key)
			return
		}
		if r.PostForm.Get("credential") == "" {
			d.WebAuthn = "" // the app's code, not a key's answer
		}
		f, _, key := l.enrolFactor(r, acc, d, name, r.PostForm.Get("code"), r.PostForm.Get("credential"))
		if key == "error" {
			l.fail(w, r, errEnrol)
			return
		}
		if key != "" {
			again(http.StatusUnprocessableEntity, key)
			return
		}
		if _, err := l.store.TakeCeremony(ctx, c.IDHash); err != nil {
			l.logger.ErrorContext(ctx, "end the ceremony", "err", err)
		}
		l.audit(ctx, identity.AuditEvent{Action: "mfa_enrol", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
			ClientIP: clientIP(r), Detail: f.Kind + " added on the security page"})
		left, err := l.store.RecoveryCodesLeft(ctx, acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if left == 0 { // the first factor: recovery codes come with it
			l.showCodes(w, r, acc)
			return
		}
		l.backToSecurity(w, r, "added")
	})
}

func (l *login) backToSecurity(w http.ResponseWriter, r *http.Request, done string) {
	q := url.Values{"done": {done}}
	if b := r.FormValue("back"); b != "" {
		q.Set("back", b)
	}
	http.Redirect(w, r, l.base+"/security?"+q.Encode(), http.StatusSeeOther)
}

// showCodes makes fresh recovery codes and shows them once.
func (l *login) showCodes(w http.ResponseWriter, r *http.Request, acc identity.Account) {
	codes, err := l.newRecoveryCodes(r, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return
	}
	l.audit(r.Context(), identity.AuditEvent{Action: "recovery_codes", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
		ClientIP: clientIP(r), Detail: "new recovery codes made"})
	lang := langOf(r)
	back := l.base + "/security"
	if b := r.FormValue("back"); b != "" {
		back += "?" + url.Values{"back": {b}}.Encode()
	}
	l.pages.render(w, r, http.StatusOK, "codes", codesView{chrome: l.chrome(r, lang), Title: T(lang, "codes.title"), Base: l.base,
		Codes: codes, Back: back})
}

// handleSecurityCodes replaces the recovery codes.
func (l *login) handleSecurityCodes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, acc, ok := l.securityForm(w, r)
		if !ok {
			return
		}
		lang := langOf(r)
		if key, err := l.confirmPassword(r, acc); err != nil {
			l.fail(w, r, err)
			return
		} else if key != "" {
			l.renderSecurity(w, r, http.StatusUnauthorized, acc, T(lang, key), "", enrolView{})
			return
		}
		factors, err := l.store.Factors(r.Context(), acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		if len(factors) == 0 {
			l.renderSecurity(w, r, http.StatusConflict, acc, T(lang, "security.err.no_factor"), "", enrolView{})
			return
		}
		l.showCodes(w, r, acc)
	})
}

// handleSecurityRemove removes one factor. The last factor of a person
// whose role requires one stays: they add another first.
func (l *login) handleSecurityRemove() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, acc, ok := l.securityForm(w, r)
		if !ok {
			return
		}
		ctx, lang, id := r.Context(), langOf(r), r.PathValue("id")
		if key, err := l.confirmPassword(r, acc); err != nil {
			l.fail(w, r, err)
			return
		} else if key != "" {
			l.renderSecurity(w, r, http.StatusUnauthorized, acc, T(lang, key), "", enrolView{})
			return
		}
		factors, err := l.store.Factors(ctx, acc.ID)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		var gone *identity.Factor
		for i := range factors {
			if factors[i].ID == id {
				gone = &factors[i]
			}
		}
		if gone == nil {
			l.renderSecurity(w, r, http.StatusNotFound, acc, T(lang, "security.err.gone"), "", enrolView{})
			return
		}
		if len(factors) == 1 {
			required := l.cfg.requiresMFA(acc)
			if required {
				l.renderSecurity(w, r, http.StatusConflict, acc, T(lang, "security.err.last"), "", enrolView{})
				return
			}
		}
		if err := l.store.RemoveFactor(ctx, acc.ID, id); err != nil && !errors.Is(err, identity.ErrNotFound) {
			l.fail(w, r, err)
			return
		}
		if len(factors) == 1 { // no factor left: the recovery codes go too
			if err := l.store.SetRecoveryCodes(ctx, acc.ID, nil); err != nil {
				l.fail(w, r, err)
				return
			}
		}
		l.audit(ctx, identity.AuditEvent{Action: "mfa_remove", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
			ClientIP: clientIP(r), Detail: gone.Kind + " removed on the security page"})
		l.backToSecurity(w, r, "removed")
	})
}
