package portal

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

type profileView struct {
	Me             me
	Errors         map[string]string
	Notice         string
	Conflict       *me // what identity has now, when someone changed it meanwhile
	PasswordErrors map[string]string
	SemesterInput  string // what was typed, when it was not a number
	// PresenceKnown says the messages API told whether the person hides
	// their presence (PresenceHidden).
	PresenceKnown, PresenceHidden bool
	// Sessions are the person's sessions at identity (SessionsKnown:
	// identity told them).
	Sessions      []sessionRow
	SessionsKnown bool
	// Factors is the person's sign-in security at identity (nil: identity
	// did not tell it now).
	Factors *factorsView
}

func (s *server) profile(w http.ResponseWriter, r *http.Request, sess *session) {
	m, err := s.identity.Me(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v := profileView{Me: m}
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Notice = T(langOf(r), "profile.saved")
	case "password":
		v.Notice = T(langOf(r), "profile.password.changed")
	case "presence":
		v.Notice = T(langOf(r), "msg.presence.saved")
	case "session_ended", "sessions_ended", "session_gone":
		v.Notice = T(langOf(r), "sessions.done."+r.URL.Query().Get("done"))
	}
	if list, err := s.identity.MySessions(r.Context(), sess); err == nil {
		v.Sessions, v.SessionsKnown = sessionRows(langOf(r), list), true
	} else {
		s.d.Logger.WarnContext(r.Context(), "profile: sessions", "err", err)
	}
	if s.messagingOn() {
		if hidden, err := s.messages.PresenceHidden(r.Context(), sess); err == nil {
			v.PresenceKnown, v.PresenceHidden = true, hidden
		} else {
			s.d.Logger.WarnContext(r.Context(), "profile: presence setting", "err", err)
		}
	}
	s.renderProfile(w, r, sess, http.StatusOK, v)
}

// renderProfile shows the profile with the person's second factors, as
// far as identity tells them: without an answer the rest of the page
// shows, and the section says so.
func (s *server) renderProfile(w http.ResponseWriter, r *http.Request, sess *session, status int, v profileView) {
	if f, err := s.identity.MyFactors(r.Context(), sess); err == nil {
		v.Factors = factorsOf(langOf(r), f)
		v.Factors.Manage = s.manageURL(f.ManageURL)
	} else {
		s.d.Logger.WarnContext(r.Context(), "profile: second factors", "err", err)
	}
	s.render(w, status, "profile", s.page(r, "profile.title", v))
}

// saveProfile sends the changed fields as a merge patch against the
// version the form was made from; a change made meanwhile is shown, not
// overwritten.
func (s *server) saveProfile(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	mine := me{Username: f("username"), Email: f("email"), DisplayName: f("display_name"), GivenName: f("given_name"),
		FamilyName: f("family_name"), Version: version, Locale: f("locale")}
	errs := map[string]string{}
	var locale any // null: mails follow the browser
	switch mine.Locale {
	case "":
	case string(English), string(German):
		locale = mine.Locale
	default:
		errs["locale"] = T(langOf(r), "profile.locale.invalid")
	}
	if sem := f("semester"); sem != "" {
		n, err := strconv.Atoi(sem)
		if err != nil || n < 0 || n > 40 {
			errs["semester"] = T(langOf(r), "profile.semester.invalid")
		}
		mine.Semester = n
	}
	if len(errs) > 0 {
		s.renderProfile(w, r, sess, http.StatusUnprocessableEntity, profileView{Me: mine, Errors: errs, SemesterInput: f("semester")})
		return
	}
	patch := map[string]any{"username": mine.Username, "email": mine.Email, "display_name": mine.DisplayName,
		"given_name": mine.GivenName, "family_name": mine.FamilyName, "semester": mine.Semester, "locale": locale}
	// A new address is confirmed by a mail in the browser's language.
	err := s.identity.UpdateMe(r.Context(), sess, version, patch, string(langOf(r)))
	switch st := statusOf(err); {
	case err == nil:
		if name := cmp.Or(mine.DisplayName, mine.Username); name != sess.Name { // the bar shows the new name
			sess.Name = name
			if err := s.rp.persist(r, sess); err != nil {
				s.d.Logger.WarnContext(r.Context(), "keep the new name in the session", "err", err)
			}
		}
		http.Redirect(w, r, s.d.Base+"/profile?done=saved", http.StatusSeeOther)
	case errors.Is(err, errStale):
		now, err := s.identity.Me(r.Context(), sess)
		if err != nil {
			s.d.Logger.WarnContext(r.Context(), "read the profile changed meanwhile", "err", err)
		}
		mine.Version = now.Version // saving again overwrites knowingly
		s.renderProfile(w, r, sess, http.StatusConflict, profileView{Me: mine, Conflict: &now,
			Notice: T(langOf(r), "profile.conflict")})
	case st == http.StatusUnprocessableEntity || st == http.StatusConflict || st == http.StatusBadRequest || st == http.StatusTooManyRequests:
		s.renderProfile(w, r, sess, http.StatusUnprocessableEntity, profileView{Me: mine, Errors: fieldErrors(problemOf(err))})
	default:
		s.apiFailed(w, r, err)
	}
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	lang := langOf(r)
	current, next, again := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("new_password_again")
	errs := map[string]string{}
	if current == "" {
		errs["current_password"] = T(lang, "profile.password.current.missing")
	}
	if next != again {
		errs["new_password_again"] = T(lang, "profile.password.mismatch")
	}
	if len(errs) == 0 {
		err := s.identity.ChangePassword(r.Context(), sess, current, next)
		if err == nil {
			http.Redirect(w, r, s.d.Base+"/profile?done=password", http.StatusSeeOther)
			return
		}
		if st := statusOf(err); st/100 != 4 || st == http.StatusUnauthorized {
			s.apiFailed(w, r, err)
			return
		}
		prob := problemOf(err)
		errs = prob.fields()
		if len(errs) == 0 {
			errs["new_password"] = prob.Detail
		}
	}
	m, err := s.identity.Me(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	s.renderProfile(w, r, sess, http.StatusUnprocessableEntity, profileView{Me: m, PasswordErrors: errs})
}
