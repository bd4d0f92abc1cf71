package portal

import (
	"bufio"
	"errors"
	"net/http"
	"strings"

	"campus/internal/csvsafe"
	"campus/internal/lazyregexp"
)

// gradeTemplate is a CSV file of a lecture's students for the grade
// upload: subject, username, name and an empty grade column, in the order
// of the grading page. The study service reads it back as it is (name is
// ignored, rows without a grade are left out). Names come from identity
// with the staff member's own token (GET /api/v1/people, which grades:read
// reaches): the portal asks for no more than the page shows already.
func (s *server) gradeTemplate(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	lec, err := s.study.Lecture(r.Context(), sess, id)
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "grading.nolecture"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	students, ok := s.students(w, r, sess, id)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+templateName(lec.Code)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	csvsafe.WriteRecord(bw, []string{"subject", "username", "name", "grade"})
	for _, st := range students {
		csvsafe.WriteRecord(bw, []string{st.Subject, st.Username, st.DisplayName, ""})
	}
	bw.Flush() //nolint:errcheck // a client gone away gets a short file
}

var unsafeName = lazyregexp.New(`[^A-Za-z0-9._-]+`)

// templateName is the download's file name, from the lecture's code.
func templateName(code string) string {
	code = strings.Trim(unsafeName.ReplaceAllString(code, "-"), "-.")
	if code == "" {
		code = "lecture"
	}
	return "grades-" + code + ".csv"
}
