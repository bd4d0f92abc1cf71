package portal

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// grades is the German scale, best first, as the study service names it.
var grades = []string{"1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0"}

// maxUpload is the largest CSV file the study service takes.
const maxUpload = 5 << 20

// canGrade tells whether the session may record grades.
func canGrade(sess *session) bool { return slices.Contains(sess.Scopes, "grades:write") }

// requireGrader is requireSession for staff pages: others get 403.
func (s *server) requireGrader(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return s.requireSession(func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !canGrade(sess) {
			s.fail(w, r, http.StatusForbidden, T(langOf(r), "grading.forbidden"))
			return
		}
		h(w, r, sess)
	})
}

type gradingList struct {
	Q        string
	Lectures []lecture
	Next     template.URL // the next page's query, encoded here
}

// grading lists the lectures to grade, searchable, a page at a time.
func (s *server) grading(w http.ResponseWriter, r *http.Request, sess *session) {
	v := gradingList{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	list, err := s.study.Lectures(r.Context(), sess, listQuery{Limit: 50, Q: v.Q, Cursor: r.URL.Query().Get("cursor")})
	if s.apiFailed(w, r, err) {
		return
	}
	v.Lectures = list.Items
	if list.NextCursor != "" {
		next := listQuery{Q: v.Q, Cursor: list.NextCursor}
		v.Next = template.URL(strings.TrimPrefix(next.encode(), "?"))
	}
	s.render(w, http.StatusOK, "grading", s.page(r, "grading.title", v))
}

// bar is one column of the distribution chart.
type bar struct {
	Grade         string
	Count         int
	X, Y, Height  int
	LabelY        int
	Failed        bool
	TextX, CountY int
}

type lectureView struct {
	Lecture     lecture
	Students    []studentRow
	Stats       lectureStats
	PassPercent int
	Bars        []bar
	Grades      []string
	FinalInput  bool
	Notice      string
	Error       string
	StepUp      bool // the grades needed a sign-in with a second factor
	Report      *csvReport
	CSV         string // the previewed file, to store on confirmation
}

// loadLecture gathers a lecture's page: the lecture, its students with
// their names where the person may read accounts, and its statistics.
func (s *server) loadLecture(w http.ResponseWriter, r *http.Request, sess *session) (*lectureView, bool) {
	ctx, id := r.Context(), r.PathValue("id")
	v := &lectureView{Grades: grades}
	var err error
	var ok bool
	v.Lecture, err = s.study.Lecture(ctx, sess, id)
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "grading.nolecture"))
		return nil, false
	}
	if s.apiFailed(w, r, err) {
		return nil, false
	}
	if v.Students, ok = s.students(w, r, sess, id); !ok {
		return nil, false
	}
	v.Stats, err = s.study.LectureStatistics(ctx, sess, id)
	if s.apiFailed(w, r, err) {
		return nil, false
	}
	v.PassPercent = int(v.Stats.PassRate*100 + 0.5)
	v.Bars = chart(v.Stats.Distribution)
	return v, true
}

// students reads a lecture's students (at most 2,000) with their names.
func (s *server) students(w http.ResponseWriter, r *http.Request, sess *session, id string) ([]studentRow, bool) {
	var out []studentRow
	cursor := ""
	for {
		page, err := s.study.LectureStudents(r.Context(), sess, id, cursor)
		if s.apiFailed(w, r, err) {
			return nil, false
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" || len(out) >= 2000 {
			break
		}
	}
	s.names(r.Context(), sess, out)
	return out, true
}

// names fills in students' names from identity, which tells those who
// grade the username and display name of each subject (the study service
// knows people only by subject). Without an answer the table shows the
// subject ids.
func (s *server) names(ctx context.Context, sess *session, rows []studentRow) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Subject
	}
	people, err := s.identity.People(ctx, sess, ids)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "name the students", "err", err)
	}
	byID := map[string]person{}
	for _, p := range people {
		byID[p.ID] = p
	}
	for i := range rows {
		if p, ok := byID[rows[i].Subject]; ok {
			rows[i].Name = p.DisplayName + " (" + p.Username + ")"
			rows[i].Username, rows[i].DisplayName = p.Username, p.DisplayName
		}
	}
	slices.SortStableFunc(rows, func(a, b studentRow) int { return strings.Compare(a.Name, b.Name) })
}

// chart lays out the distribution as SVG bars in a 440×200 box.
func chart(dist map[string]int) []bar {
	top := 1
	for _, n := range dist {
		top = max(top, n)
	}
	bars := make([]bar, 0, len(grades))
	for i, g := range grades {
		n := dist[g]
		h := n * 160 / top
		x := 10 + i*39
		bars = append(bars, bar{Grade: g, Count: n, X: x, Y: 175 - h, Height: h, LabelY: 192, Failed: g == "5.0",
			TextX: x + 15, CountY: 170 - h})
	}
	return bars
}

func (s *server) lecture(w http.ResponseWriter, r *http.Request, sess *session) {
	v, ok := s.loadLecture(w, r, sess)
	if !ok {
		return
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("stored")); err == nil {
		v.Notice = T(langOf(r), "grading.stored", n)
	}
	s.render(w, http.StatusOK, "lecture", s.page(r, "grading.title", v))
}

