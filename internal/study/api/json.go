package api

import (
	"time"

	"campus/internal/study"
	"campus/internal/study/store"
)

// The API's JSON shapes (api/study.yaml). Inputs use pointers so that a
// merge patch changes exactly the fields it names.

type programmeJSON struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Degree          string    `json:"degree"`
	Semesters       int       `json:"semesters"`
	CreditsRequired int       `json:"credits_required"`
	Description     string    `json:"description"`
	Language        string    `json:"language"`
	Status          string    `json:"status"`
	Version         int       `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func programmeOut(p study.Programme) programmeJSON {
	return programmeJSON{ID: p.ID, Title: p.Title, Degree: p.Degree, Semesters: p.Semesters, CreditsRequired: p.CreditsRequired,
		Description: p.Description, Language: p.Language, Status: string(p.Status), Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type programmeInput struct {
	Title           *string `json:"title"`
	Degree          *string `json:"degree"`
	Semesters       *int    `json:"semesters"`
	CreditsRequired *int    `json:"credits_required"`
	Description     *string `json:"description"`
	Language        *string `json:"language"`
	Status          *string `json:"status"`
}

func (in programmeInput) apply(p *study.Programme) {
	set(&p.Title, in.Title)
	set(&p.Degree, in.Degree)
	set(&p.Semesters, in.Semesters)
	set(&p.CreditsRequired, in.CreditsRequired)
	set(&p.Description, in.Description)
	set(&p.Language, in.Language)
	if in.Status != nil {
		p.Status = study.ProgrammeStatus(*in.Status)
	}
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

type moduleJSON struct {
	ID                string    `json:"id"`
	Code              string    `json:"code"`
	Title             string    `json:"title"`
	Credits           int       `json:"credits"`
	DurationSemesters int       `json:"duration_semesters"`
	Description       string    `json:"description"`
	Responsible       string    `json:"responsible"`
	TeachingForm      string    `json:"teaching_form"`
	ExaminationForm   string    `json:"examination_form"`
	Version           int       `json:"version"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func moduleOut(m study.Module) moduleJSON {
	return moduleJSON{ID: m.ID, Code: m.Code, Title: m.Title, Credits: m.Credits, DurationSemesters: m.DurationSemesters,
		Description: m.Description, Responsible: m.Responsible, TeachingForm: m.TeachingForm, ExaminationForm: m.ExaminationForm,
		Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

type moduleInput struct {
	Code              *string `json:"code"`
	Title             *string `json:"title"`
	Credits           *int    `json:"credits"`
	DurationSemesters *int    `json:"duration_semesters"`
	Description       *string `json:"description"`
	Responsible       *string `json:"responsible"`
	TeachingForm      *string `json:"teaching_form"`
	ExaminationForm   *string `json:"examination_form"`
}

func (in moduleInput) apply(m *study.Module) {
	set(&m.Code, in.Code)
	set(&m.Title, in.Title)
	set(&m.Credits, in.Credits)
	set(&m.DurationSemesters, in.DurationSemesters)
	set(&m.Description, in.Description)
	set(&m.Responsible, in.Responsible)
	set(&m.TeachingForm, in.TeachingForm)
	set(&m.ExaminationForm, in.ExaminationForm)
}

type lectureJSON struct {
	ID           string    `json:"id"`
	Code         string    `json:"code"`
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	Semester     string    `json:"semester"`
	Responsible  string    `json:"responsible"`
	HoursPerWeek int       `json:"hours_per_week"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func lectureOut(l study.Lecture) lectureJSON {
	return lectureJSON{ID: l.ID, Code: l.Code, Title: l.Title, Description: l.Description, Semester: string(l.Semester),
		Responsible: l.Responsible, HoursPerWeek: l.HoursPerWeek, Version: l.Version, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

func lecturesOut(ls []study.Lecture) []lectureJSON {
	out := make([]lectureJSON, len(ls))
	for i, l := range ls {
		out[i] = lectureOut(l)
	}
	return out
}

type lectureInput struct {
	Code         *string `json:"code"`
	Title        *string `json:"title"`
	Description  *string `json:"description"`
	Semester     *string `json:"semester"`
	Responsible  *string `json:"responsible"`
	HoursPerWeek *int    `json:"hours_per_week"`
}

func (in lectureInput) apply(l *study.Lecture) {
	set(&l.Code, in.Code)
	set(&l.Title, in.Title)
	set(&l.Description, in.Description)
	set(&l.Responsible, in.Responsible)
	set(&l.HoursPerWeek, in.HoursPerWeek)
	if in.Semester != nil {
		l.Semester = study.Offered(*in.Semester)
	}
}

type moduleInProgrammeJSON struct {
	moduleJSON
	Compulsory          bool          `json:"compulsory"`
	RecommendedSemester int           `json:"recommended_semester"`
	Lectures            []lectureJSON `json:"lectures"`
}

type programmeDetailJSON struct {
	programmeJSON
	Modules []moduleInProgrammeJSON `json:"modules"`
	Staff   *[]string               `json:"staff,omitempty"`
}

// staffOut is the list of responsible staff, never null, for the callers
// who may see it (Principal.Staff: the subject ids are identity's, not the
// public catalogue's); nil leaves the field out.
func staffOut(s []string, shown bool) *[]string {
	if !shown {
		return nil
	}
	if s == nil {
		s = []string{}
	}
	return &s
}

func treeOut(t study.ProgrammeTree, staff bool) programmeDetailJSON {
	d := programmeDetailJSON{programmeJSON: programmeOut(t.Programme), Modules: make([]moduleInProgrammeJSON, len(t.Modules)), Staff: staffOut(t.Staff, staff)}
	for i, m := range t.Modules {
		d.Modules[i] = moduleInProgrammeJSON{moduleJSON: moduleOut(m.Module), Compulsory: m.Compulsory,
			RecommendedSemester: m.RecommendedSemester, Lectures: lecturesOut(m.Lectures)}
	}
	return d
}

type programmeRefJSON struct {
	ID                  string `json:"id"`
	Title               string `json:"title"`
	Compulsory          bool   `json:"compulsory"`
	RecommendedSemester int    `json:"recommended_semester"`
}

type moduleDetailJSON struct {
	moduleJSON
	Lectures   []lectureJSON      `json:"lectures"`
	Programmes []programmeRefJSON `json:"programmes"`
	Staff      *[]string          `json:"staff,omitempty"`
}

func moduleDetailOut(d study.ModuleDetail, staff bool) moduleDetailJSON {
	out := moduleDetailJSON{moduleJSON: moduleOut(d.Module), Lectures: lecturesOut(d.Lectures), Programmes: []programmeRefJSON{}, Staff: staffOut(d.Staff, staff)}
	for _, p := range d.Programmes {
		out.Programmes = append(out.Programmes, programmeRefJSON{ID: p.ID, Title: p.Title, Compulsory: p.Compulsory, RecommendedSemester: p.RecommendedSemester})
	}
	return out
}

type moduleRefJSON struct {
	ID    string `json:"id"`
	Code  string `json:"code"`
	Title string `json:"title"`
}

type lectureDetailJSON struct {
	lectureJSON
	Modules []moduleRefJSON `json:"modules"`
}

func lectureDetailOut(d study.LectureDetail) lectureDetailJSON {
	out := lectureDetailJSON{lectureJSON: lectureOut(d.Lecture), Modules: []moduleRefJSON{}}
	for _, m := range d.Modules {
		out.Modules = append(out.Modules, moduleRefJSON{ID: m.ID, Code: m.Code, Title: m.Title})
	}
	return out
}

type linkInput struct {
	Compulsory          *bool `json:"compulsory"`
	RecommendedSemester *int  `json:"recommended_semester"`
}

type enrolmentJSON struct {
	ID             string `json:"id"`
	Subject        string `json:"subject"`
	ProgrammeID    string `json:"programme_id"`
	ProgrammeTitle string `json:"programme_title"`
	Since          string `json:"since"`
	Status         string `json:"status"`
	Version        int    `json:"version"`
}

const dateLayout = "2006-01-02"

func enrolmentOut(e store.EnrolmentView) enrolmentJSON {
	return enrolmentJSON{ID: e.ID, Subject: e.Subject, ProgrammeID: e.ProgrammeID, ProgrammeTitle: e.ProgrammeTitle,
		Since: e.Since.Format(dateLayout), Status: string(e.Status), Version: e.Version}
}

type gradeJSON struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	LectureID string    `json:"lecture_id,omitempty"`
	ModuleID  string    `json:"module_id,omitempty"`
	Attempt   int       `json:"attempt"`
	Grade     string    `json:"grade"`
	GradedOn  string    `json:"graded_on"`
	Grader    string    `json:"grader"`
	Status    string    `json:"status"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func gradeOut(g study.GradeRecord) gradeJSON {
	return gradeJSON{ID: g.ID, Subject: g.Subject, LectureID: g.LectureID, ModuleID: g.ModuleID, Attempt: g.Attempt,
		Grade: g.Grade.String(), GradedOn: g.Date.Format(dateLayout), Grader: g.Grader, Status: string(g.Status),
		Version: g.Version, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

func gradesOut(gs []study.GradeRecord) []gradeJSON {
	out := make([]gradeJSON, len(gs))
	for i, g := range gs {
		out[i] = gradeOut(g)
	}
	return out
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
