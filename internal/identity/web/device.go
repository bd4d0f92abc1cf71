package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"campus/internal/db"
	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
)

// device is the verification page of the device authorization grant
// (RFC 8628 section 3.3): the person enters the user code the device shows
// (or arrives with it from verification_uri_complete), signs in, reads
// which application asks for what, and approves or denies. When the device
// asks for the step-up scope (studies:write), the password is entered on
// this very page even with a live session: the same rule as prompt=login
// in the code flow. Sign-in goes through login's checks (password,
// lockout, directory bind, unconfirmed address, disabled account, login
// windows and allowed applications); the scopes granted are those the
// person's roles allow (oidcop.GrantScopes); the approval is bound to the
// identity session it signed in, so signing out everywhere or disabling
// the account ends the device's tokens as any other.
type device struct {
	l     *login
	store deviceStore
	// codes bounds user-code entries per client address for the whole
	// deployment: brute force against a 34-bit code (section 5.1).
	codes *policy.SharedLimiter
}

// Posts of the page allowed per client address: a burst of 20 (a person
// needs two per device), then 10 a minute. Every post counts, right code
// or wrong, so that a guesser learns nothing once refused: 20 guesses and
// then 10 a minute against 20^8 codes alive for minutes.
const (
	deviceCodesPerMinute = 10
	deviceCodeBurst      = 20
)

func newDevice(d Deps, l *login) *device {
	return &device{l: l, store: d.Store, codes: policy.NewSharedLimiter("device/user-code", d.Store, deviceCodesPerMinute, time.Minute, deviceCodeBurst, d.Now)}
}

// deviceStep is which form the page shows.
const (
	deviceStepCode    = "code"    // enter the code
	deviceStepApprove = "approve" // sign in, read, approve or deny
	deviceStepDone    = "done"
)

type deviceView struct {
	chrome
	Title, Base, CSRF, Step      string
	UserCode, ClientName, Error  string
	Username, SignedInAs         string
	Scopes                       []string // texts
	NeedPassword, StepUp, Denied bool
	// NotGranted: studies:write was asked but the person's roles do not
	// allow it.
	NotGranted bool
}

func (dv *device) handle() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		v := deviceView{chrome: dv.l.chrome(r, lang), Title: T(lang, "device.title"), Base: dv.l.base, Step: deviceStepCode}
		if r.Method == http.MethodGet {
			v.UserCode = r.URL.Query().Get("user_code")
			if n := oidcop.NormalizeUserCode(v.UserCode); n != "" {
				v.UserCode = oidcop.FormatUserCode(n)
			}
			dv.render(w, r, http.StatusOK, v)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := parseForm(r); err != nil {
			v.Error = T(lang, "device.error.form")
			dv.render(w, r, http.StatusBadRequest, v)
			return
		}
		v.UserCode = r.PostForm.Get("user_code")
		if !dv.l.csrfOK(r) {
			v.Error = T(lang, "device.error.csrf")
			dv.render(w, r, http.StatusForbidden, v)
			return
		}
		ip := clientIP(r)
		if ok, retry, err := dv.codes.Allow(r.Context(), ip); err != nil {
			dv.l.fail(w, r, err)
			return
		} else if !ok {
			wait := retrySeconds(retry)
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			v.Error = T(lang, "device.error.tooMany", waitIn(lang, wait))
			dv.render(w, r, http.StatusTooManyRequests, v)
			return
		}
		hash := oidcop.HashUserCode(v.UserCode)
		req, err := dv.store.PendingDeviceAuthorization(r.Context(), hash)
		if hash == "" || errors.Is(err, identity.ErrNotFound) {
			v.Error = T(lang, "device.error.code")
			dv.render(w, r, http.StatusBadRequest, v)
			return
		}
		if err != nil {
			dv.l.fail(w, r, err)
			return
		}
		client, err := dv.l.store.Client(r.Context(), req.ClientID)
		if err != nil {
			dv.l.fail(w, r, err)
			return
		}
		v.UserCode = oidcop.FormatUserCode(oidcop.NormalizeUserCode(v.UserCode))
		v.Step, v.ClientName = deviceStepApprove, client.Name
		if v.ClientName == "" {
			v.ClientName = client.ID
		}
		v.StepUp = slices.Contains(req.Scopes, oidcop.StepUpScope)
		for _, sc := range req.Scopes {
			if sc != "openid" {
				v.Scopes = append(v.Scopes, T(lang, "device.scope."+sc))
			}
		}
		sess := dv.l.session(r)
		if sess != nil {
			if acc, err := dv.l.store.Account(r.Context(), sess.AccountID); err == nil {
				v.SignedInAs = acc.Username
			} else {
				sess = nil
			}
		}
		v.NeedPassword = sess == nil || v.StepUp
		if r.PostForm.Get("step") != deviceStepApprove {
			dv.render(w, r, http.StatusOK, v)
			return
		}
		if r.PostForm.Get("decision") != "approve" {
			dv.deny(w, r, v, hash, client, sess)
			return
		}
		dv.approve(w, r, v, req, hash, client, sess)
	})
}

