package portal

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"campus/internal/db"
	"campus/internal/problem"
)

// requireSession serves signed-in people; others go to sign in and come
// back to the page they wanted. When the session could not be read
// because the portal's database is down, the page is a 503: sending a
// signed-in person to sign in again would not help.
func (s *server) requireSession(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, outage := db.WithOutageNote(r.Context())
		r = r.WithContext(ctx)
		sess := s.rp.current(r)
		if sess == nil && outage.Seen() {
			w.Header().Set("Retry-After", strconv.Itoa(problem.RetryAfter))
			s.fail(w, r, http.StatusServiceUnavailable, T(langOf(r), "error.unavailable"))
			return
		}
		if sess == nil {
			http.Redirect(w, r, s.d.Base+"/auth/login?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, sess)
	}
}

// semesterPlan groups modules by their recommended semester.
type semesterPlan struct {
	Number  int
	Modules []moduleResult
}

func plan(modules []moduleResult) []semesterPlan {
	by := map[int][]moduleResult{}
	var order []int
	for _, m := range modules {
		if _, ok := by[m.RecommendedSemester]; !ok {
			order = append(order, m.RecommendedSemester)
		}
		by[m.RecommendedSemester] = append(by[m.RecommendedSemester], m)
	}
	slices.Sort(order)
	out := make([]semesterPlan, len(order))
	for i, n := range order {
		out[i] = semesterPlan{n, by[n]}
	}
	return out
}

// myStudy is the student's page: the programme's modules as a list or a
// detailed list with lectures and grades, credits, and the study plan.
func (s *server) myStudy(w http.ResponseWriter, r *http.Request, sess *session) {
	programmes, err := s.study.MyGrades(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	data := map[string]any{"Detail": r.URL.Query().Get("view") == "detail"}
	if len(programmes) == 0 && r.URL.Query().Get("from") != "registration" && s.enrolAsRegistered(r, sess) {
		http.Redirect(w, r, s.d.Base+"/my?from=registration", http.StatusSeeOther)
		return
	}
	if len(programmes) == 0 {
		list, err := s.study.Programmes(r.Context(), nil, listQuery{Limit: 200})
		if s.apiFailed(w, r, err) {
			return
		}
		data["Choices"] = list.Items
	} else {
		ov := programmes[0]
		data["Overview"] = ov
		data["Percent"] = int(ov.Progress*100 + 0.5)
		data["Plan"] = plan(ov.Modules)
	}
	s.render(w, http.StatusOK, "mystudy", s.page(r, "my.title", data))
}

// enrolAsRegistered enrols a person who chose a programme when they
// registered and is not enrolled yet: the study service learns of them at
// their first sign-in. It reports whether it enrolled them.
func (s *server) enrolAsRegistered(r *http.Request, sess *session) bool {
	m, err := s.identity.Me(r.Context(), sess)
	if err != nil || m.ProgrammeID == "" {
		return false
	}
	if err := s.study.Enrol(r.Context(), sess, m.ProgrammeID); err != nil {
		s.d.Logger.WarnContext(r.Context(), "enrol as registered", "err", err)
		return false
	}
	return true
}

// enrol enrols the signed-in person in the chosen programme (POST, then a
// redirect: the page shows the result). Enrolled already is done too.
func (s *server) enrol(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	err := s.study.Enrol(r.Context(), sess, r.PostFormValue("programme_id"))
	if statusOf(err) != 0 && !errors.Is(err, errConflict) && !errors.Is(err, errStepUp) {
		s.fail(w, r, http.StatusUnprocessableEntity, problemOf(err).Detail)
		return
	}
	if errors.Is(err, errConflict) {
		err = nil
	}
	if s.apiFailed(w, r, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/my", http.StatusSeeOther)
}

// apiFailed answers a failed API call and reports whether it did: signed
// out (or refused as such) goes to sign in again; an API that cannot be
// reached is a 503 page naming it; anything else is the API's being
// unavailable (503 when the API said so, else 502).
func (s *server) apiFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errSignedOut):
		http.Redirect(w, r, s.d.Base+"/auth/login?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	case errors.Is(err, errStepUp):
		// A page that changes things says so on itself (StepUp); this is
		// for any other.
		lang := langOf(r)
		s.render(w, http.StatusForbidden, "message", s.page(r, "error.title", map[string]string{"Message": T(lang, "stepup.needed"),
			"Retry": s.d.Base + "/profile#security-h", "RetryLabel": T(lang, "stepup.link")}))
	case errors.Is(err, errIdentityDown):
		s.d.Logger.WarnContext(r.Context(), "API call: identity cannot be reached", "path", r.URL.Path, "err", err)
		s.unavailable(w, r, "error.identity.down", nil)
	case errors.Is(err, errStudyDown):
		s.d.Logger.WarnContext(r.Context(), "API call: the study service cannot be reached", "path", r.URL.Path, "err", err)
		s.unavailable(w, r, "error.study.down", nil)
	case errors.Is(err, errMessagesDown):
		s.d.Logger.WarnContext(r.Context(), "API call: the messages service cannot be reached", "path", r.URL.Path, "err", err)
		s.unavailable(w, r, "error.messages.down", nil)
	default:
		s.d.Logger.ErrorContext(r.Context(), "API call", "path", r.URL.Path, "err", err)
		s.fail(w, r, upstreamStatus(w, err), T(langOf(r), "error.unavailable"))
	}
	return true
}
