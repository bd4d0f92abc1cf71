package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"campus/internal/i18n"
	"campus/internal/identity/policy"
	"campus/internal/problem"
)

// The language of identity's pages (issue 13). A page speaks, in order:
// the language the application asked for when it started the sign-in
// (ui_locales, OpenID Connect Core 1.0 section 3.1.2.1), the person's
// explicit choice (the campus_lang cookie of the language switch, which on
// one origin is the portal's switch too), and the browser's
// Accept-Language; English when none of them names German.

// pageLang is the language of a page for r; uiLocales is the ui_locales of
// the sign-in the page belongs to, "" when none.
func pageLang(r *http.Request, uiLocales string) i18n.Lang {
	if l, ok := i18n.FromList(uiLocales); ok {
		return l
	}
	return i18n.FromRequest(r)
}

type langKey struct{}

// withLang remembers the page language of a request, once its sign-in is
// known, for the pages that answer deeper down (l.fail).
func withLang(r *http.Request, lang i18n.Lang) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey{}, lang))
}

// langOf is the page language withLang remembered, else the switch's
// choice or the browser's.
func langOf(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(langKey{}).(i18n.Lang); ok {
		return l
	}
	return pageLang(r, "")
}

// chrome is what the layout of every page needs besides its title: the
// page's language (<html lang>) and the language switch.
type chrome struct {
	Lang i18n.Lang
	// Switch is the address of the switch to the other language, back to
	// this page; SwitchTo names that language.
	Switch   string
	SwitchTo i18n.Lang
}

// chrome is the layout's part of a page in lang answering r.
func (l *login) chrome(r *http.Request, lang i18n.Lang) chrome {
	to := i18n.German
	if lang == i18n.German {
		to = i18n.English
	}
	return chrome{Lang: lang, SwitchTo: to,
		Switch: l.base + "/lang?" + url.Values{"to": {string(to)}, "back": {l.back(r)}}.Encode()}
}

