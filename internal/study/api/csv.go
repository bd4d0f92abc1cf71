package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"campus/internal/csvsafe"
	"campus/internal/i18n"
	"campus/internal/problem"
	"campus/internal/rest"
	"campus/internal/study"
	"campus/internal/study/store"
)

const maxUpload = 5 << 20

// MaxUploadRows bounds the rows of one grade upload. A lecture's grades
// fit in it many times over; a larger file is a mistake or an attack, and
// would keep the check (and, when stored, the single writer) busy.
const MaxUploadRows = 5000

// errTooManyRows refuses a file with more than MaxUploadRows rows.
var errTooManyRows = fmt.Errorf("the file has more than %d rows; split it into several files", MaxUploadRows)

// rowsProblem is a 413 naming the row limit, for clients to show in
// their own words.
type rowsProblem struct {
	problem.Details
	MaxRows int `json:"max_rows"`
}

type csvRowJSON struct {
	Line    int    `json:"line"`
	Subject string `json:"subject"`
	// Person is the username or e-mail address the row named the person
	// by, when it did not give the subject id.
	Person  string `json:"person,omitempty"`
	Grade   string `json:"grade"`
	Attempt int    `json:"attempt,omitempty"`
	Result  string `json:"result"` // accepted, refused
	Reason  string `json:"reason,omitempty"`
}

type csvReport struct {
	DryRun   bool         `json:"dry_run"`
	Applied  bool         `json:"applied"`
	Accepted int          `json:"accepted"`
	Refused  int          `json:"refused"`
	Rows     []csvRowJSON `json:"rows"`
}

// uploadGrades takes a CSV of grades for one lecture. By default it is a
// dry run: every row is checked as if it were applied, and nothing is
// stored. With dry_run=false the accepted rows are stored in one
// transaction; refused rows are reported, never half-applied.
func (s *server) uploadGrades(w http.ResponseWriter, r *http.Request, p *Principal) {
	dryRun := r.URL.Query().Get("dry_run") != "false"
	lectureID := r.PathValue("id")
	if _, err := s.store.Lecture(r.Context(), lectureID); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "text/csv" {
		problem.Write(w, problem.Details{Status: http.StatusUnsupportedMediaType, Detail: "Send the grades as text/csv."})
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpload))
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge, Detail: "The file may be at most 5 MB."})
		return
	}
	rows, refused, err := parseGradeCSV(data, p.Subject, lectureID)
	if errors.Is(err, errTooManyRows) {
		p := problem.Translated(w, problem.Details{Title: "Too many rows", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("A grade file may have at most %d rows; split it into several files.", MaxUploadRows)})
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_ = json.NewEncoder(w).Encode(rowsProblem{MaxRows: MaxUploadRows, Details: p})
		return
	}
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Not a grade file", Detail: err.Error()})
		return
	}
	rows, refused, persons, err := s.resolvePeople(r.Context(), rows, refused)
	if err != nil {
		s.logger.WarnContext(r.Context(), "study: cannot resolve usernames at identity", "err", err)
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Title: "Identity unavailable",
			Detail: "Identity, which knows the usernames, cannot be reached to find the people of this file; nothing was stored. Try again shortly, or name people by subject id."})
		return
	}
	results, err := s.store.ApplyGrades(r.Context(), rows, !dryRun)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	report := csvReport{DryRun: dryRun, Applied: !dryRun, Rows: []csvRowJSON{}}
	byLine := map[int]csvRowJSON{}
	for _, res := range results {
		row := csvRowJSON{Line: res.Line, Subject: res.Record.Subject, Person: persons[res.Line], Grade: res.Record.Grade.String(), Attempt: res.Record.Attempt, Result: "accepted"}
		if res.Err != nil {
			row.Result, row.Reason, row.Attempt = "refused", reason(res.Err), 0
		}
		byLine[res.Line] = row
	}
	for _, row := range refused {
		byLine[row.Line] = row
	}
	for _, row := range byLine {
		report.Rows = append(report.Rows, row)
		if row.Result == "accepted" {
			report.Accepted++
		} else {
			report.Refused++
		}
	}
	slices.SortFunc(report.Rows, func(a, b csvRowJSON) int { return a.Line - b.Line })
	if report.Accepted == 0 {
		report.Applied = false
	}
	// The reasons are sentences for people, in the client's language as a
	// problem's would be.
	if lang := problem.LangOf(w); lang != i18n.English {
		for i, row := range report.Rows {
			report.Rows[i].Reason, _ = problem.Phrases.Translate(lang, row.Reason)
		}
		w.Header().Set("Content-Language", string(lang))
	}
	rest.Reply(w, http.StatusOK, 0, report)
}

func reason(err error) string {
	var ve *study.ValidationError
	switch {
	case errors.As(err, &ve) && len(ve.Fields) > 0:
		return ve.Fields[0].Message
	case errors.Is(err, store.ErrNotEnrolled):
		return "Not enrolled in a programme with this lecture."
	default:
		return conflictDetail(err)
	}
}