// deviceStore is what the page needs of the store beyond sign-in's.
type deviceStore interface {
	PendingDeviceAuthorization(ctx context.Context, userCodeHash string) (identity.DeviceAuthorization, error)
	ApproveDeviceAuthorization(ctx context.Context, userCodeHash, accountID, sessionID string, authTime time.Time, amr, scopes []string, stepUp bool) error
	DenyDeviceAuthorization(ctx context.Context, userCodeHash string) error
}

func (dv *device) deny(w http.ResponseWriter, r *http.Request, v deviceView, hash string, client identity.Client, sess *identity.Session) {
	if err := dv.store.DenyDeviceAuthorization(r.Context(), hash); errors.Is(err, identity.ErrNotFound) {
		v.Step, v.Error = deviceStepCode, T(v.Lang, "device.error.code")
		dv.render(w, r, http.StatusBadRequest, v)
		return
	} else if err != nil {
		dv.l.fail(w, r, err)
		return
	}
	actor := ""
	if sess != nil {
		actor = sess.AccountID
	}
	dv.l.audit(r.Context(), identity.AuditEvent{Action: "device_authorization", Outcome: identity.OutcomeDenied, Actor: actor,
		Target: client.ID, ClientIP: clientIP(r), ClientID: client.ID, Detail: "denied on the verification page"})
	v.Step, v.Denied = deviceStepDone, true
	dv.render(w, r, http.StatusOK, v)
}

