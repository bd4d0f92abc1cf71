package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// studyClient is the study API (api/study.yaml) as the portal uses it.
// Reads go as the signed-in person (or anonymously, sess nil); catalogue
// changes go with the session's study token, and end in errLocked without
// a live one.
type studyClient struct {
	apiClient
	// studyToken is the session's study token and how long it lasts.
	studyToken func(*session) (string, time.Duration)
}

// programme is a programme of the catalogue; Modules only in a single
// programme's answer.
type programme struct {
	ID              string   `json:"id"`
	Title           string   `json:"title"`
	Degree          string   `json:"degree"`
	Semesters       int      `json:"semesters"`
	CreditsRequired int      `json:"credits_required"`
	Description     string   `json:"description"`
	Language        string   `json:"language"`
	Status          string   `json:"status"`
	Version         int      `json:"version"`
	Modules         []module `json:"modules"`
}

// module is a module; the link's Compulsory and RecommendedSemester, and
// Lectures, only within a programme.
type module struct {
	ID                  string    `json:"id"`
	Code                string    `json:"code"`
	Title               string    `json:"title"`
	Credits             int       `json:"credits"`
	Description         string    `json:"description"`
	Responsible         string    `json:"responsible"`
	ExaminationForm     string    `json:"examination_form"`
	Compulsory          bool      `json:"compulsory"`
	RecommendedSemester int       `json:"recommended_semester"`
	Lectures            []lecture `json:"lectures"`
	Version             int       `json:"version"`
}

type lecture struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	Semester     string `json:"semester"`
	Responsible  string `json:"responsible"`
	HoursPerWeek int    `json:"hours_per_week"`
	Version      int    `json:"version"`
}

// listQuery asks for a page of a list: a search, where the last page
// ended, how many.
type listQuery struct {
	Q, Cursor string
	Limit     int
}

func (q listQuery) encode() string {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func esc(id string) string { return url.PathEscape(id) }

// Programmes lists the catalogue.
func (c studyClient) Programmes(ctx context.Context, sess *session, q listQuery) (listPage[programme], error) {
	var p listPage[programme]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/programmes" + q.encode()}, &p)
	return p, err
}

// Programme is a programme with its modules and their lectures.
func (c studyClient) Programme(ctx context.Context, sess *session, id string) (programme, error) {
	var p programme
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/programmes/" + esc(id)}, &p)
	return p, err
}

func (c studyClient) Modules(ctx context.Context, sess *session, q listQuery) (listPage[module], error) {
	var p listPage[module]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/modules" + q.encode()}, &p)
	return p, err
}

func (c studyClient) Module(ctx context.Context, sess *session, id string) (module, error) {
	var m module
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/modules/" + esc(id)}, &m)
	return m, err
}

func (c studyClient) Lectures(ctx context.Context, sess *session, q listQuery) (listPage[lecture], error) {
	var p listPage[lecture]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/lectures" + q.encode()}, &p)
	return p, err
}

func (c studyClient) Lecture(ctx context.Context, sess *session, id string) (lecture, error) {
	var l lecture
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/lectures/" + esc(id)}, &l)
	return l, err
}

// studentRow is one line of a lecture's grade entry table.
type studentRow struct {
	Subject      string `json:"subject"`
	Grade        string `json:"grade"`
	Attempt      int    `json:"attempt"`
	Status       string `json:"status"`
	AttemptsUsed int    `json:"attempts_used"`
	Name         string `json:"-"`
	Username     string `json:"-"` // identity's, for the CSV template
	DisplayName  string `json:"-"`
	Input        string `json:"-"` // the grade chosen in the form
	Error        string `json:"-"`
}

// LectureStudents is a page of 200 of a lecture's students and their
// grades.
func (c studyClient) LectureStudents(ctx context.Context, sess *session, id, cursor string) (listPage[studentRow], error) {
	var p listPage[studentRow]
	path := "/v1/lectures/" + esc(id) + "/students?limit=200"
	if cursor != "" {
		path += "&cursor=" + url.QueryEscape(cursor)
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: path}, &p)
	return p, err
}

type lectureStats struct {
	Count        int            `json:"count"`
	Mean         string         `json:"mean"`
	PassRate     float64        `json:"pass_rate"`
	Distribution map[string]int `json:"distribution"`
}

func (c studyClient) LectureStatistics(ctx context.Context, sess *session, id string) (lectureStats, error) {
	var st lectureStats
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/lectures/" + esc(id) + "/statistics"}, &st)
	return st, err
}

type csvReport struct {
	DryRun   bool `json:"dry_run"`
	Applied  bool `json:"applied"`
	Accepted int  `json:"accepted"`
	Refused  int  `json:"refused"`
	Rows     []struct {
		Line    int    `json:"line"`
		Subject string `json:"subject"`
		Person  string `json:"person"` // the username or address the row gave
		Grade   string `json:"grade"`
		Attempt int    `json:"attempt"`
		Result  string `json:"result"`
		Reason  string `json:"reason"`
	} `json:"rows"`
}

