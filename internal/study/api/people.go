package api

import (
	"net/http"
	"time"

	"campus/internal/problem"
	"campus/internal/rest"
	"campus/internal/study"
	"campus/internal/study/store"
	"campus/internal/study/subjects"
)

// myEnrolments lists the person's enrolments a page at a time (limit and
// cursor, as every list): it used to answer the first 200 and drop the
// rest without a next_cursor.
func (s *server) myEnrolments(w http.ResponseWriter, r *http.Request, p *Principal) {
	qs := rest.NewQuery(r)
	q := store.EnrolmentQuery{Subject: p.Subject, Page: page(qs)}
	if qs.Answer(w) {
		return
	}
	items, next, err := s.store.Enrolments(r.Context(), q)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := list[enrolmentJSON]{Items: make([]enrolmentJSON, len(items)), NextCursor: next}
	for i, e := range items {
		out.Items[i] = enrolmentOut(e)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

type myEnrolmentInput struct {
	ProgrammeID string `json:"programme_id"`
}

func (s *server) enrolMe(w http.ResponseWriter, r *http.Request, p *Principal) {
	if !writes(w, p) {
		return
	}
	var in myEnrolmentInput
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	e, err := s.store.Enrol(r.Context(), study.Enrolment{Subject: p.Subject, ProgrammeID: in.ProgrammeID}, true)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusCreated, e.Version, enrolmentOut(e))
}

type enrolmentPatch struct {
	Status string `json:"status"`
}

// patchMyEnrolment lets a person withdraw from (or return to) their own
// enrolment; completing a programme is the examination office's.
func (s *server) patchMyEnrolment(w http.ResponseWriter, r *http.Request, p *Principal) {
	if !writes(w, p) {
		return
	}
	version, ok := s.ifMatch(w, r, func() (int, error) {
		e, err := s.store.Enrolment(r.Context(), r.PathValue("id"))
		if err == nil && e.Subject != p.Subject {
			err = study.ErrNotFound
		}
		return e.Version, err
	})
	if !ok {
		return
	}
	var in enrolmentPatch
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	e, err := s.store.Enrolment(r.Context(), r.PathValue("id"))
	if err == nil && e.Subject != p.Subject {
		err = study.ErrNotFound
	}
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	status := study.EnrolmentStatus(in.Status)
	if status != study.EnrolmentWithdrawn && status != study.EnrolmentActive {
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values",
			Errors: []problem.FieldError{{Field: "status", Detail: "You can set withdrawn or active."}}})
		return
	}
	e, err = s.store.SetEnrolmentStatus(r.Context(), e.ID, version, status)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, e.Version, enrolmentOut(e))
}

type overviewJSON struct {
	Programme       programmeJSON      `json:"programme"`
	CreditsEarned   int                `json:"credits_earned"`
	CreditsRequired int                `json:"credits_required"`
	Progress        float64            `json:"progress"`
	Mean            string             `json:"mean,omitempty"`
	Modules         []moduleResultJSON `json:"modules"`
}

type moduleResultJSON struct {
	ModuleID            string              `json:"module_id"`
	Code                string              `json:"code"`
	Title               string              `json:"title"`
	Credits             int                 `json:"credits"`
	Compulsory          bool                `json:"compulsory"`
	RecommendedSemester int                 `json:"recommended_semester"`
	Status              string              `json:"status"`
	Mark                string              `json:"mark,omitempty"`
	Lectures            []lectureResultJSON `json:"lectures"`
}

