package portal

import (
	"net/http"
	"net/netip"
	"strings"
)

type registerView struct {
	Form       map[string]string
	Errors     map[string]string
	Programmes []programme
}

var registerFields = []string{"given_name", "family_name", "username", "email", "programme_id"}

// registerPage shows the registration form: an account at identity, the
// programme to enrol in at the first sign-in.
func (s *server) registerPage(w http.ResponseWriter, r *http.Request) {
	s.showRegister(w, r, http.StatusOK, registerView{Form: map[string]string{"programme_id": r.URL.Query().Get("programme")}})
}

func (s *server) showRegister(w http.ResponseWriter, r *http.Request, status int, v registerView) {
	list, err := s.study.Programmes(r.Context(), nil, listQuery{Limit: 200})
	if s.apiFailed(w, r, err) {
		return
	}
	v.Programmes = list.Items
	s.render(w, status, "register", s.page(r, "register.title", v))
}

func (s *server) register(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	lang := langOf(r)
	v := registerView{Form: formValues(r, registerFields...), Errors: map[string]string{}}
	pw, again := r.PostFormValue("password"), r.PostFormValue("password_again")
	for _, k := range []string{"given_name", "family_name", "username", "email"} {
		if v.Form[k] == "" {
			v.Errors[k] = T(lang, "register.missing")
		}
	}
	if pw == "" {
		v.Errors["password"] = T(lang, "register.missing")
	} else if pw != again {
		v.Errors["password_again"] = T(lang, "profile.password.mismatch")
	}
	if len(v.Errors) > 0 {
		s.showRegister(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	body := map[string]string{"username": v.Form["username"], "email": v.Form["email"], "password": pw,
		"given_name": v.Form["given_name"], "family_name": v.Form["family_name"]}
	if pid := v.Form["programme_id"]; pid != "" {
		p, err := s.study.Programme(r.Context(), nil, pid)
		if err != nil {
			v.Errors["programme_id"] = T(lang, "register.programme.unknown")
			s.showRegister(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		body["programme_id"], body["programme_title"] = p.ID, strings.TrimSpace(p.Degree+" "+p.Title)
	}
	// The page's language (the switch's, else the browser's) goes along:
	// identity keeps it as the account's language for mails, the
	// confirmation link's first.
	verified, err := s.identity.Register(r.Context(), body, clientAddr(r), string(lang))
	switch st := statusOf(err); {
	case err == nil && !verified:
		http.Redirect(w, r, s.d.Base+"/register/done?confirm=1", http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/register/done", http.StatusSeeOther)
	case st == http.StatusTooManyRequests:
		v.Errors["form"] = T(lang, "register.toomany")
		s.showRegister(w, r, http.StatusTooManyRequests, v)
	case st/100 == 4:
		v.Errors = fieldErrors(problemOf(err))
		s.showRegister(w, r, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

func (s *server) registered(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "registered", s.page(r, "register.title", r.URL.Query().Get("confirm") == "1"))
}

// clientAddr is the browser's address, which identity's per-address limit
// on registrations counts (instead of the portal's own).
func clientAddr(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().String()
	}
	return ""
}