// UploadGrades sends a CSV file of grades, a check (dryRun) or for real.
func (c studyClient) UploadGrades(ctx context.Context, sess *session, id string, file []byte, dryRun bool) (*csvReport, error) {
	var rep csvReport
	err := c.do(ctx, sess, call{method: http.MethodPost, raw: file, contentType: "text/csv",
		path: "/v1/lectures/" + esc(id) + "/grades/upload?dry_run=" + strconv.FormatBool(dryRun)}, &rep)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

type lectureResult struct {
	LectureID    string `json:"lecture_id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	HoursPerWeek int    `json:"hours_per_week"`
	Grade        string `json:"grade"`
	Attempt      int    `json:"attempt"`
	Status       string `json:"status"`
}

type moduleResult struct {
	ModuleID            string          `json:"module_id"`
	Code                string          `json:"code"`
	Title               string          `json:"title"`
	Credits             int             `json:"credits"`
	Compulsory          bool            `json:"compulsory"`
	RecommendedSemester int             `json:"recommended_semester"`
	Status              string          `json:"status"`
	Mark                string          `json:"mark"`
	Lectures            []lectureResult `json:"lectures"`
}

type overview struct {
	Programme       programme      `json:"programme"`
	CreditsEarned   int            `json:"credits_earned"`
	CreditsRequired int            `json:"credits_required"`
	Progress        float64        `json:"progress"`
	Mean            string         `json:"mean"`
	Modules         []moduleResult `json:"modules"`
}

// MyGrades is the signed-in person's programmes with their results.
func (c studyClient) MyGrades(ctx context.Context, sess *session) ([]overview, error) {
	var g struct {
		Programmes []overview `json:"programmes"`
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/me/grades"}, &g)
	return g.Programmes, err
}

// Enrol enrols the signed-in person in a programme.
func (c studyClient) Enrol(ctx context.Context, sess *session, programmeID string) error {
	return c.do(ctx, sess, call{method: http.MethodPost, path: "/v1/me/enrolments", body: map[string]string{"programme_id": programmeID}}, nil)
}

// readURLs are what an API key reads at the study API, for the API access
// page: a translation key and the URL.
func (c studyClient) readURLs() [][2]string {
	return [][2]string{
		{"apikeys.url.programmes", c.base + "/v1/programmes"},
		{"apikeys.url.enrolments", c.base + "/v1/me/enrolments"},
		{"apikeys.url.grades", c.base + "/v1/me/grades"},
		{"apikeys.url.overview", c.base + "/v1/me/overview"},
	}
}

// Catalogue changes, with the study token.

// write sends a catalogue change with the session's study token.
func (c studyClient) write(ctx context.Context, sess *session, cl call, into any) error {
	if tok, _ := c.studyToken(sess); tok == "" {
		return errLocked
	}
	w := *sess
	w.useStudy = true
	err := c.do(ctx, &w, cl, into)
	if errors.Is(err, errStepUp) { // a good token, but without a second factor
		return err
	}
	if st := statusOf(err); st == http.StatusUnauthorized || st == http.StatusForbidden {
		return fmt.Errorf("%w: %w", errLocked, err) // the token ended or was revoked
	}
	return err
}

// ifMatch is the study API's entity tag of a version.
func ifMatch(version string) string { return `"` + version + `"` }

func (c studyClient) create(ctx context.Context, sess *session, path string, body any) (string, error) {
	var made struct {
		ID string `json:"id"`
	}
	err := c.write(ctx, sess, call{method: http.MethodPost, path: path, body: body}, &made)
	return made.ID, err
}

// CreateProgramme makes a programme and returns its id.
func (c studyClient) CreateProgramme(ctx context.Context, sess *session, body map[string]any) (string, error) {
	return c.create(ctx, sess, "/v1/programmes", body)
}

// PatchProgramme changes a programme (a merge patch) made from version.
func (c studyClient) PatchProgramme(ctx context.Context, sess *session, id, version string, patch map[string]any) error {
	return c.write(ctx, sess, call{method: http.MethodPatch, path: "/v1/programmes/" + esc(id), ifMatch: ifMatch(version), body: patch}, nil)
}

func (c studyClient) CreateModule(ctx context.Context, sess *session, body map[string]any) (string, error) {
	return c.create(ctx, sess, "/v1/modules", body)
}

func (c studyClient) PatchModule(ctx context.Context, sess *session, id, version string, patch map[string]any) error {
	return c.write(ctx, sess, call{method: http.MethodPatch, path: "/v1/modules/" + esc(id), ifMatch: ifMatch(version), body: patch}, nil)
}

func (c studyClient) CreateLecture(ctx context.Context, sess *session, body map[string]any) (string, error) {
	return c.create(ctx, sess, "/v1/lectures", body)
}

func (c studyClient) PatchLecture(ctx context.Context, sess *session, id, version string, patch map[string]any) error {
	return c.write(ctx, sess, call{method: http.MethodPatch, path: "/v1/lectures/" + esc(id), ifMatch: ifMatch(version), body: patch}, nil)
}

// LinkModule puts a module into a programme; link is compulsory and
// recommended_semester.
func (c studyClient) LinkModule(ctx context.Context, sess *session, programmeID, moduleID string, link map[string]any) error {
	return c.write(ctx, sess, call{method: http.MethodPut, path: "/v1/programmes/" + esc(programmeID) + "/modules/" + esc(moduleID), body: link}, nil)
}

func (c studyClient) UnlinkModule(ctx context.Context, sess *session, programmeID, moduleID string) error {
	return c.write(ctx, sess, call{method: http.MethodDelete, path: "/v1/programmes/" + esc(programmeID) + "/modules/" + esc(moduleID)}, nil)
}

// LinkLecture puts a lecture into a module.
func (c studyClient) LinkLecture(ctx context.Context, sess *session, moduleID, lectureID string) error {
	return c.write(ctx, sess, call{method: http.MethodPut, path: "/v1/modules/" + esc(moduleID) + "/lectures/" + esc(lectureID)}, nil)
}

func (c studyClient) UnlinkLecture(ctx context.Context, sess *session, moduleID, lectureID string) error {
	return c.write(ctx, sess, call{method: http.MethodDelete, path: "/v1/modules/" + esc(moduleID) + "/lectures/" + esc(lectureID)}, nil)
}