func (dv *device) approve(w http.ResponseWriter, r *http.Request, v deviceView, req identity.DeviceAuthorization, hash string,
	client identity.Client, sess *identity.Session) {
	ctx, l, lang, ip := r.Context(), dv.l, v.Lang, clientIP(r)
	var acc identity.Account
	passwordNow := false
	if v.NeedPassword {
		username := r.PostForm.Get("username")
		if sess != nil {
			username = v.SignedInAs // a step-up confirms the person signed in, never another
		}
		v.Username = username
		if ok, retry, err := l.limiter.Allow(ctx, ip); err != nil {
			l.fail(w, r, err)
			return
		} else if !ok {
			wait := retrySeconds(retry)
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			v.Error = T(lang, "device.error.tooMany", waitIn(lang, wait))
			dv.render(w, r, http.StatusTooManyRequests, v)
			return
		}
		var err error
		acc, err = l.authenticate(ctx, username, r.PostForm.Get("password"), ip, client.ID)
		switch {
		case errors.Is(err, password.ErrBusy):
			w.Header().Set("Retry-After", "2")
			v.Error = T(lang, "device.error.busy")
			dv.render(w, r, http.StatusServiceUnavailable, v)
			return
		case err != nil && (errors.Is(err, directory.ErrUnavailable) || errors.Is(err, directory.ErrServiceAccount)):
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Target: acc.ID, ClientIP: ip, ClientID: client.ID, Detail: err.Error()})
			w.Header().Set("Retry-After", "60")
			v.Error = T(lang, "device.error.directory")
			dv.render(w, r, http.StatusServiceUnavailable, v)
			return
		case err != nil && db.Unavailable(err):
			l.fail(w, r, err)
			return
		case err != nil:
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Target: acc.ID, ClientIP: ip, ClientID: client.ID, Detail: err.Error()})
			v.Error = T(lang, "device.error.credentials")
			dv.render(w, r, http.StatusUnauthorized, v)
			return
		}
		if l.confirmFirst && !acc.EmailVerified && acc.DirectoryDN == "" {
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "e-mail address not confirmed"})
			v.Error = T(lang, "device.error.unconfirmed")
			dv.render(w, r, http.StatusForbidden, v)
			return
		}
		amr, ok := dv.secondFactor(w, r, v, acc, client)
		if !ok {
			return
		}
		now := l.now()
		if sess != nil { // the same person: username came from the session
			if err := l.store.ReauthenticateSession(ctx, sess.ID, now, amr); err != nil {
				l.fail(w, r, err)
				return
			}
			sess.AuthTime, sess.AMR = now, amr
		} else {
			s, err := l.newSession(w, r, acc.ID, now, amr)
			if err != nil {
				l.fail(w, r, err)
				return
			}
			sess = &s
		}
		passwordNow = true
	} else {
		var err error
		if acc, err = l.store.Account(ctx, sess.AccountID); err != nil {
			l.fail(w, r, err)
			return
		}
	}
	if acc.Status != identity.StatusActive {
		v.Error = T(lang, "device.error.disabled")
		dv.render(w, r, http.StatusForbidden, v)
		return
	}
	if msg, why := l.refusal(ctx, lang, acc, client); msg != "" {
		l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
			ClientIP: ip, ClientID: client.ID, Detail: why})
		v.Error = msg
		dv.render(w, r, http.StatusForbidden, v)
		return
	}
	perms, err := l.store.Permissions(ctx, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return
	}
	stepUp := passwordNow && v.StepUp
	scopes := oidcop.GrantScopes(req.Scopes, perms, stepUp)
	err = dv.store.ApproveDeviceAuthorization(ctx, hash, acc.ID, sess.ID, sess.AuthTime, sess.AMR, scopes, stepUp)
	if errors.Is(err, identity.ErrNotFound) {
		v.Step, v.Error = deviceStepCode, T(lang, "device.error.code")
		dv.render(w, r, http.StatusBadRequest, v)
		return
	}
	if err != nil {
		l.fail(w, r, err)
		return
	}
	if err := l.store.TouchSession(ctx, sess.ID); err != nil {
		l.logger.ErrorContext(ctx, "note the session's use", "err", err)
	}
	if passwordNow {
		if err := l.store.RecordSignIn(ctx, acc.ID); err != nil {
			l.logger.ErrorContext(ctx, "record sign-in", "err", err)
		}
	}
	detail := "approved: " + joinScopes(scopes)
	if stepUp {
		detail += " (password step-up)"
	}
	l.audit(ctx, identity.AuditEvent{Action: "device_authorization", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
		ClientIP: ip, ClientID: client.ID, Detail: detail})
	v.Step, v.NotGranted = deviceStepDone, v.StepUp && !slices.Contains(scopes, oidcop.StepUpScope)
	dv.render(w, r, http.StatusOK, v)
}

func joinScopes(s []string) string {
	out := ""
	for i, sc := range s {
		if i > 0 {
			out += " "
		}
		out += sc
	}
	return out
}

func (dv *device) render(w http.ResponseWriter, r *http.Request, status int, v deviceView) {
	v.CSRF = dv.l.csrfToken(w, r)
	dv.l.pages.render(w, r, status, "device", v)
}