// parseGradeCSV reads the upload: UTF-8 (a BOM is fine), a header row with
// subject (or username; a row's subject, when empty, is its username) and
// grade and optionally attempt, graded_on, status and name (ignored: the
// template's names for the reader), separated
// by commas or semicolons. Rows it can refuse on their own (bad values,
// the same person twice) come back refused; the rest go to the store.
// A row with nothing but its person (no grade, attempt, date or status)
// is left out: a template with some grades filled in is a valid file.
// More than MaxUploadRows rows (blank lines aside) is errTooManyRows.
func parseGradeCSV(data []byte, grader, lectureID string) ([]store.GradeRow, []csvRowJSON, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, errors.New("the file is not UTF-8 text; save it as CSV (UTF-8)")
	}
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(firstLine, []byte(";")) > bytes.Count(firstLine, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, errors.New("the file is empty; the first line must name the columns: subject,grade")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the file is not valid CSV: %v", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch name {
		case "subject", "username", "grade", "attempt", "graded_on", "status":
			cols[name] = i
		case "name":
			// The template's column, for the reader's eyes only.
		default:
			return nil, nil, fmt.Errorf("unknown column %q; the columns are subject or username, grade, attempt, graded_on, status (and name, which is ignored)", h)
		}
	}
	_, hasSubject := cols["subject"]
	if _, ok := cols["username"]; !ok && !hasSubject {
		return nil, nil, errors.New("the first line must name the columns, with at least subject (or username) and grade")
	}
	if _, ok := cols["grade"]; !ok {
		return nil, nil, errors.New("the first line must name the columns, with at least subject and grade")
	}
	var rows []store.GradeRow
	var refused []csvRowJSON
	seen := map[string]int{}
	records := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) != 1 || strings.TrimSpace(rec[0]) != "" {
			if records++; records > MaxUploadRows {
				return nil, nil, errTooManyRows
			}
		}
		if err != nil {
			// A broken record has no fields to ask the position of.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			refused = append(refused, csvRowJSON{Line: line, Result: "refused", Reason: fmt.Sprintf("Not valid CSV: %v", err)})
			if !errors.As(err, &pe) {
				break // not a row's fault (a read error): stop here
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(csvsafe.Unneutralise(rec[i]))
			}
			return ""
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		person := get("subject")
		if person == "" {
			person = get("username")
		}
		in := gradeInput{Subject: person, Grade: get("grade"), GradedOn: get("graded_on"), Status: get("status")}
		if in.Grade == "" && in.GradedOn == "" && in.Status == "" && get("attempt") == "" {
			continue // a person not graded (yet): the template lists every student
		}
		row := csvRowJSON{Line: line, Subject: in.Subject, Grade: in.Grade, Result: "refused"}
		if a := get("attempt"); a != "" {
			n, err := strconv.Atoi(a)
			if err != nil || n < 1 {
				row.Reason = "The attempt must be a number like 1 or 2."
				refused = append(refused, row)
				continue
			}
			in.Attempt = n
		}
		g, errs := in.record(grader, true)
		if len(errs) > 0 {
			row.Reason = errs[0].Detail
			refused = append(refused, row)
			continue
		}
		if first, dup := seen[in.Subject]; dup {
			row.Reason = fmt.Sprintf("The same person as on line %d.", first)
			refused = append(refused, row)
			continue
		}
		seen[in.Subject] = line
		g.LectureID = lectureID
		rows = append(rows, store.GradeRow{Line: line, Record: g})
	}
	return rows, refused, nil
}

// exportGrades streams grades as CSV without holding them in memory.
func (s *server) exportGrades(w http.ResponseWriter, r *http.Request, p *Principal) {
	f := store.GradeExport{LectureID: r.URL.Query().Get("lecture_id"), ProgrammeID: r.URL.Query().Get("programme_id")}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="grades.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 32<<10)
	csvsafe.WriteRecord(bw, []string{"id", "subject", "lecture_id", "module_id", "attempt", "grade", "graded_on", "status", "grader"})
	n := 0
	err := s.store.EachGrade(r.Context(), f, func(g study.GradeRecord) error {
		csvsafe.WriteRecord(bw, []string{g.ID, g.Subject, g.LectureID, g.ModuleID, strconv.Itoa(g.Attempt), g.Grade.String(),
			g.Date.Format(dateLayout), string(g.Status), g.Grader})
		if n++; n%1000 == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			rc.Flush() //nolint:errcheck // a client gone away ends the query through the context
		}
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// The status is sent already; end the body so the client sees a
		// truncated file rather than a complete-looking one.
		s.logger.ErrorContext(r.Context(), "grade export", "err", err)
		panic(http.ErrAbortHandler)
	}
}
