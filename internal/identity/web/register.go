package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"campus/internal/problem"
)

// The registration page: anyone may register as a student. It shares the
// rules, limits and audit of POST /api/v1/registrations (registrar), and
// the sign-in page's CSRF protection. A person who came from the sign-in
// page carries its authRequestID through, and goes back there afterwards.

type fieldView struct {
	Name, Label, Type, Autocomplete, Hint, Value, Error string
	Required                                            bool
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
	Title, Base, CSRF, AuthRequestID, ClientName, Message string
	Fields                                                []fieldView
	Errors                                                []fieldView // the fields with an error, for the summary
	LoginURL                                              string      // on the confirmation page
	Confirm                                               bool        // a confirmation link was mailed
}

// registerFields are the form's fields in order. Passwords are never
// shown again.
func registerFields(in registration, errs []problem.FieldError) []fieldView {
	fields := []fieldView{
		{Name: "given_name", Label: "Given name", Type: "text", Autocomplete: "given-name", Value: in.GivenName, Required: true},
		{Name: "family_name", Label: "Family name", Type: "text", Autocomplete: "family-name", Value: in.FamilyName, Required: true},
		{Name: "display_name", Label: "Name shown to others", Type: "text", Autocomplete: "name", Value: in.DisplayName,
			Hint: "Leave empty to use your given and family name."},
		{Name: "email", Label: "E-mail address", Type: "email", Autocomplete: "email", Value: in.Email, Required: true},
		{Name: "username", Label: "Username", Type: "text", Autocomplete: "username", Value: in.Username, Required: true,
			Hint: "2 to 64 letters, digits, '.', '_' or '-'. You sign in with it."},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "new-password", Required: true,
			Hint: "At least 10 characters; not a common password and not your username or e-mail address."},
		{Name: "password_confirm", Label: "Repeat the password", Type: "password", Autocomplete: "new-password", Required: true},
		{Name: "programme_id", Label: "Programme code", Type: "text", Autocomplete: "off", Value: in.ProgrammeID,
			Hint: "The code of your study programme, if you know it, e.g. B-INF."},
		{Name: "programme_title", Label: "Programme", Type: "text", Autocomplete: "off", Value: in.ProgrammeTitle},
	}
	return markErrors(fields, errs)
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
		renderRegister(w, r, l, l.pages, http.StatusOK, l.pendingRequest(r, r.URL.Query().Get("authRequestID")), registration{}, nil, "")
	})
}

// handleRegisterSubmit registers someone from the form, and on success
// sends them on to the confirmation page.
func handleRegisterSubmit(l *login, reg *registrar) http.Handler {
	p := l.pages
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := parseForm(r); err != nil {
			l.message(w, http.StatusBadRequest, "Registration failed", "The form could not be read. Go back and try again.", true)
			return
		}
		f := r.PostForm
		ar := l.pendingRequest(r, f.Get("authRequestID"))
		in := registration{Username: f.Get("username"), Email: f.Get("email"), Password: f.Get("password"),
			DisplayName: f.Get("display_name"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name"),
			ProgrammeID: f.Get("programme_id"), ProgrammeTitle: f.Get("programme_title")}
		if !l.csrfOK(r) {
			renderRegister(w, r, l, p, http.StatusForbidden, ar, in, nil, "Your form expired. Please enter your password again and submit the form once more.")
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
		_, refused, err := reg.register(r.Context(), in, clientIP(r), lang(r))
		switch {
		case err != nil:
			l.fail(w, err)
		case refused != nil && refused.retryAfter > 0:
			w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
			renderRegister(w, r, l, p, refused.status, ar, in, nil, refused.detail)
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
		v := registerView{Title: "Account created", Base: l.base, Confirm: reg.mail.Composer != nil}
		if ar := l.pendingRequest(r, r.URL.Query().Get("authRequestID")); ar != "" {
			v.LoginURL, v.AuthRequestID = l.base+"/login?authRequestID="+url.QueryEscape(ar), ar
		}
		l.pages.render(w, http.StatusOK, "register_done", v)
	})
}

// pendingRequest returns id if it names an authorization request still
// waiting for a sign-in, else "": a stale id is dropped, not an error, as
// registering does not depend on it.
func (l *login) pendingRequest(r *http.Request, id string) string {
	if id == "" {
		return ""
	}
	ar, err := l.store.AuthRequest(r.Context(), id)
	if err != nil || ar.Done {
		return ""
	}
	return ar.ID
}

func renderRegister(w http.ResponseWriter, r *http.Request, l *login, p *pages, status int, authRequestID string, in registration, errs []problem.FieldError, msg string) {
	v := registerView{Title: "Create an account", Base: l.base, CSRF: l.csrfToken(w, r), AuthRequestID: authRequestID,
		Message: msg, Fields: registerFields(in, errs)}
	for _, f := range v.Fields {
		if f.Error != "" {
			v.Errors = append(v.Errors, f)
		}
	}
	if v.Errors != nil && v.Message == "" {
		v.Message = "Please correct the fields marked below."
	}
	p.render(w, status, "register", v)
}