// recordGrades stores the grades chosen in the table through the study
// service's CSV endpoint: checked first as a whole, stored only when every
// row is accepted (in one transaction), so nothing is half-saved.
func (s *server) recordGrades(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	status := "provisional"
	if r.PostForm.Get("final") == "on" {
		status = "final"
	}
	chosen := map[string]string{}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"subject", "grade", "status"})
	var order []string
	for k, vals := range r.PostForm {
		subject, ok := strings.CutPrefix(k, "grade:")
		if !ok || len(vals) == 0 || vals[0] == "" {
			continue
		}
		chosen[subject] = vals[0]
		order = append(order, subject)
	}
	slices.Sort(order)
	for _, subject := range order {
		cw.Write([]string{subject, chosen[subject], status})
	}
	cw.Flush()
	v, ok := s.loadLecture(w, r, sess)
	if !ok {
		return
	}
	v.FinalInput = status == "final"
	for i := range v.Students {
		v.Students[i].Input = chosen[v.Students[i].Subject]
	}
	if len(order) == 0 {
		v.Error = T(langOf(r), "grading.nothing")
		s.render(w, http.StatusUnprocessableEntity, "lecture", s.page(r, "grading.title", v))
		return
	}
	rep, ok := s.upload(w, r, sess, buf.Bytes(), true, v)
	if !ok {
		return
	}
	if rep.Refused == 0 {
		if rep, ok = s.upload(w, r, sess, buf.Bytes(), false, v); !ok {
			return
		}
	}
	if rep.Refused == 0 {
		http.Redirect(w, r, fmt.Sprintf("%s/grading/%s?stored=%d", s.d.Base, url.PathEscape(r.PathValue("id")), rep.Accepted), http.StatusSeeOther)
		return
	}
	// Refused rows: say why beside each, keep every choice, store nothing
	// (or, if the check passed and the store did not, what was stored).
	reasons := map[string]string{}
	for _, row := range rep.Rows {
		if row.Result == "refused" {
			reasons[row.Subject] = row.Reason
		}
	}
	for i := range v.Students {
		v.Students[i].Error = reasons[v.Students[i].Subject]
	}
	v.Error = T(langOf(r), "grading.refused", rep.Refused)
	if rep.Applied {
		v.Error = T(langOf(r), "grading.partly", rep.Accepted, rep.Refused)
	}
	s.render(w, http.StatusUnprocessableEntity, "lecture", s.page(r, "grading.title", v))
}

// upload sends a CSV file to the study service, a check or for real.
// typed is the page with the grades chosen in the table (nil for a
// file), shown again when the study service asks for a second factor.
func (s *server) upload(w http.ResponseWriter, r *http.Request, sess *session, file []byte, dryRun bool, typed *lectureView) (*csvReport, bool) {
	rep, err := s.study.UploadGrades(r.Context(), sess, r.PathValue("id"), file, dryRun)
	if errors.Is(err, errStepUp) {
		v, ok := typed, true
		if v == nil {
			v, ok = s.loadLecture(w, r, sess)
		}
		if ok {
			v.StepUp = true
			s.render(w, http.StatusForbidden, "lecture", s.page(r, "grading.title", v))
		}
		return nil, false
	}
	switch st := statusOf(err); st {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		prob := problemOf(err)
		v, ok := s.loadLecture(w, r, sess)
		if ok {
			v.Error = T(langOf(r), "grading.badfile", prob.Detail)
			if st == http.StatusRequestEntityTooLarge && prob.MaxRows > 0 {
				v.Error = T(langOf(r), "grading.toomanyrows", prob.MaxRows)
			}
			s.render(w, http.StatusUnprocessableEntity, "lecture", s.page(r, "grading.title", v))
		}
		return nil, false
	}
	if s.apiFailed(w, r, err) {
		return nil, false
	}
	return rep, true
}

// uploadCSV takes a spreadsheet's CSV file: the first post shows the study
// service's preview, row by row; confirming stores the accepted rows.
func (s *server) uploadCSV(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxUpload+64<<10)
	var file []byte
	confirm := false
	if err := r.ParseMultipartForm(1 << 20); err == nil && r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
		f, err := r.MultipartForm.File["file"][0].Open()
		if err == nil {
			file, err = io.ReadAll(io.LimitReader(f, maxUpload+1))
			f.Close()
		}
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
			return
		}
	} else {
		file = []byte(r.PostFormValue("csv"))
		confirm = r.PostFormValue("confirm") != ""
	}
	if len(file) == 0 || len(file) > maxUpload {
		v, ok := s.loadLecture(w, r, sess)
		if ok {
			v.Error = T(langOf(r), "grading.nofile")
			if len(file) > maxUpload {
				v.Error = T(langOf(r), "grading.toolarge")
			}
			s.render(w, http.StatusUnprocessableEntity, "lecture", s.page(r, "grading.title", v))
		}
		return
	}
	rep, ok := s.upload(w, r, sess, file, !confirm, nil)
	if !ok {
		return
	}
	if confirm && rep.Applied {
		http.Redirect(w, r, fmt.Sprintf("%s/grading/%s?stored=%d", s.d.Base, url.PathEscape(r.PathValue("id")), rep.Accepted), http.StatusSeeOther)
		return
	}
	v, ok := s.loadLecture(w, r, sess)
	if !ok {
		return
	}
	v.Report = rep
	if !confirm && rep.Accepted > 0 {
		v.CSV = string(file)
	}
	s.render(w, http.StatusOK, "lecture", s.page(r, "grading.title", v))
}
