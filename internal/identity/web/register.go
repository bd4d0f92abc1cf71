package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"campus/internal/i18n"
	"campus/internal/problem"
)

// The registration page: anyone may register as a student. It shares the
// rules, limits and audit of POST /api/v1/registrations (registrar), and
// the sign-in page's CSRF protection. A person who came from the sign-in
// page carries its authRequestID through, and goes back there afterwards.

type fieldView struct {
	Name, Label, Type, Autocomplete, Hint, Value, Error string
	// Optional marks a field that may stay empty, in the page's language.
	Optional string
	Required bool
}

// DescribedBy lists the ids of the hint and error that describe the field.
func (f fieldView) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

type registerView struct {
	chrome
	Title, Base, CSRF, AuthRequestID, ClientName, Message string
	Fields                                                []fieldView
	Errors                                                []fieldView // the fields with an error, for the summary
	LoginURL                                              string      // on the confirmation page
	Confirm                                               bool        // a confirmation link was mailed
}

// registerFields are the form's fields in order, in lang. Passwords are
// never shown again.
func registerFields(lang i18n.Lang, in registration, errs []problem.FieldError) []fieldView {
	fields := []fieldView{
		{Name: "given_name", Label: T(lang, "register.given_name"), Type: "text", Autocomplete: "given-name", Value: in.GivenName, Required: true},
		{Name: "family_name", Label: T(lang, "register.family_name"), Type: "text", Autocomplete: "family-name", Value: in.FamilyName, Required: true},
		{Name: "display_name", Label: T(lang, "register.display_name"), Type: "text", Autocomplete: "name", Value: in.DisplayName,
			Hint: T(lang, "register.display_name.hint")},
		{Name: "email", Label: T(lang, "field.email"), Type: "email", Autocomplete: "email", Value: in.Email, Required: true},
		{Name: "username", Label: T(lang, "register.username"), Type: "text", Autocomplete: "username", Value: in.Username, Required: true,
			Hint: T(lang, "register.username.hint")},
		{Name: "password", Label: T(lang, "field.password"), Type: "password", Autocomplete: "new-password", Required: true,
			Hint: T(lang, "field.password.hint")},
		{Name: "password_confirm", Label: T(lang, "register.password_confirm"), Type: "password", Autocomplete: "new-password", Required: true},
		{Name: "programme_id", Label: T(lang, "register.programme_id"), Type: "text", Autocomplete: "off", Value: in.ProgrammeID,
			Hint: T(lang, "register.programme_id.hint")},
		{Name: "programme_title", Label: T(lang, "register.programme_title"), Type: "text", Autocomplete: "off", Value: in.ProgrammeTitle},
	}
	return markErrors(lang, fields, errs)
}

// sentence makes a field error ("is required") read on its own.
func sentence(s string) string {
	if s == "" {
		return s
	}
	verb, _, _ := strings.Cut(s, " ")
	switch verb {
	case "is", "may", "must", "has", "does", "cannot", "belongs":
		s = "This " + s
	default:
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// handleRegisterForm shows the registration form.
func handleRegisterForm(l *login) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ar := l.pendingRequest(r, r.URL.Query().Get("authRequestID"))
		renderRegister(w, r, l, l.pages, http.StatusOK, ar, registration{}, nil, "")
	})
}

// handleRegisterSubmit registers someone from the form, and on success
// sends them on to the confirmation page.
func handleRegisterSubmit(l *login, reg *registrar) http.Handler {
	p := l.pages
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.readForm(w, r, 16<<10, "register.failed") {
			return
		}
		f := r.PostForm
		r, ar := l.pendingRequest(r, f.Get("authRequestID"))
		lang := langOf(r)
		in := registration{Username: f.Get("username"), Email: f.Get("email"), Password: f.Get("password"),
			DisplayName: f.Get("display_name"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name"),
			ProgrammeID: f.Get("programme_id"), ProgrammeTitle: f.Get("programme_title")}
		if !l.csrfOK(r) {
			renderRegister(w, r, l, p, http.StatusForbidden, ar, in, nil, T(lang, "register.err.expired"))
			return
		}
		shown := in
		shown.trim()
		errs := shown.validate(l.cfg.passwordPolicy())
		if f.Get("password_confirm") != in.Password {
			errs = append(errs, problem.FieldError{Field: "password_confirm", Detail: "does not match the password"})
		}
		if errs != nil {
			renderRegister(w, r, l, p, http.StatusUnprocessableEntity, ar, in, errs, "")
			return
		}
		// The page's language goes along: it becomes the account's
		// language for mails (and the confirmation mail's).
		_, refused, err := reg.register(r.Context(), in, clientIP(r), string(lang))
		switch {
		case err != nil:
			l.fail(w, r, err)
		case refused != nil && refused.retryAfter > 0:
			w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
			msg := T(lang, "login.err.busy")
			if refused.status == http.StatusTooManyRequests {
				msg = T(lang, "register.err.too_many", waitIn(lang, refused.retryAfter))
			}
			renderRegister(w, r, l, p, refused.status, ar, in, nil, msg)
		case refused != nil:
			renderRegister(w, r, l, p, refused.status, ar, in, refused.fields, "")
		default:
			// Post/redirect/get: reloading the confirmation does not register again.
			done := l.base + "/register/done"
			if ar != "" {
				done += "?authRequestID=" + url.QueryEscape(ar)
			}
			http.Redirect(w, r, done, http.StatusSeeOther)
		}
	})
}

// handleRegisterDone says that the account was created.
func handleRegisterDone(l *login, reg *registrar) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ar := l.pendingRequest(r, r.URL.Query().Get("authRequestID"))
		lang := langOf(r)
		v := registerView{chrome: l.chrome(r, lang), Title: T(lang, "done.title"), Base: l.base, Confirm: reg.mail.Composer != nil}
		if ar != "" {
			v.LoginURL, v.AuthRequestID = l.base+"/login?authRequestID="+url.QueryEscape(ar), ar
		}
		l.pages.render(w, r, http.StatusOK, "register_done", v)
	})
}

// pendingRequest returns id if it names an authorization request still
// waiting for a sign-in, else "": a stale id is dropped, not an error, as
// registering does not depend on it. The request it returns carries the
// page language of that sign-in (its ui_locales first).
func (l *login) pendingRequest(r *http.Request, id string) (*http.Request, string) {
	if id == "" {
		return r, ""
	}
	ar, err := l.store.AuthRequest(r.Context(), id)
	if err != nil || ar.Done {
		return r, ""
	}
	return withLang(r, pageLang(r, ar.UILocales)), ar.ID
}

func renderRegister(w http.ResponseWriter, r *http.Request, l *login, p *pages, status int, authRequestID string, in registration, errs []problem.FieldError, msg string) {
	lang := langOf(r)
	v := registerView{chrome: l.chrome(r, lang), Title: T(lang, "register.title"), Base: l.base, CSRF: l.csrfToken(w, r), AuthRequestID: authRequestID,
		Message: msg, Fields: registerFields(lang, in, errs)}
	for _, f := range v.Fields {
		if f.Error != "" {
			v.Errors = append(v.Errors, f)
		}
	}
	if v.Errors != nil && v.Message == "" {
		v.Message = T(lang, "form.correct")
	}
	p.render(w, r, status, "register", v)
}
