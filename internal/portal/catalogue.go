package portal

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"campus/internal/problem"
)

// The public catalogue: programmes and their study plans.

func (s *server) catalogue(w http.ResponseWriter, r *http.Request) {
	q := listQuery{Limit: 50, Q: strings.TrimSpace(r.URL.Query().Get("q")), Cursor: r.URL.Query().Get("cursor")}
	list, err := s.study.Programmes(r.Context(), nil, q)
	if err != nil {
		s.d.Logger.ErrorContext(r.Context(), "catalogue", "err", err)
		s.fail(w, r, upstreamStatus(w, err), T(langOf(r), "error.unavailable"))
		return
	}
	s.render(w, http.StatusOK, "catalogue", s.page(r, "catalogue.title", map[string]any{
		"Items": list.Items, "Next": list.NextCursor, "Q": r.URL.Query().Get("q")}))
}

func (s *server) programme(w http.ResponseWriter, r *http.Request) {
	p, err := s.study.Programme(r.Context(), s.rp.current(r), r.PathValue("id"))
	switch {
	case errors.Is(err, errNotFound):
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "error.notfound"))
		return
	case s.apiFailed(w, r, err):
		return
	}
	// Modules by recommended semester: the study plan.
	bySemester := map[int][]module{}
	var semesters []int
	for _, m := range p.Modules {
		if _, ok := bySemester[m.RecommendedSemester]; !ok {
			semesters = append(semesters, m.RecommendedSemester)
		}
		bySemester[m.RecommendedSemester] = append(bySemester[m.RecommendedSemester], m)
	}
	slices.Sort(semesters)
	type semester struct {
		Number  int
		Modules []module
	}
	var plan []semester
	for _, n := range semesters {
		plan = append(plan, semester{n, bySemester[n]})
	}
	pg := s.page(r, "catalogue.title", map[string]any{"Programme": p, "Plan": plan})
	pg.Title = p.Degree + " " + p.Title
	s.render(w, http.StatusOK, "programme", pg)
}

// upstreamStatus is the status of a page an API call failed for: 503 with
// the API's Retry-After when the API said it is unavailable for the moment
// (its database restarting), so that people and proxies know to try again
// shortly; 502 for any other failure of the API.
func upstreamStatus(w http.ResponseWriter, err error) int {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(problem.RetryAfter))
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}