func init() {
	catalogue.Add(i18n.English, map[string]string{
		"device.title":                "Connect a device",
		"device.code.heading":         "Connect a device",
		"device.code.intro":           "Enter the code that your device or command line shows, for example BCDF-GHJK.",
		"device.code.label":           "Code",
		"device.code.submit":          "Continue",
		"device.approve.heading":      "Allow %s?",
		"device.approve.code":         "Code %s. Allow only if you started this yourself and your device shows the same code.",
		"device.approve.asks":         "%s asks to:",
		"device.approve.signedIn":     "Signed in as %s.",
		"device.approve.stepUp":       "Changing study programmes is asked for: enter your password again to allow it.",
		"device.approve.username":     "Username or e-mail",
		"device.approve.password":     "Password",
		"device.approve.allow":        "Allow",
		"device.approve.deny":         "Deny",
		"device.done.heading":         "Device connected",
		"device.done.text":            "You can close this page and return to your device.",
		"device.done.notGranted":      "Your roles do not allow changing study programmes; the device got the rest.",
		"device.denied.heading":       "Access denied",
		"device.denied.text":          "The device gets no access. You can close this page.",
		"device.error.form":           "The form could not be read. Go back and try again.",
		"device.error.csrf":           "This form expired. Please enter the code again.",
		"device.error.tooMany":        "Too many attempts from your network. Try again in %s.",
		"device.error.code":           "This code is not right or has expired. Check it, or start again on your device.",
		"device.error.busy":           "Very many people are signing in right now. Please try again in a few seconds.",
		"device.error.directory":      "The university directory cannot be reached right now, so accounts from the directory cannot sign in. Please try again in a few minutes.",
		"device.error.credentials":    "The username or password is not right. Check them and try again.",
		"device.error.unconfirmed":    "Your e-mail address is not confirmed yet. Open the link in the mail we sent you when you registered.",
		"device.error.disabled":       "This account is disabled. Ask the university's administrators for help.",
		"device.scope.profile":        "see your name and username",
		"device.scope.email":          "see your e-mail address",
		"device.scope.offline_access": "keep access while you are not using it (until you sign out everywhere)",
		"device.scope.users:read":     "read the accounts of other people",
		"device.scope.users:write":    "change the accounts of other people",
		"device.scope.roles:write":    "create and change roles",
		"device.scope.studies:write":  "change study programmes, modules and lectures (for a few minutes)",
		"device.scope.grades:write":   "record grades",
		"device.scope.grades:read":    "read grades",
		"device.scope.messages:read":  "read your conversations and messages",
		"device.scope.messages:write": "write messages and start conversations in your name",
		"device.scope.events:write":   "create events and generate their accounts and PINs",
	})
	catalogue.Add(i18n.German, map[string]string{
		"device.title":                "Gerät verbinden",
		"device.code.heading":         "Gerät verbinden",
		"device.code.intro":           "Geben Sie den Code ein, den Ihr Gerät oder die Kommandozeile anzeigt, zum Beispiel BCDF-GHJK.",
		"device.code.label":           "Gerätecode",
		"device.code.submit":          "Weiter",
		"device.approve.heading":      "%s erlauben?",
		"device.approve.code":         "Code %s. Erlauben Sie nur, wenn Sie dies selbst begonnen haben und Ihr Gerät denselben Code anzeigt.",
		"device.approve.asks":         "%s möchte:",
		"device.approve.signedIn":     "Angemeldet als %s.",
		"device.approve.stepUp":       "Es wird erbeten, Studiengänge zu ändern: Geben Sie dazu Ihr Passwort erneut ein.",
		"device.approve.username":     "Benutzername oder E-Mail-Adresse",
		"device.approve.password":     "Passwort",
		"device.approve.allow":        "Erlauben",
		"device.approve.deny":         "Ablehnen",
		"device.done.heading":         "Gerät verbunden",
		"device.done.text":            "Sie können diese Seite schließen und zu Ihrem Gerät zurückkehren.",
		"device.done.notGranted":      "Ihre Rollen erlauben keine Änderungen an Studiengängen; das Gerät hat die übrigen Rechte erhalten.",
		"device.denied.heading":       "Zugriff abgelehnt",
		"device.denied.text":          "Das Gerät erhält keinen Zugriff. Sie können diese Seite schließen.",
		"device.error.form":           "Das Formular konnte nicht gelesen werden. Gehen Sie zurück und versuchen Sie es erneut.",
		"device.error.csrf":           "Dieses Formular ist abgelaufen. Bitte geben Sie den Code erneut ein.",
		"device.error.tooMany":        "Zu viele Versuche aus Ihrem Netz. Versuchen Sie es in %s erneut.",
		"device.error.code":           "Dieser Code ist falsch oder abgelaufen. Prüfen Sie ihn oder beginnen Sie auf Ihrem Gerät neu.",
		"device.error.busy":           "Gerade melden sich sehr viele Personen an. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
		"device.error.directory":      "Das Verzeichnis der Universität ist gerade nicht erreichbar, deshalb können sich Konten aus dem Verzeichnis nicht anmelden. Bitte versuchen Sie es in einigen Minuten noch einmal.",
		"device.error.credentials":    "Benutzername oder Passwort sind nicht richtig. Prüfen Sie beides und versuchen Sie es erneut.",
		"device.error.unconfirmed":    "Ihre E-Mail-Adresse ist noch nicht bestätigt. Öffnen Sie den Link in der Mail, die wir Ihnen bei der Registrierung geschickt haben.",
		"device.error.disabled":       "Dieses Konto ist gesperrt. Wenden Sie sich an die Administration der Universität.",
		"device.scope.profile":        "Ihren Namen und Benutzernamen sehen",
		"device.scope.email":          "Ihre E-Mail-Adresse sehen",
		"device.scope.offline_access": "Zugriff behalten, während Sie es nicht nutzen (bis Sie sich überall abmelden)",
		"device.scope.users:read":     "die Konten anderer Personen lesen",
		"device.scope.users:write":    "die Konten anderer Personen ändern",
		"device.scope.roles:write":    "Rollen anlegen und ändern",
		"device.scope.studies:write":  "Studiengänge, Module und Lehrveranstaltungen ändern (für einige Minuten)",
		"device.scope.grades:write":   "Noten eintragen",
		"device.scope.grades:read":    "Noten lesen",
		"device.scope.messages:read":  "Ihre Unterhaltungen und Nachrichten lesen",
		"device.scope.messages:write": "in Ihrem Namen Nachrichten schreiben und Unterhaltungen beginnen",
		"device.scope.events:write":   "Veranstaltungen anlegen und ihre Konten und PINs erzeugen",
	})
}