type lectureResultJSON struct {
	LectureID    string `json:"lecture_id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	HoursPerWeek int    `json:"hours_per_week"`
	Grade        string `json:"grade,omitempty"`
	Attempt      int    `json:"attempt,omitempty"`
	Status       string `json:"status"`
}

func overviewOut(o study.Overview, t study.ProgrammeTree) overviewJSON {
	out := overviewJSON{Programme: programmeOut(t.Programme), CreditsEarned: o.CreditsEarned, CreditsRequired: o.CreditsRequired,
		Progress: o.Progress, Modules: []moduleResultJSON{}}
	if o.HasMean {
		out.Mean = o.Mean.String()
	}
	byID := map[string]study.ModuleInProgramme{}
	for _, m := range t.Modules {
		byID[m.ID] = m
	}
	for _, res := range o.Modules {
		m := byID[res.ModuleID]
		mr := moduleResultJSON{ModuleID: res.ModuleID, Code: m.Code, Title: m.Title, Credits: res.Credits, Compulsory: m.Compulsory,
			RecommendedSemester: m.RecommendedSemester, Status: string(res.Status), Lectures: []lectureResultJSON{}}
		if res.Status == study.ModulePassed || res.Status == study.ModuleFailed {
			mr.Mark = res.Mark.String()
		}
		lectures := map[string]study.Lecture{}
		for _, l := range m.Lectures {
			lectures[l.ID] = l
		}
		for _, lo := range res.Lectures {
			l := lectures[lo.LectureID]
			lr := lectureResultJSON{LectureID: lo.LectureID, Code: l.Code, Title: l.Title, HoursPerWeek: l.HoursPerWeek, Status: string(lo.Status)}
			if lo.Grade.Valid() {
				lr.Grade, lr.Attempt = lo.Grade.String(), lo.Attempt
			}
			mr.Lectures = append(mr.Lectures, lr)
		}
		out.Modules = append(out.Modules, mr)
	}
	return out
}

func (s *server) myGrades(w http.ResponseWriter, r *http.Request, p *Principal) {
	records, err := s.store.GradesOf(r.Context(), p.Subject)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	enrolments, _, err := s.store.Enrolments(r.Context(), store.EnrolmentQuery{Subject: p.Subject, Status: study.EnrolmentActive, Page: store.Page{Limit: 200}})
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := struct {
		Records    []gradeJSON    `json:"records"`
		Programmes []overviewJSON `json:"programmes"`
	}{Records: gradesOut(records), Programmes: []overviewJSON{}}
	for _, e := range enrolments {
		o, t, err := s.store.Overview(r.Context(), p.Subject, e.ProgrammeID)
		if err != nil {
			fail(w, r, s.logger, err)
			return
		}
		out.Programmes = append(out.Programmes, overviewOut(o, t))
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// myOverview answers the caller's standing in a programme: the one named
// by programme_id, or else the one they study. Without programme_id it is
// their one active enrolment; with several active ones it cannot guess and
// answers 400 naming the parameter; with none active, the most recent
// enrolment they had (a graduate's record). The API access page offers
// the address without programme_id, so it must answer for most people.
func (s *server) myOverview(w http.ResponseWriter, r *http.Request, p *Principal) {
	programme := r.URL.Query().Get("programme_id")
	if programme == "" {
		var ok bool
		if programme, ok = s.myProgramme(w, r, p); !ok {
			return
		}
	} else {
		enrolments, _, err := s.store.Enrolments(r.Context(), store.EnrolmentQuery{Subject: p.Subject, ProgrammeID: programme, Page: store.Page{Limit: 1}})
		if err != nil {
			fail(w, r, s.logger, err)
			return
		}
		if len(enrolments) == 0 {
			problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "You are not enrolled in this programme."})
			return
		}
	}
	o, t, err := s.store.Overview(r.Context(), p.Subject, programme)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, overviewOut(o, t))
}

// myProgramme picks the programme of myOverview without programme_id, or
// answers the problem and reports false.
func (s *server) myProgramme(w http.ResponseWriter, r *http.Request, p *Principal) (string, bool) {
	var all []store.EnrolmentView
	q := store.EnrolmentQuery{Subject: p.Subject, Page: store.Page{Limit: 200}}
	for {
		items, next, err := s.store.Enrolments(r.Context(), q)
		if err != nil {
			fail(w, r, s.logger, err)
			return "", false
		}
		all = append(all, items...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	var active []store.EnrolmentView
	for _, e := range all {
		if e.Status == study.EnrolmentActive {
			active = append(active, e)
		}
	}
	switch {
	case len(active) == 1:
		return active[0].ProgrammeID, true
	case len(active) > 1:
		problem.Write(w, problem.Details{Status: http.StatusBadRequest,
			Detail: "You are enrolled in several programmes; say which one with programme_id.",
			Errors: []problem.FieldError{{Field: "programme_id", Detail: "Choose one of your programmes."}}})
		return "", false
	case len(all) == 0:
		problem.Write(w, problem.Details{Status: http.StatusNotFound,
			Detail: "You are not enrolled in any programme."})
		return "", false
	}
	latest := all[0]
	for _, e := range all[1:] {
		if e.Since.After(latest.Since) || e.Since.Equal(latest.Since) && e.CreatedAt.After(latest.CreatedAt) {
			latest = e
		}
	}
	return latest.ProgrammeID, true
}

func (s *server) listEnrolments(w http.ResponseWriter, r *http.Request, p *Principal) {
	qs := rest.NewQuery(r)
	q := store.EnrolmentQuery{Subject: qs.Get("subject"), ProgrammeID: qs.Get("programme_id"),
		Status: study.EnrolmentStatus(qs.Get("status")), Page: page(qs)}
	if qs.Answer(w) {
		return
	}
	items, next, err := s.store.Enrolments(r.Context(), q)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := list[enrolmentJSON]{Items: make([]enrolmentJSON, len(items)), NextCursor: next}
	for i, e := range items {
		out.Items[i] = enrolmentOut(e)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

type enrolmentInput struct {
	Subject     string `json:"subject"`
	ProgrammeID string `json:"programme_id"`
	Since       string `json:"since"`
}

func (s *server) enrol(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in enrolmentInput
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	e := study.Enrolment{Subject: in.Subject, ProgrammeID: in.ProgrammeID}
	if in.Since != "" {
		d, err := time.Parse(dateLayout, in.Since)
		if err != nil {
			problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values",
				Errors: []problem.FieldError{{Field: "since", Detail: "Use a date like 2026-10-01."}}})
			return
		}
		e.Since = d
	}
	if !s.personExists(w, r, in.Subject) {
		return
	}
	v, err := s.store.Enrol(r.Context(), e, false)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusCreated, v.Version, enrolmentOut(v))
}

// personExists answers for a subject staff name: it must be one of
// identity's people, as identity says now. A subject that cannot be
// checked is refused too (503), never taken on trust.
func (s *server) personExists(w http.ResponseWriter, r *http.Request, subject string) bool {
	if !subjects.ValidID(subject) {
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values", Detail: "Some values break a rule; see errors.",
			Errors: []problem.FieldError{{Field: "subject", Detail: "Name the person by their subject id at identity, such as 0190f3a4-8b1c-7d2e-9f00-1234567890ab."}}})
		return false
	}
	if s.people == nil {
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Title: "Cannot check people",
			Detail: "Enrolling someone needs the study service's client credentials at identity, to check that the person exists; none are configured (CAMPUS_STUDY_CLIENT_ID and CAMPUS_STUDY_CLIENT_SECRET)."})
		return false
	}
	unknown, err := s.people.Unknown(r.Context(), []string{subject})
	if err != nil {
		s.logger.WarnContext(r.Context(), "study: cannot check a subject at identity", "err", err)
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Title: "Identity unavailable",
			Detail: "Identity, which knows who exists, cannot be reached to check this person; nothing was stored. Try again shortly."})
		return false
	}
	if len(unknown) > 0 {
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values", Detail: "Some values break a rule; see errors.",
			Errors: []problem.FieldError{{Field: "subject", Detail: "Identity has no person with this subject id."}}})
		return false
	}
	return true
}

type gradeInput struct {
	Subject  string `json:"subject"`
	Grade    string `json:"grade"`
	Attempt  int    `json:"attempt"`
	GradedOn string `json:"graded_on"`
	Status   string `json:"status"`
}

// record turns the input into a record, collecting every field problem.
// JSON takes grades as the scale writes them ("1.3"); lenient also takes
// what spreadsheets write ("1,3", "2"), for CSV uploads.
func (in gradeInput) record(grader string, lenient bool) (study.GradeRecord, []problem.FieldError) {
	var errs []problem.FieldError
	g := study.GradeRecord{Subject: in.Subject, Attempt: in.Attempt, Grader: grader, Status: study.GradeStatus(in.Status)}
	if in.Subject == "" {
		errs = append(errs, problem.FieldError{Field: "subject", Detail: "Name the person (their subject id)."})
	}
	grade, err := study.ParseGrade(in.Grade)
	if err != nil || (!lenient && grade.String() != in.Grade) {
		errs = append(errs, problem.FieldError{Field: "grade", Detail: "Use a grade on the scale: 1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0."})
	}
	g.Grade = grade
	if in.GradedOn != "" {
		d, err := time.Parse(dateLayout, in.GradedOn)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: "graded_on", Detail: "Use a date like 2026-02-14."})
		}
		g.Date = d
	}
	if in.Status != "" && !g.Status.Valid() {
		errs = append(errs, problem.FieldError{Field: "status", Detail: "Use provisional or final."})
	}
	return g, errs
}

func (s *server) addGrade(w http.ResponseWriter, r *http.Request, p *Principal, lectureID, moduleID string) {
	var in gradeInput
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	g, errs := in.record(p.Subject, false)
	if len(errs) > 0 {
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values", Detail: "Some values break a rule; see errors.", Errors: errs})
		return
	}
	g.LectureID, g.ModuleID = lectureID, moduleID
	var err error
	if lectureID != "" {
		_, err = s.store.Lecture(r.Context(), lectureID)
	} else {
		_, err = s.store.Module(r.Context(), moduleID)
	}
	if err == nil {
		g, err = s.store.AddGrade(r.Context(), g)
	}
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusCreated, g.Version, gradeOut(g))
}

type gradePatch struct {
	Grade    *string `json:"grade"`
	GradedOn *string `json:"graded_on"`
	Status   *string `json:"status"`
}

func (s *server) patchGrade(w http.ResponseWriter, r *http.Request, p *Principal) {
	version, ok := s.ifMatch(w, r, versionAt(r, s.store.Grade, gradeVersion))
	if !ok {
		return
	}
	var in gradePatch
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	var errs []problem.FieldError
	var grade study.Grade
	var date time.Time
	if in.Grade != nil {
		g, err := study.ParseGrade(*in.Grade)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: "grade", Detail: "Use a grade on the scale: 1.0 to 4.0 or 5.0."})
		}
		grade = g
	}
	if in.GradedOn != nil {
		d, err := time.Parse(dateLayout, *in.GradedOn)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: "graded_on", Detail: "Use a date like 2026-02-14."})
		}
		date = d
	}
	if len(errs) > 0 {
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values", Errors: errs})
		return
	}
	g, err := s.store.UpdateGrade(r.Context(), r.PathValue("id"), version, func(g *study.GradeRecord) {
		if in.Grade != nil {
			g.Grade = grade
		}
		if in.GradedOn != nil {
			g.Date = date
		}
		if in.Status != nil {
			g.Status = study.GradeStatus(*in.Status)
		}
		g.Grader = p.Subject
	})
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, g.Version, gradeOut(g))
}

func (s *server) deleteGrade(w http.ResponseWriter, r *http.Request, p *Principal) {
	version, ok := s.ifMatch(w, r, versionAt(r, s.store.Grade, gradeVersion))
	if !ok {
		return
	}
	if err := s.store.DeleteGrade(r.Context(), r.PathValue("id"), version); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func gradeVersion(g study.GradeRecord) int { return g.Version }

func (s *server) lectureGrades(w http.ResponseWriter, r *http.Request, p *Principal) {
	if _, err := s.store.Lecture(r.Context(), r.PathValue("id")); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	gs, err := s.store.LectureGrades(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, list[gradeJSON]{Items: gradesOut(gs)})
}

type studentJSON struct {
	Subject      string `json:"subject"`
	ProgrammeID  string `json:"programme_id"`
	Grade        string `json:"grade,omitempty"`
	Attempt      int    `json:"attempt,omitempty"`
	Status       string `json:"status,omitempty"`
	AttemptsUsed int    `json:"attempts_used"`
}

func (s *server) lectureStudents(w http.ResponseWriter, r *http.Request, p *Principal) {
	students, err := s.store.LectureStudents(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := list[studentJSON]{Items: []studentJSON{}}
	for _, st := range students {
		sj := studentJSON{Subject: st.Subject, ProgrammeID: st.ProgrammeID}
		for _, g := range st.Records {
			sj.AttemptsUsed = max(sj.AttemptsUsed, g.Attempt)
			if g.Attempt >= sj.Attempt {
				sj.Grade, sj.Attempt, sj.Status = g.Grade.String(), g.Attempt, string(g.Status)
			}
		}
		out.Items = append(out.Items, sj)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

type statsJSON struct {
	LectureID    string         `json:"lecture_id"`
	Count        int            `json:"count"`
	Mean         string         `json:"mean,omitempty"`
	PassRate     float64        `json:"pass_rate"`
	Distribution map[string]int `json:"distribution"`
}

func (s *server) lectureStatistics(w http.ResponseWriter, r *http.Request, p *Principal) {
	if _, err := s.store.Lecture(r.Context(), r.PathValue("id")); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	gs, err := s.store.LectureGrades(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	st := study.LectureStats(gs)
	out := statsJSON{LectureID: r.PathValue("id"), Count: st.Count, PassRate: st.PassRate, Distribution: map[string]int{}}
	if st.Count > 0 {
		out.Mean = st.Mean.String()
	}
	for _, step := range study.Steps {
		out.Distribution[step.String()] = st.Distribution[step]
	}
	rest.Reply(w, http.StatusOK, 0, out)
}
