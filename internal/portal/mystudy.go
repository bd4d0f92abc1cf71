package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
)

// requireSession serves signed-in people; others go to sign in and come
// back to the page they wanted.
func (s *server) requireSession(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.rp.current(r)
		if sess == nil {
			http.Redirect(w, r, s.d.Base+"/auth/login?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, sess)
	}
}

// apiSend sends JSON to an API as the signed-in person and decodes the
// answer (or the problem) into into.
func (s *server) apiSend(ctx context.Context, sess *session, method, url string, body, into any) (int, error) {
	return s.apiCall(ctx, sess, method, url, "", body, into)
}

// apiCall is apiSend with an If-Match header when ifMatch is not "", and
// more headers as name, value pairs (empty values are left out).
func (s *server) apiCall(ctx context.Context, sess *session, method, url, ifMatch string, body, into any, headers ...string) (int, error) {
	var rd bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&rd).Encode(body); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, &rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := s.send(ctx, sess, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if into != nil {
		json.NewDecoder(resp.Body).Decode(into)
	}
	return resp.StatusCode, nil
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
	var grades struct {
		Programmes []overview `json:"programmes"`
	}
	status, err := s.apiGet(r.Context(), sess, s.d.StudyURL+"/v1/me/grades", &grades)
	if s.apiFailed(w, r, status, err) {
		return
	}
	data := map[string]any{"Detail": r.URL.Query().Get("view") == "detail"}
	if len(grades.Programmes) == 0 && r.URL.Query().Get("from") != "registration" && s.enrolAsRegistered(r, sess) {
		http.Redirect(w, r, s.d.Base+"/my?from=registration", http.StatusSeeOther)
		return
	}
	if len(grades.Programmes) == 0 {
		var list struct {
			Items []programmeItem `json:"items"`
		}
		if status, err := s.apiGet(r.Context(), nil, s.d.StudyURL+"/v1/programmes?limit=200", &list); s.apiFailed(w, r, status, err) {
			return
		}
		data["Choices"] = list.Items
	} else {
		ov := grades.Programmes[0]
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
	var m me
	if status, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/me", &m); err != nil || status != http.StatusOK || m.ProgrammeID == "" {
		return false
	}
	status, err := s.apiSend(r.Context(), sess, http.MethodPost, s.d.StudyURL+"/v1/me/enrolments", map[string]string{"programme_id": m.ProgrammeID}, nil)
	if err != nil || status != http.StatusCreated {
		s.d.Logger.Warn("enrol as registered", "status", status, "err", err)
		return false
	}
	return true
}

// enrol enrols the signed-in person in the chosen programme (POST, then a
// redirect: the page shows the result).
func (s *server) enrol(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	var problem struct {
		Detail string `json:"detail"`
	}
	status, err := s.apiSend(r.Context(), sess, http.MethodPost, s.d.StudyURL+"/v1/me/enrolments",
		map[string]string{"programme_id": r.PostFormValue("programme_id")}, &problem)
	if err == nil && status != http.StatusCreated && status != http.StatusConflict {
		s.fail(w, r, http.StatusUnprocessableEntity, problem.Detail)
		return
	}
	if s.apiFailed(w, r, http.StatusOK, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/my", http.StatusSeeOther)
}

// apiFailed answers a failed API call and reports whether it did.
func (s *server) apiFailed(w http.ResponseWriter, r *http.Request, status int, err error) bool {
	switch {
	case errors.Is(err, errSignedOut):
		http.Redirect(w, r, s.d.Base+"/auth/login?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	case err != nil:
		s.d.Logger.Error("API call", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusBadGateway, T(langOf(r), "error.unavailable"))
	case status == http.StatusUnauthorized:
		http.Redirect(w, r, s.d.Base+"/auth/login?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	case status/100 != 2:
		s.d.Logger.Error("API call", "path", r.URL.Path, "status", status)
		s.fail(w, r, http.StatusBadGateway, T(langOf(r), "error.unavailable"))
	default:
		return false
	}
	return true
}
