package study

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"campus/internal/lazyregexp"
)

// ErrValidation matches every *ValidationError with errors.Is, so the API
// can map invalid input to one status without knowing the type.
var ErrValidation = errors.New("invalid input")

// ValidationError lists every problem found in a value at once, so a form
// can mark all wrong fields in one round trip.
type ValidationError struct {
	Fields []FieldError
}

// FieldError is one problem with one field. Field is the field's name in
// the JSON API ("credits_required"); Message is a sentence for people.
type FieldError struct {
	Field, Message string
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, " ")
}

// Is reports ErrValidation as a match.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

func (e *ValidationError) add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// err returns e as an error, or a nil interface when there is nothing to
// report (never a typed nil pointer, which would compare non-nil).
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Limits of the catalogue's fields, in characters (runes) after trimming
// surrounding white space, and in units for the numbers.
const (
	MaxTitle            = 200
	MaxDescription      = 10000
	MaxShortText        = 200 // responsible, teaching and examination form
	MaxDegree           = 50
	MaxSemesters        = 20
	MaxModuleCredits    = 300
	MaxProgrammeCredits = 600
	MaxDuration         = 12
	MaxHoursPerWeek     = 40
)

// ProgrammeStatus is where a programme is in its life: drafted, published
// for enrolment, or archived (no new enrolments).
type ProgrammeStatus string

// Programme statuses.
const (
	ProgrammeDraft     ProgrammeStatus = "draft"
	ProgrammePublished ProgrammeStatus = "published"
	ProgrammeArchived  ProgrammeStatus = "archived"
)

// Valid reports whether s is one of the programme statuses.
func (s ProgrammeStatus) Valid() bool {
	return s == ProgrammeDraft || s == ProgrammePublished || s == ProgrammeArchived
}

// Programme is a degree programme (Studiengang).
type Programme struct {
	ID, Title, Degree string // Degree e.g. "B.Sc.", "M.A.", "Staatsexamen"
	// Semesters is the standard period of study (Regelstudienzeit);
	// CreditsRequired the ECTS credits needed to complete it.
	Semesters, CreditsRequired int
	Description                string
	// Language is the language of instruction as a BCP 47 tag of a
	// language and an optional region ("de", "en", "de-DE"), or "" when
	// not stated.
	Language             string
	Status               ProgrammeStatus
	Version              int
	CreatedAt, UpdatedAt time.Time
}

// Validate reports every problem with p as a *ValidationError. It checks
// what a person enters; ID, Version and the timestamps belong to the store.
// Status is required: the API fills in a default before validating.
func (p Programme) Validate() error {
	var v ValidationError
	checkLine(&v, "title", titleTexts, p.Title, true, MaxTitle)
	checkLine(&v, "degree", degreeTexts, p.Degree, true, MaxDegree)
	checkRange(&v, "semesters", "The standard period must be between %d and %d semesters.", p.Semesters, 1, MaxSemesters)
	checkRange(&v, "credits_required", "Credits required must be between %d and %d.", p.CreditsRequired, 0, MaxProgrammeCredits)
	checkText(&v, "description", descriptionTexts, p.Description, MaxDescription)
	if p.Language != "" && !languageTag.MatchString(p.Language) {
		v.add("language", `Enter a language code such as "de", "en" or "de-DE".`)
	}
	if !p.Status.Valid() {
		v.add("status", "Status must be draft, published or archived.")
	}
	return v.err()
}

// languageTag is the subset of BCP 47 (RFC 5646 section 2.1) the catalogue
// accepts: a 2-3 letter language subtag and an optional region, either two
// letters or three digits (UN M.49, "es-419"), in the canonical case
// (RFC 5646 section 2.1.1) so that one language has one spelling.
var languageTag = lazyregexp.New(`^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$`)

// Module is a unit of study with its own credits, examined either through
// its lectures or, for a module with one examination, directly.
type Module struct {
	ID, Code, Title                                         string
	Credits, DurationSemesters                              int
	Description, Responsible, TeachingForm, ExaminationForm string
	Version                                                 int
	CreatedAt, UpdatedAt                                    time.Time
}

// Validate reports every problem with m as a *ValidationError.
func (m Module) Validate() error {
	var v ValidationError
	checkCode(&v, m.Code)
	checkLine(&v, "title", titleTexts, m.Title, true, MaxTitle)
	checkRange(&v, "credits", "Credits must be between %d and %d.", m.Credits, 0, MaxModuleCredits)
	checkRange(&v, "duration_semesters", "The duration must be between %d and %d semesters.", m.DurationSemesters, 1, MaxDuration)
	checkText(&v, "description", descriptionTexts, m.Description, MaxDescription)
	checkLine(&v, "responsible", responsibleTexts, m.Responsible, false, MaxShortText)
	checkLine(&v, "teaching_form", teachingFormTexts, m.TeachingForm, false, MaxShortText)
	checkLine(&v, "examination_form", examinationFormTexts, m.ExaminationForm, false, MaxShortText)
	return v.err()
}

// Offered says in which semesters a lecture is given.
type Offered string

// Semesters a lecture is offered in.
const (
	OfferedWinter Offered = "winter"
	OfferedSummer Offered = "summer"
	OfferedBoth   Offered = "both"
)

// Valid reports whether o is one of the offerings.
func (o Offered) Valid() bool {
	return o == OfferedWinter || o == OfferedSummer || o == OfferedBoth
}

// Lecture is a course (Lehrveranstaltung) that belongs to one or more
// modules. HoursPerWeek (SWS) weighs its grade in its module's mark.
type Lecture struct {
	ID, Code, Title, Description string
	Semester                     Offered
	Responsible                  string
	HoursPerWeek                 int
	Version                      int
	CreatedAt, UpdatedAt         time.Time
}