// back is the page to show again after switching the language: a GET page
// itself; after a form was sent, the page of that form with the sign-in
// (authRequestID) or mailed link (token) it was for.
func (l *login) back(r *http.Request) string {
	if r.Method == http.MethodGet {
		return l.base + r.URL.RequestURI()
	}
	path := r.URL.Path
	if path == "/consent" {
		path = "/login" // the consent page is shown again by the sign-in
	}
	q := url.Values{}
	for _, k := range []string{"authRequestID", "token"} {
		if v := r.PostFormValue(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) > 0 {
		return l.base + path + "?" + q.Encode()
	}
	return l.base + path
}

// langCookiePath is where the switch's cookie applies: the whole origin
// when the portal (home) is on identity's origin, so that both follow one
// switch, else identity's own path.
func langCookiePath(issuer, base, home string) string {
	iu, err1 := url.Parse(issuer)
	hu, err2 := url.Parse(home)
	if err1 == nil && err2 == nil && home != "" && strings.EqualFold(iu.Scheme, hu.Scheme) && strings.EqualFold(iu.Host, hu.Host) {
		return "/"
	}
	return base + "/"
}

// UILocalesStore lets the language switch change the language of a
// pending sign-in that asked for another one by ui_locales.
type UILocalesStore interface {
	SetAuthRequestUILocales(ctx context.Context, id, uiLocales string) error
}

// handleSwitchLang is identity's language switch, as the portal's: GET
// /lang?to=de&back=/idp/login?authRequestID=… sets the campus_lang cookie
// and goes back. back must be a path on this origin (no open redirect). A
// sign-in that the switch was used on speaks the chosen language from now
// on, even if its application asked for another by ui_locales.
func (l *login) handleSwitchLang(st UILocalesStore, cookiePath string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to, ok := i18n.Parse(r.URL.Query().Get("to"))
		if !ok {
			to = i18n.English
		}
		http.SetCookie(w, &http.Cookie{Name: i18n.Cookie, Value: string(to), Path: cookiePath, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteLaxMode})
		back := localBack(l.base, r.URL.Query().Get("back"))
		if u, err := url.Parse(back); err == nil {
			if id := u.Query().Get("authRequestID"); id != "" {
				if err := st.SetAuthRequestUILocales(r.Context(), id, string(to)); err != nil {
					l.logger.InfoContext(r.Context(), "language switch: sign-in not changed", "err", err)
				}
			}
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

// localBack is p if it is a path under identity's base on this origin,
// else identity's sign-in-less start: never another site ("//evil",
// "/\evil", "https://…").
func localBack(base, p string) string {
	home := base + "/logged-out"
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return home
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	if base != "" && u.Path != base && !strings.HasPrefix(u.Path, base+"/") {
		return home
	}
	return p
}

// ---- texts built in code

// durationText says a validity in words: "1 hour", "30 minutes", "2 days".
func durationText(lang i18n.Lang, d time.Duration) string {
	unit := func(n int, one, many string) string {
		if n == 1 {
			return T(lang, one)
		}
		return T(lang, many, n)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return unit(int(d/(24*time.Hour)), "duration.day", "duration.days")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int(d/time.Hour), "duration.hour", "duration.hours")
	}
	return unit(max(1, int(d.Round(time.Minute)/time.Minute)), "duration.minute", "duration.minutes")
}

// refusalText says why the rules of the account refuse a sign-in, in
// lang: the application is not allowed for a role, or a login window is
// closed.
func refusalText(lang i18n.Lang, err error) string {
	switch e := err.(type) {
	case *policy.ClientError:
		return T(lang, "login.err.role", e.Role, e.Client)
	case *policy.WindowError:
		parts := make([]string, len(e.Windows))
		for i, w := range e.Windows {
			parts[i] = windowText(lang, w)
		}
		return T(lang, "login.err.window", strings.Join(parts, T(lang, "login.err.window.and")), e.Zone)
	}
	return err.Error()
}

// windowText is a login window in lang, as policy.Window.String.
func windowText(lang i18n.Lang, w policy.Window) string {
	times := w.Earliest.String() + "–" + w.Latest.String()
	switch {
	case !w.FirstDate.IsZero() && !w.LastDate.IsZero():
		return T(lang, "login.window.from_to", times, w.FirstDate.String(), w.LastDate.String())
	case !w.FirstDate.IsZero():
		return T(lang, "login.window.from", times, w.FirstDate.String())
	case !w.LastDate.IsZero():
		return T(lang, "login.window.until", times, w.LastDate.String())
	}
	return times
}

// fieldText is a field error of a form page (a detail of the API's field
// errors, "is required") as a sentence in lang: the page's own German
// sentences first, then the API's phrasebook, else the English sentence.
func fieldText(lang i18n.Lang, detail string) string {
	if lang == i18n.English {
		return sentence(detail)
	}
	if s, ok := fieldPhrases.Translate(lang, detail); ok {
		return s
	}
	if s, ok := problem.Phrases.Translate(lang, detail); ok && s != "" {
		r, n := utf8.DecodeRuneInString(s)
		s = string(unicode.ToUpper(r)) + s[n:]
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		return s
	}
	return sentence(detail)
}

// fieldPhrases are the German sentences for the field errors of the
// registration and password pages (the API's details are fragments that
// follow the field's name; a page shows them beside the field).
var fieldPhrases = func() *i18n.Phrasebook {
	p := i18n.NewPhrasebook()
	p.Add(i18n.German, map[string]string{
		"is required":                     "Bitte füllen Sie dieses Feld aus.",
		"does not match the password":     "Die beiden Passwörter stimmen nicht überein.",
		"does not match the new password": "Die beiden Passwörter stimmen nicht überein.",
		"use 2 to 64 letters (a-z), digits, '.', '_' or '-', starting with a letter or digit": "Verwenden Sie 2 bis 64 Buchstaben (a–z), Ziffern, „.“, „_“ oder „-“, beginnend mit einem Buchstaben oder einer Ziffer.",
		"is not an e-mail address like name@uni.example":                                      "Das ist keine E-Mail-Adresse wie name@uni.example.",
		"must be text (UTF-8)":                                             "Bitte geben Sie Text ein (UTF-8).",
		"may be at most %d characters":                                     "Höchstens %d Zeichen sind erlaubt.",
		"may not contain control characters":                               "Steuerzeichen sind nicht erlaubt.",
		"is taken; choose another":                                         "Dieser Benutzername ist vergeben; wählen Sie einen anderen.",
		"has an account already; sign in, or use another address":          "Zu dieser Adresse gibt es schon ein Konto; melden Sie sich an, oder verwenden Sie eine andere Adresse.",
		"Use at least %d characters.":                                      "Verwenden Sie mindestens %d Zeichen.",
		"Use at most %d characters.":                                       "Verwenden Sie höchstens %d Zeichen.",
		"This is one of the most commonly used passwords; choose another.": "Dies ist eines der am häufigsten verwendeten Passwörter; wählen Sie ein anderes.",
		"Do not use your username or e-mail address in the password.":      "Verwenden Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse nicht im Passwort.",
		"This password repeats a pattern; add more words or characters that don't follow a pattern.":                                   "Dieses Passwort wiederholt ein Muster; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is a sequence like abc or 4321; add more words or characters that don't follow a pattern.":                      "Dieses Passwort ist eine Folge wie abc oder 4321; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is a keyboard sequence; add more words or characters that don't follow a pattern.":                              "Dieses Passwort ist eine Tastenfolge; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is mostly a date or a year; add more words or characters that don't follow a pattern.":                          "Dieses Passwort besteht hauptsächlich aus einem Datum oder einer Jahreszahl; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is close to a commonly used password; add more words or characters that don't follow a pattern.":                "Dieses Passwort ähnelt einem häufig verwendeten Passwort; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is mostly a common word or name; add more words or characters that don't follow a pattern.":                     "Dieses Passwort besteht hauptsächlich aus einem häufigen Wort oder Namen; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is built from your username, e-mail address or name; add more words or characters that don't follow a pattern.": "Dieses Passwort ist aus Ihrem Benutzernamen, Ihrer E-Mail-Adresse oder Ihrem Namen gebildet; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
		"This password is too easy to guess; add more words or characters that don't follow a pattern.":                                "Dieses Passwort ist zu leicht zu erraten; fügen Sie weitere Wörter oder Zeichen ohne Muster hinzu.",
	})
	return p
}()

// scopeKeys name the catalogue's plain words for what a scope lets an
// application do (the consent page).
var scopeKeys = map[string]string{
	"openid":         "scope.openid",
	"profile":        "scope.profile",
	"email":          "scope.email",
	"offline_access": "scope.offline_access",
	"users:read":     "scope.users_read",
	"users:write":    "scope.users_write",
	"roles:write":    "scope.roles_write",
	"studies:write":  "scope.studies_write",
	"grades:write":   "scope.grades_write",
	"grades:read":    "scope.grades_read",
	"messages:read":  "scope.messages_read",
	"messages:write": "scope.messages_write",
	"events:write":   "scope.events_write",
}

func init() {
	catalogue.Add(i18n.English, map[string]string{
		// The layout.
		"layout.switch.de": "Deutsch",
		"layout.switch.en": "English",
		"layout.switch":    "Language",

		// Waits and validities.
		"wait.second":      "1 second",
		"wait.seconds":     "%d seconds",
		"wait.minutes":     "%d minutes",
		"duration.minute":  "1 minute",
		"duration.minutes": "%d minutes",
		"duration.hour":    "1 hour",
		"duration.hours":   "%d hours",
		"duration.day":     "1 day",
		"duration.days":    "%d days",

		// Shared by several pages.
		"form.unreadable":        "The form could not be read. Go back and try again.",
		"form.correct":           "Please correct the fields marked below.",
		"form.optional":          "(optional)",
		"page.error":             "Something went wrong",
		"page.continue":          "Continue to campus",
		"page.back_to_signin":    "Back to sign-in",
		"field.login":            "Username or e-mail",
		"field.password":         "Password",
		"field.password.hint":    "At least 10 characters; not a common password and not your username or e-mail address.",
		"field.email":            "E-mail address",
		"unavailable.title":      "Temporarily unavailable",
		"unavailable.signin":     "Signing in is not possible for a moment. Please try again in a few seconds.",
		"failed.signin":          "Signing in failed on our side. Please try again in a moment.",
		"too_many.title":         "Too many requests",
		"too_many.requests":      "Too many requests from your network. Try again in %s.",
		"form_expired.title":     "The form expired",
		"form_expired.message":   "The form expired. Go back, reload the page and try again.",
		"link_invalid.title":     "Link not valid",
		"link_invalid.confirm":   "This confirmation link is not valid any more: it was used, a newer one was sent, or it expired. Ask for a new link at %s.",
		"link_invalid.reset":     "This password reset link is not valid any more: it was used, a newer one was sent, or it expired. Ask for a new link at %s.",
		"signin_expired.title":   "Sign-in link expired",
		"signin_expired.message": "This sign-in link is no longer valid. Go back to the application you came from and sign in again.",

		// The sign-in page and its step-up.
		"login.title":             "Sign in",
		"login.stepup.title":      "Confirm your password",
		"login.stepup.notice":     "%s asks you to enter your password again before it unlocks editing.",
		"login.signing_in_to":     "Signing in to",
		"login.submit":            "Sign in",
		"login.stepup.submit":     "Confirm",
		"login.resend":            "Send me a new link",
		"login.forgot":            "Forgot your password?",
		"login.new":               "New to campus?",
		"login.register":          "Create an account",
		"login.failed":            "Sign-in failed",
		"login.err.form_expired":  "Your sign-in form expired. Please enter your password again.",
		"login.err.too_many":      "Too many sign-in attempts from your network. Try again in %s.",
		"login.err.wrong":         "The username or password is not right. Check them and try again.",
		"login.err.directory":     "The university directory cannot be reached right now, so accounts from the directory cannot sign in. Please try again in a few minutes.",
		"login.err.busy":          "Very many people are signing in right now. Please try again in a few seconds.",
		"login.err.unconfirmed":   "Your e-mail address is not confirmed yet. Open the link in the mail we sent you when you registered.",
		"login.err.other_person":  "You are signed in as %[1]s. Enter the password of %[1]s to go on, or sign out first to use another account.",
		"login.err.other_account": "This sign-in was started for another account. Enter that account's password, or sign out first to use another account.",
		"login.err.disabled":      "This account is disabled. Ask the university's administrators for help.",
		"login.err.rules":         "Signing in is not possible right now because of a configuration problem. Please tell the university's administrators.",
		"login.err.role":          "Your role \"%s\" does not give access to %s.",
		"login.err.window":        "Sign-in is allowed only %s (%s).",
		"login.err.window.and":    ", and only ",
		"login.window.from_to":    "%s from %s to %s",
		"login.window.from":       "%s from %s",
		"login.window.until":      "%s until %s",

		// Consent.
		"consent.title":        "Allow %s?",
		"consent.intro":        "is not run by the university's campus team. It asks to:",
		"consent.signed_in":    "Signed in as %s. You can withdraw this permission at any time in your profile.",
		"consent.allow":        "Allow",
		"consent.deny":         "Deny",
		"consent.again.title":  "Please sign in again",
		"consent.again":        "Your sign-in expired before you answered. Go back to the application and sign in again.",
		"scope.openid":         "know that it is you (your campus account id)",
		"scope.profile":        "see your name and username",
		"scope.email":          "see your e-mail address",
		"scope.offline_access": "keep access while you are not using it",
		"scope.users_read":     "read the accounts of other people",
		"scope.users_write":    "change the accounts of other people",
		"scope.roles_write":    "create and change roles",
		"scope.studies_write":  "change study programmes, modules and lectures",
		"scope.grades_write":   "record grades",
		"scope.grades_read":    "read grades",
		"scope.messages_read":  "read your conversations and messages",
		"scope.messages_write": "write messages and start conversations in your name",
		"scope.events_write":   "create events and generate their accounts and PINs",

		// Signing out.
		"logout.title":           "Sign out",
		"logout.heading":         "Sign out of campus?",
		"logout.signed_in_as":    "You are signed in as",
		"logout.explain":         "Signing out ends your campus sign-in in this browser, for every campus application.",
		"logout.submit":          "Sign out",
		"logout.stay":            "If you did not ask to sign out, close this page: you stay signed in.",
		"logout.failed":          "Sign-out failed",
		"logout.err.unreadable":  "The sign-out request could not be read. Go back to the application and try again.",
		"logout.err.invalid":     "Sign-out link not valid",
		"logout.err.invalid_msg": "This sign-out link is not valid. Go back to the application you came from.",
		"logout.err.expired":     "The sign-out form expired. Go back to the application and sign out again.",
		"loggedout.title":        "Signed out",
		"loggedout.message":      "You are signed out of every campus application.",

		// Registration.
		"register.title":             "Create an account",
		"register.intro":             "Register as a student of the university. We send you a link to confirm your e-mail address.",
		"register.submit":            "Create account",
		"register.already":           "Already registered?",
		"register.signin":            "Sign in",
		"register.signin_elsewhere":  "Sign in from the application you want to use.",
		"register.failed":            "Registration failed",
		"register.err.expired":       "Your form expired. Please enter your password again and submit the form once more.",
		"register.err.too_many":      "Too many registrations from your network. Try again in %s.",
		"register.err.taken":         "The username is taken.",
		"register.given_name":        "Given name",
		"register.family_name":       "Family name",
		"register.display_name":      "Name shown to others",
		"register.display_name.hint": "Leave empty to use your given and family name.",
		"register.username":          "Username",
		"register.username.hint":     "2 to 64 letters, digits, '.', '_' or '-'. You sign in with it.",
		"register.password_confirm":  "Repeat the password",
		"register.programme_id":      "Programme code",
		"register.programme_id.hint": "The code of your study programme, if you know it, e.g. B-INF.",
		"register.programme_title":   "Programme",
		"done.title":                 "Account created",
		"done.heading":               "Your account is ready",
		"done.confirm":               "We sent you a mail with a link that confirms your e-mail address. Open it first; then sign in with your username or e-mail address and the password you chose.",
		"done.no_mail":               "No mail after a few minutes? Look in your spam folder, or",
		"done.no_mail.link":          "ask for a new link",
		"done.registered":            "You are registered as a student. Sign in with your username or e-mail address and the password you chose.",
		"done.continue":              "Continue to sign in",
		"done.open_app":              "Open the campus application you want to use and sign in there.",

		// Confirming an address, and a new link.
		"confirm.title":       "Confirm your e-mail address",
		"confirm.message":     "Confirm %s as the e-mail address of the campus account %s.",
		"confirm.submit":      "Confirm my address",
		"confirm.done.title":  "E-mail address confirmed",
		"confirm.done":        "%s is confirmed as the e-mail address of %s. You can sign in now.",
		"confirm.taken.title": "Address taken",
		"confirm.taken":       "Another account uses this e-mail address now, so it cannot become yours. Change your address again to another one.",
		"resend.title":        "New confirmation link",
		"resend.intro":        "Enter the e-mail address you registered with. We send a new confirmation link to it; earlier links stop working.",
		"resend.submit":       "Send a new link",
		"resend.empty":        "Enter the e-mail address you registered with.",
		"resend.done":         "If an account with this address waits for confirmation, we sent it a new link. Look in your mailbox (and its spam folder); the link is valid for %s.",

		// A forgotten password.
		"forgot.title":     "Forgot your password?",
		"forgot.intro":     "Enter your username or e-mail address. We send a link to choose a new password to your account's e-mail address.",
		"forgot.submit":    "Send the link",
		"forgot.directory": "Accounts from the university directory change their password in the directory.",
		"forgot.empty":     "Enter your username or e-mail address.",
		"forgot.done":      "If an account matches, we sent a link to its e-mail address. Look in your mailbox (and its spam folder); the link is valid for %s.",
		"reset.title":      "Choose a new password",
		"reset.for":        "Choose a new password for",
		"reset.after":      "Every session of the account is signed out afterwards.",
		"reset.password":   "New password",
		"reset.confirm":    "Repeat the new password",
		"reset.submit":     "Change the password",
		"reset.done.title": "Password changed",
		"reset.done":       "Your password is changed, and every session of your account was signed out. Sign in again with the new password.",
		"reset.done.some":  "Your password is changed, but not every session could be signed out. Sign in and use \"Sign out everywhere\" to be sure.",

		// The developer mailbox.
		"mailbox.title":      "Developer mailbox",
		"mailbox.note":       "Developer mailbox.",
		"mailbox.explain":    "No mail server is configured, so campus keeps its mail here instead of sending it. Configure SMTP (smtp_host, smtp_from) before real people use this installation; this page then disappears.",
		"mailbox.to":         "To %s, %s",
		"mailbox.all":        "All mail",
		"mailbox.received":   "Received",
		"mailbox.recipient":  "To",
		"mailbox.subject":    "Subject",
		"mailbox.empty":      "No mail yet.",
		"mailbox.local_only": "The developer mailbox is shown only to browsers on the server's own machine.",
		"mailbox.no_such":    "There is no such mail in the developer mailbox.",
	})
	catalogue.Add(i18n.German, map[string]string{
		"layout.switch.de": "Deutsch",
		"layout.switch.en": "English",
		"layout.switch":    "Sprache",

		"wait.second":      "1 Sekunde",
		"wait.seconds":     "%d Sekunden",
		"wait.minutes":     "%d Minuten",
		"duration.minute":  "1 Minute",
		"duration.minutes": "%d Minuten",
		"duration.hour":    "1 Stunde",
		"duration.hours":   "%d Stunden",
		"duration.day":     "1 Tag",
		"duration.days":    "%d Tage",

		"form.unreadable":        "Das Formular konnte nicht gelesen werden. Gehen Sie zurück und versuchen Sie es noch einmal.",
		"form.correct":           "Bitte korrigieren Sie die unten markierten Felder.",
		"form.optional":          "(freiwillig)",
		"page.error":             "Etwas ist schiefgegangen",
		"page.continue":          "Weiter zu campus",
		"page.back_to_signin":    "Zurück zur Anmeldung",
		"field.login":            "Benutzername oder E-Mail-Adresse",
		"field.password":         "Passwort",
		"field.password.hint":    "Mindestens 10 Zeichen; kein häufig verwendetes Passwort und nicht Ihr Benutzername oder Ihre E-Mail-Adresse.",
		"field.email":            "E-Mail-Adresse",
		"unavailable.title":      "Vorübergehend nicht verfügbar",
		"unavailable.signin":     "Die Anmeldung ist für einen Moment nicht möglich. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
		"failed.signin":          "Die Anmeldung ist auf unserer Seite fehlgeschlagen. Bitte versuchen Sie es gleich noch einmal.",
		"too_many.title":         "Zu viele Anfragen",
		"too_many.requests":      "Zu viele Anfragen aus Ihrem Netzwerk. Versuchen Sie es in %s noch einmal.",
		"form_expired.title":     "Das Formular ist abgelaufen",
		"form_expired.message":   "Das Formular ist abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"link_invalid.title":     "Link ungültig",
		"link_invalid.confirm":   "Dieser Bestätigungslink ist nicht mehr gültig: Er wurde schon verwendet, ein neuerer wurde verschickt, oder er ist abgelaufen. Einen neuen Link erhalten Sie unter %s.",
		"link_invalid.reset":     "Dieser Link zum Zurücksetzen des Passworts ist nicht mehr gültig: Er wurde schon verwendet, ein neuerer wurde verschickt, oder er ist abgelaufen. Einen neuen Link erhalten Sie unter %s.",
		"signin_expired.title":   "Anmeldelink abgelaufen",
		"signin_expired.message": "Dieser Anmeldelink ist nicht mehr gültig. Gehen Sie zurück zu der Anwendung, von der Sie kamen, und melden Sie sich erneut an.",

		"login.title":             "Anmelden",
		"login.stepup.title":      "Passwort bestätigen",
		"login.stepup.notice":     "%s bittet Sie, Ihr Passwort noch einmal einzugeben, bevor das Bearbeiten freigeschaltet wird.",
		"login.signing_in_to":     "Anmeldung bei",
		"login.submit":            "Anmelden",
		"login.stepup.submit":     "Bestätigen",
		"login.resend":            "Neuen Link senden",
		"login.forgot":            "Passwort vergessen?",
		"login.new":               "Neu bei campus?",
		"login.register":          "Konto anlegen",
		"login.failed":            "Anmeldung fehlgeschlagen",
		"login.err.form_expired":  "Ihr Anmeldeformular ist abgelaufen. Bitte geben Sie Ihr Passwort noch einmal ein.",
		"login.err.too_many":      "Zu viele Anmeldeversuche aus Ihrem Netzwerk. Versuchen Sie es in %s noch einmal.",
		"login.err.wrong":         "Benutzername oder Passwort stimmen nicht. Prüfen Sie beides und versuchen Sie es noch einmal.",
		"login.err.directory":     "Das Verzeichnis der Universität ist gerade nicht erreichbar, deshalb können sich Konten aus dem Verzeichnis nicht anmelden. Bitte versuchen Sie es in einigen Minuten noch einmal.",
		"login.err.busy":          "Gerade melden sich sehr viele Personen an. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
		"login.err.unconfirmed":   "Ihre E-Mail-Adresse ist noch nicht bestätigt. Öffnen Sie den Link in der E-Mail, die wir Ihnen bei der Registrierung geschickt haben.",
		"login.err.other_person":  "Sie sind als %[1]s angemeldet. Geben Sie das Passwort von %[1]s ein, um fortzufahren, oder melden Sie sich zuerst ab, um ein anderes Konto zu verwenden.",
		"login.err.other_account": "Diese Anmeldung wurde für ein anderes Konto begonnen. Geben Sie das Passwort dieses Kontos ein, oder melden Sie sich zuerst ab, um ein anderes Konto zu verwenden.",
		"login.err.disabled":      "Dieses Konto ist gesperrt. Wenden Sie sich an die Administration der Universität.",
		"login.err.rules":         "Die Anmeldung ist wegen eines Konfigurationsproblems gerade nicht möglich. Bitte informieren Sie die Administration der Universität.",
		"login.err.role":          "Ihre Rolle „%s“ gibt keinen Zugang zu %s.",
		"login.err.window":        "Die Anmeldung ist nur %s erlaubt (%s).",
		"login.err.window.and":    ", und nur ",
		"login.window.from_to":    "%s vom %s bis %s",
		"login.window.from":       "%s ab %s",
		"login.window.until":      "%s bis %s",

		"consent.title":        "%s zulassen?",
		"consent.intro":        "wird nicht vom campus-Team der Universität betrieben. Die Anwendung möchte:",
		"consent.signed_in":    "Angemeldet als %s. Sie können diese Erlaubnis jederzeit in Ihrem Profil widerrufen.",
		"consent.allow":        "Zulassen",
		"consent.deny":         "Ablehnen",
		"consent.again.title":  "Bitte melden Sie sich erneut an",
		"consent.again":        "Ihre Anmeldung ist abgelaufen, bevor Sie geantwortet haben. Gehen Sie zurück zur Anwendung und melden Sie sich erneut an.",
		"scope.openid":         "wissen, dass Sie es sind (die Kennung Ihres campus-Kontos)",
		"scope.profile":        "Ihren Namen und Benutzernamen sehen",
		"scope.email":          "Ihre E-Mail-Adresse sehen",
		"scope.offline_access": "Zugriff behalten, während Sie sie nicht verwenden",
		"scope.users_read":     "die Konten anderer Personen lesen",
		"scope.users_write":    "die Konten anderer Personen ändern",
		"scope.roles_write":    "Rollen anlegen und ändern",
		"scope.studies_write":  "Studiengänge, Module und Lehrveranstaltungen ändern",
		"scope.grades_write":   "Noten eintragen",
		"scope.grades_read":    "Noten lesen",
		"scope.messages_read":  "Ihre Unterhaltungen und Nachrichten lesen",
		"scope.messages_write": "in Ihrem Namen Nachrichten schreiben und Unterhaltungen beginnen",
		"scope.events_write":   "Veranstaltungen anlegen und ihre Konten und PINs erzeugen",

		"logout.title":           "Abmelden",
		"logout.heading":         "Von campus abmelden?",
		"logout.signed_in_as":    "Sie sind angemeldet als",
		"logout.explain":         "Die Abmeldung beendet Ihre campus-Anmeldung in diesem Browser, für alle campus-Anwendungen.",
		"logout.submit":          "Abmelden",
		"logout.stay":            "Wenn Sie sich nicht abmelden wollten, schließen Sie diese Seite: Sie bleiben angemeldet.",
		"logout.failed":          "Abmeldung fehlgeschlagen",
		"logout.err.unreadable":  "Die Abmeldung konnte nicht gelesen werden. Gehen Sie zurück zur Anwendung und versuchen Sie es noch einmal.",
		"logout.err.invalid":     "Abmeldelink ungültig",
		"logout.err.invalid_msg": "Dieser Abmeldelink ist nicht gültig. Gehen Sie zurück zu der Anwendung, von der Sie kamen.",
		"logout.err.expired":     "Das Abmeldeformular ist abgelaufen. Gehen Sie zurück zur Anwendung und melden Sie sich noch einmal ab.",
		"loggedout.title":        "Abgemeldet",
		"loggedout.message":      "Sie sind von allen campus-Anwendungen abgemeldet.",

		"register.title":             "Konto anlegen",
		"register.intro":             "Registrieren Sie sich als Studentin oder Student der Universität. Wir schicken Ihnen einen Link, mit dem Sie Ihre E-Mail-Adresse bestätigen.",
		"register.submit":            "Konto anlegen",
		"register.already":           "Schon registriert?",
		"register.signin":            "Anmelden",
		"register.signin_elsewhere":  "Melden Sie sich in der Anwendung an, die Sie nutzen möchten.",
		"register.failed":            "Registrierung fehlgeschlagen",
		"register.err.expired":       "Ihr Formular ist abgelaufen. Bitte geben Sie Ihr Passwort noch einmal ein und senden Sie das Formular erneut.",
		"register.err.too_many":      "Zu viele Registrierungen aus Ihrem Netzwerk. Versuchen Sie es in %s noch einmal.",
		"register.err.taken":         "Der Benutzername ist vergeben.",
		"register.given_name":        "Vorname",
		"register.family_name":       "Nachname",
		"register.display_name":      "Name, den andere sehen",
		"register.display_name.hint": "Leer lassen, um Vor- und Nachnamen zu verwenden.",
		"register.username":          "Benutzername",
		"register.username.hint":     "2 bis 64 Buchstaben, Ziffern, „.“, „_“ oder „-“. Mit ihm melden Sie sich an.",
		"register.password_confirm":  "Passwort wiederholen",
		"register.programme_id":      "Kürzel des Studiengangs",
		"register.programme_id.hint": "Das Kürzel Ihres Studiengangs, falls Sie es kennen, z. B. B-INF.",
		"register.programme_title":   "Studiengang",
		"done.title":                 "Konto angelegt",
		"done.heading":               "Ihr Konto ist bereit",
		"done.confirm":               "Wir haben Ihnen eine E-Mail mit einem Link geschickt, der Ihre E-Mail-Adresse bestätigt. Öffnen Sie ihn zuerst; melden Sie sich dann mit Ihrem Benutzernamen oder Ihrer E-Mail-Adresse und dem gewählten Passwort an.",
		"done.no_mail":               "Nach einigen Minuten noch keine E-Mail? Sehen Sie in Ihrem Spam-Ordner nach, oder",
		"done.no_mail.link":          "fordern Sie einen neuen Link an",
		"done.registered":            "Sie sind als Studentin oder Student registriert. Melden Sie sich mit Ihrem Benutzernamen oder Ihrer E-Mail-Adresse und dem gewählten Passwort an.",
		"done.continue":              "Weiter zur Anmeldung",
		"done.open_app":              "Öffnen Sie die campus-Anwendung, die Sie nutzen möchten, und melden Sie sich dort an.",

		"confirm.title":       "E-Mail-Adresse bestätigen",
		"confirm.message":     "Bestätigen Sie %s als E-Mail-Adresse des campus-Kontos %s.",
		"confirm.submit":      "Meine Adresse bestätigen",
		"confirm.done.title":  "E-Mail-Adresse bestätigt",
		"confirm.done":        "%s ist als E-Mail-Adresse von %s bestätigt. Sie können sich jetzt anmelden.",
		"confirm.taken.title": "Adresse vergeben",
		"confirm.taken":       "Ein anderes Konto verwendet diese E-Mail-Adresse inzwischen, deshalb kann sie nicht Ihre werden. Ändern Sie Ihre Adresse noch einmal in eine andere.",
		"resend.title":        "Neuer Bestätigungslink",
		"resend.intro":        "Geben Sie die E-Mail-Adresse ein, mit der Sie sich registriert haben. Wir schicken einen neuen Bestätigungslink an sie; frühere Links gelten dann nicht mehr.",
		"resend.submit":       "Neuen Link senden",
		"resend.empty":        "Geben Sie die E-Mail-Adresse ein, mit der Sie sich registriert haben.",
		"resend.done":         "Falls ein Konto mit dieser Adresse auf die Bestätigung wartet, haben wir ihm einen neuen Link geschickt. Sehen Sie in Ihrem Postfach (und im Spam-Ordner) nach; der Link ist %s gültig.",

		"forgot.title":     "Passwort vergessen?",
		"forgot.intro":     "Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Wir schicken einen Link, mit dem Sie ein neues Passwort wählen, an die E-Mail-Adresse Ihres Kontos.",
		"forgot.submit":    "Link senden",
		"forgot.directory": "Konten aus dem Verzeichnis der Universität ändern ihr Passwort im Verzeichnis.",
		"forgot.empty":     "Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein.",
		"forgot.done":      "Falls ein Konto passt, haben wir einen Link an seine E-Mail-Adresse geschickt. Sehen Sie in Ihrem Postfach (und im Spam-Ordner) nach; der Link ist %s gültig.",
		"reset.title":      "Neues Passwort wählen",
		"reset.for":        "Wählen Sie ein neues Passwort für",
		"reset.after":      "Danach werden alle Sitzungen des Kontos abgemeldet.",
		"reset.password":   "Neues Passwort",
		"reset.confirm":    "Neues Passwort wiederholen",
		"reset.submit":     "Passwort ändern",
		"reset.done.title": "Passwort geändert",
		"reset.done":       "Ihr Passwort ist geändert, und alle Sitzungen Ihres Kontos wurden abgemeldet. Melden Sie sich mit dem neuen Passwort erneut an.",
		"reset.done.some":  "Ihr Passwort ist geändert, aber nicht alle Sitzungen konnten abgemeldet werden. Melden Sie sich an und wählen Sie „Überall abmelden“, um sicherzugehen.",

		"mailbox.title":      "Entwickler-Postfach",
		"mailbox.note":       "Entwickler-Postfach.",
		"mailbox.explain":    "Es ist kein Mailserver eingerichtet, deshalb bewahrt campus seine E-Mails hier auf, statt sie zu versenden. Richten Sie SMTP ein (smtp_host, smtp_from), bevor echte Personen diese Installation nutzen; dann verschwindet diese Seite.",
		"mailbox.to":         "An %s, %s",
		"mailbox.all":        "Alle E-Mails",
		"mailbox.received":   "Empfangen",
		"mailbox.recipient":  "An",
		"mailbox.subject":    "Betreff",
		"mailbox.empty":      "Noch keine E-Mails.",
		"mailbox.local_only": "Das Entwickler-Postfach wird nur Browsern auf dem Rechner des Servers gezeigt.",
		"mailbox.no_such":    "Diese E-Mail gibt es im Entwickler-Postfach nicht.",
	})
}