// secondFactor applies multi-factor sign-in to the verification page,
// which has no WebAuthn: a person with an authenticator app or recovery
// codes types a code beside the password; one with only passkeys approves
// from a browser signed in with one (no password asked then, unless for
// the step-up); one whose role requires a factor they lack enrols first.
// It returns how the person proved themselves, or answers and false.
func (dv *device) secondFactor(w http.ResponseWriter, r *http.Request, v deviceView, acc identity.Account, client identity.Client) ([]string, bool) {
	ctx, l, lang, ip := r.Context(), dv.l, v.Lang, clientIP(r)
	factors, left, err := l.factorsOf(ctx, acc.ID)
	if err != nil {
		l.fail(w, r, err)
		return nil, false
	}
	if len(factors) == 0 {
		required := l.cfg.requiresMFA(acc)
		if required {
			l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeDenied, Actor: acc.ID, Target: acc.ID,
				ClientIP: ip, ClientID: client.ID, Detail: "a role requires a second factor; none is enrolled"})
			v.Error = T(lang, "device.error.enrolFirst")
			dv.render(w, r, http.StatusForbidden, v)
			return nil, false
		}
		return []string{amrPassword}, true
	}
	codes := left > 0 || slices.ContainsFunc(factors, func(f identity.Factor) bool { return f.Kind == identity.FactorTOTP })
	if !codes {
		v.Error = T(lang, "device.error.passkeyOnly")
		dv.render(w, r, http.StatusUnauthorized, v)
		return nil, false
	}
	code := r.PostForm.Get("code")
	if code == "" {
		v.Error = T(lang, "device.error.codeNeeded")
		dv.render(w, r, http.StatusUnauthorized, v)
		return nil, false
	}
	proof, why, err := l.checkFactor(ctx, acc, identity.Ceremony{}, factors, code, "")
	if err != nil {
		l.fail(w, r, err)
		return nil, false
	}
	if proof == nil {
		l.audit(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure, Actor: acc.ID, Target: acc.ID,
			ClientIP: ip, ClientID: client.ID, Detail: "second factor: " + why})
		if err := l.countFailure(ctx, acc.ID, ip, client.ID); err != nil {
			l.fail(w, r, err)
			return nil, false
		}
		v.Error = T(lang, "device.error.codeWrong")
		dv.render(w, r, http.StatusUnauthorized, v)
		return nil, false
	}
	if slices.Contains(proof, "recovery") {
		proof = slices.DeleteFunc(proof, func(v string) bool { return v == "recovery" })
		l.audit(ctx, identity.AuditEvent{Action: "recovery_code", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
			ClientIP: ip, ClientID: client.ID, Detail: "approved a device with a recovery code"})
	}
	return withFactor([]string{amrPassword}, proof...), true
}