// Validate reports every problem with l as a *ValidationError.
func (l Lecture) Validate() error {
	var v ValidationError
	checkCode(&v, l.Code)
	checkLine(&v, "title", titleTexts, l.Title, true, MaxTitle)
	checkText(&v, "description", descriptionTexts, l.Description, MaxDescription)
	if !l.Semester.Valid() {
		v.add("semester", "Semester must be winter, summer or both.")
	}
	checkLine(&v, "responsible", responsibleTexts, l.Responsible, false, MaxShortText)
	checkRange(&v, "hours_per_week", "Hours per week must be between %d and %d.", l.HoursPerWeek, 0, MaxHoursPerWeek)
	return v.err()
}

// ProgrammeModule places a module in a programme.
type ProgrammeModule struct {
	ProgrammeID, ModuleID string
	Compulsory            bool
	RecommendedSemester   int
}

// Validate reports every problem with pm as a *ValidationError. The
// recommended semester is checked against the general limit of 1 to 20,
// not against the programme's standard period, which may change later.
func (pm ProgrammeModule) Validate() error {
	var v ValidationError
	if strings.TrimSpace(pm.ProgrammeID) == "" {
		v.add("programme_id", "Choose a programme.")
	}
	if strings.TrimSpace(pm.ModuleID) == "" {
		v.add("module_id", "Choose a module.")
	}
	checkRange(&v, "recommended_semester", "The recommended semester must be between %d and %d.", pm.RecommendedSemester, 1, MaxSemesters)
	return v.err()
}

// ModuleLecture places a lecture in a module.
type ModuleLecture struct {
	ModuleID, LectureID string
}

// EnrolmentStatus is where an enrolment is in its life.
type EnrolmentStatus string

// Enrolment statuses.
const (
	EnrolmentActive    EnrolmentStatus = "active"
	EnrolmentCompleted EnrolmentStatus = "completed"
	EnrolmentWithdrawn EnrolmentStatus = "withdrawn"
)

// Valid reports whether s is one of the enrolment statuses.
func (s EnrolmentStatus) Valid() bool {
	return s == EnrolmentActive || s == EnrolmentCompleted || s == EnrolmentWithdrawn
}

// Enrolment says that a person (by subject id) studies a programme.
type Enrolment struct {
	ID, Subject, ProgrammeID string
	Since                    time.Time // a calendar date; the time of day is not used
	Status                   EnrolmentStatus
	Version                  int
	CreatedAt, UpdatedAt     time.Time
}

// Validate reports every problem with e as a *ValidationError.
func (e Enrolment) Validate() error {
	var v ValidationError
	if strings.TrimSpace(e.Subject) == "" {
		v.add("subject", "Choose a person.")
	}
	if strings.TrimSpace(e.ProgrammeID) == "" {
		v.add("programme_id", "Choose a programme.")
	}
	if e.Since.IsZero() {
		v.add("since", "Enter the date of enrolment.")
	}
	if !e.Status.Valid() {
		v.add("status", "Status must be active, completed or withdrawn.")
	}
	return v.err()
}

var moduleCode = lazyregexp.New(`^[A-Za-z0-9._-]{1,32}$`)

func checkCode(v *ValidationError, code string) {
	switch {
	case code == "":
		v.add("code", "Enter a code.")
	case !moduleCode.MatchString(code):
		v.add("code", "Code must be 1 to 32 letters, digits, '-', '_' or '.', without spaces.")
	}
}

// lineTexts are what checkLine and checkText say about one field, each a
// whole sentence (or format), so that the API can translate it.
type lineTexts struct {
	enter   string // the field is required and empty
	invalid string // not valid UTF-8
	control string // a line break or another control character
	long    string // a format with the maximum length as %d
}

var (
	titleTexts = lineTexts{enter: "Enter a title.", invalid: "Title contains bytes that are not valid text.",
		control: "Title must be one line without control characters.", long: "Title must be at most %d characters."}
	degreeTexts = lineTexts{enter: "Enter a degree.", invalid: "Degree contains bytes that are not valid text.",
		control: "Degree must be one line without control characters.", long: "Degree must be at most %d characters."}
	descriptionTexts = lineTexts{invalid: "Description contains bytes that are not valid text.",
		long: "Description must be at most %d characters."}
	responsibleTexts = lineTexts{invalid: "Responsible contains bytes that are not valid text.",
		control: "Responsible must be one line without control characters.", long: "Responsible must be at most %d characters."}
	teachingFormTexts = lineTexts{invalid: "Teaching form contains bytes that are not valid text.",
		control: "Teaching form must be one line without control characters.", long: "Teaching form must be at most %d characters."}
	examinationFormTexts = lineTexts{invalid: "Examination form contains bytes that are not valid text.",
		control: "Examination form must be one line without control characters.", long: "Examination form must be at most %d characters."}
)

// checkLine checks one line of text: trimmed length up to max runes, no
// line breaks or other control characters.
func checkLine(v *ValidationError, field string, t lineTexts, s string, required bool, max int) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.add(field, t.enter)
	case !utf8.ValidString(s):
		v.add(field, t.invalid)
	case strings.ContainsFunc(s, unicode.IsControl):
		v.add(field, t.control)
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf(t.long, max))
	}
}

// checkText checks optional free text that may span lines.
func checkText(v *ValidationError, field string, t lineTexts, s string, max int) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		v.add(field, t.invalid)
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf(t.long, max))
	}
}

// checkRange checks that n is from lo to hi; format says so with lo and
// hi as its two %d.
func checkRange(v *ValidationError, field, format string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(field, fmt.Sprintf(format, lo, hi))
	}
}
