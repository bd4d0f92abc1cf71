package study

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkFields asserts that err lists exactly the fields want, in order, each
// with a sentence for people; want nil means err must be nil.
func checkFields(tb testing.TB, err error, want []string) {
	tb.Helper()
	if want == nil {
		if err != nil {
			tb.Fatalf("Validate = %v, want nil", err)
		}
		return
	}
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		tb.Fatalf("Validate = %v (%T), want a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrValidation) {
		tb.Errorf("errors.Is(%v, ErrValidation) = false", err)
	}
	var got []string
	for _, f := range ve.Fields {
		got = append(got, f.Field)
		if f.Message == "" || !strings.HasSuffix(f.Message, ".") || strings.ToUpper(f.Message[:1]) != f.Message[:1] {
			tb.Errorf("field %s: message %q is not a sentence", f.Field, f.Message)
		}
	}
	if !slices.Equal(got, want) {
		tb.Fatalf("fields = %v, want %v\n(%v)", got, want, err)
	}
}

func TestProgrammeValidate(t *testing.T) {
	t.Parallel()
	ok := Programme{Title: "Informatik", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180,
		Description: "Grundlagen und Praxis.", Language: "de", Status: ProgrammeDraft}
	tests := []struct {
		name   string
		modify func(*Programme)
		want   []string
	}{
		{"valid", func(*Programme) {}, nil},
		{"valid published", func(p *Programme) { p.Status = ProgrammePublished }, nil},
		{"valid archived", func(p *Programme) { p.Status = ProgrammeArchived }, nil},
		{"language not stated", func(p *Programme) { p.Language = "" }, nil},
		{"language with region", func(p *Programme) { p.Language = "de-DE" }, nil},
		{"language of three letters", func(p *Programme) { p.Language = "gsw" }, nil},
		{"language with numeric region", func(p *Programme) { p.Language = "es-419" }, nil},
		{"language in upper case", func(p *Programme) { p.Language = "DE" }, []string{"language"}},
		{"region in lower case", func(p *Programme) { p.Language = "de-de" }, []string{"language"}},
		{"language with underscore", func(p *Programme) { p.Language = "de_DE" }, []string{"language"}},
		{"language as a word", func(p *Programme) { p.Language = "german" }, []string{"language"}},
		{"language of one letter", func(p *Programme) { p.Language = "d" }, []string{"language"}},
		{"language with script", func(p *Programme) { p.Language = "zh-Hant" }, []string{"language"}},
		{"title of 200 characters with umlauts", func(p *Programme) { p.Title = strings.Repeat("ä", 200) }, nil},
		{"title of 201 characters", func(p *Programme) { p.Title = strings.Repeat("a", 201) }, []string{"title"}},
		{"title trimmed before counting", func(p *Programme) { p.Title = "  " + strings.Repeat("a", 200) + "  " }, nil},
		{"title blank", func(p *Programme) { p.Title = " \t " }, []string{"title"}},
		{"title with a line break", func(p *Programme) { p.Title = "Infor\nmatik" }, []string{"title"}},
		{"title not UTF-8", func(p *Programme) { p.Title = "Inform\xffatik" }, []string{"title"}},
		{"degree Staatsexamen", func(p *Programme) { p.Degree = "Staatsexamen" }, nil},
		{"degree too long", func(p *Programme) { p.Degree = strings.Repeat("x", 51) }, []string{"degree"}},
		{"one semester", func(p *Programme) { p.Semesters = 1 }, nil},
		{"twenty semesters", func(p *Programme) { p.Semesters = 20 }, nil},
		{"zero semesters", func(p *Programme) { p.Semesters = 0 }, []string{"semesters"}},
		{"21 semesters", func(p *Programme) { p.Semesters = 21 }, []string{"semesters"}},
		{"no credits required", func(p *Programme) { p.CreditsRequired = 0 }, nil},
		{"600 credits required", func(p *Programme) { p.CreditsRequired = 600 }, nil},
		{"negative credits required", func(p *Programme) { p.CreditsRequired = -1 }, []string{"credits_required"}},
		{"601 credits required", func(p *Programme) { p.CreditsRequired = 601 }, []string{"credits_required"}},
		{"description of 10000 characters with lines", func(p *Programme) { p.Description = strings.Repeat("ab\n", 3333) + "c" }, nil},
		{"description of 10001 characters", func(p *Programme) { p.Description = strings.Repeat("a", 10001) }, []string{"description"}},
		{"unknown status", func(p *Programme) { p.Status = "live" }, []string{"status"}},
		{"no status", func(p *Programme) { p.Status = "" }, []string{"status"}},
		{"everything wrong at once", func(p *Programme) {
			*p = Programme{Semesters: 30, CreditsRequired: -5, Description: strings.Repeat("a", 10001), Language: "Deutsch"}
		}, []string{"title", "degree", "semesters", "credits_required", "description", "language", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ok
			tt.modify(&p)
			checkFields(t, p.Validate(), tt.want)
		})
	}
}

func TestProgrammeValidateMessages(t *testing.T) {
	t.Parallel()
	err := Programme{Semesters: 0, CreditsRequired: 700, Status: ProgrammeDraft, Degree: "M.A."}.Validate()
	want := []FieldError{
		{"title", "Enter a title."},
		{"semesters", "The standard period must be between 1 and 20 semesters."},
		{"credits_required", "Credits required must be between 0 and 600."},
	}
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok || !slices.Equal(ve.Fields, want) {
		t.Fatalf("Validate = %v, want %v", err, want)
	}
	const msg = "invalid input: title: Enter a title. semesters: The standard period must be between 1 and 20 semesters. " +
		"credits_required: Credits required must be between 0 and 600."
	if err.Error() != msg {
		t.Errorf("Error() = %q, want %q", err, msg)
	}
}

func TestModuleValidate(t *testing.T) {
	t.Parallel()
	ok := Module{Code: "INF-101", Title: "Algorithmen und Datenstrukturen", Credits: 8, DurationSemesters: 1,
		Responsible: "Prof. Dr. Müller", TeachingForm: "Vorlesung, Übung", ExaminationForm: "Klausur (120 min)"}
	tests := []struct {
		name   string
		modify func(*Module)
		want   []string
	}{
		{"valid", func(*Module) {}, nil},
		{"code with dot and underscore", func(m *Module) { m.Code = "inf.b_1-2" }, nil},
		{"code of one character", func(m *Module) { m.Code = "A" }, nil},
		{"code of 32 characters", func(m *Module) { m.Code = strings.Repeat("A", 32) }, nil},
		{"code of 33 characters", func(m *Module) { m.Code = strings.Repeat("A", 33) }, []string{"code"}},
		{"code empty", func(m *Module) { m.Code = "" }, []string{"code"}},
		{"code with a space", func(m *Module) { m.Code = "INF 101" }, []string{"code"}},
		{"code with surrounding space", func(m *Module) { m.Code = " INF-101" }, []string{"code"}},
		{"code with an umlaut", func(m *Module) { m.Code = "ÜB-1" }, []string{"code"}},
		{"code with a slash", func(m *Module) { m.Code = "INF/101" }, []string{"code"}},
		{"no credits", func(m *Module) { m.Credits = 0 }, nil},
		{"300 credits", func(m *Module) { m.Credits = 300 }, nil},
		{"negative credits", func(m *Module) { m.Credits = -1 }, []string{"credits"}},
		{"301 credits", func(m *Module) { m.Credits = 301 }, []string{"credits"}},
		{"12 semesters", func(m *Module) { m.DurationSemesters = 12 }, nil},
		{"zero semesters", func(m *Module) { m.DurationSemesters = 0 }, []string{"duration_semesters"}},
		{"13 semesters", func(m *Module) { m.DurationSemesters = 13 }, []string{"duration_semesters"}},
		{"optional texts empty", func(m *Module) { m.Responsible, m.TeachingForm, m.ExaminationForm, m.Description = "", "", "", "" }, nil},
		{"responsible too long", func(m *Module) { m.Responsible = strings.Repeat("a", 201) }, []string{"responsible"}},
		{"teaching form too long", func(m *Module) { m.TeachingForm = strings.Repeat("a", 201) }, []string{"teaching_form"}},
		{"examination form on two lines", func(m *Module) { m.ExaminationForm = "Klausur\nmündlich" }, []string{"examination_form"}},
		{"everything wrong at once", func(m *Module) {
			*m = Module{Code: "A B", Credits: 400, DurationSemesters: -1, Description: strings.Repeat("a", 10001),
				Responsible: strings.Repeat("a", 201), TeachingForm: "\x00", ExaminationForm: strings.Repeat("a", 201)}
		}, []string{"code", "title", "credits", "duration_semesters", "description", "responsible", "teaching_form", "examination_form"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			tt.modify(&m)
			checkFields(t, m.Validate(), tt.want)
		})
	}
}

func TestLectureValidate(t *testing.T) {
	t.Parallel()
	ok := Lecture{Code: "INF-101-V", Title: "Algorithmen (Vorlesung)", Semester: OfferedWinter, Responsible: "Prof. Dr. Müller", HoursPerWeek: 4}
	tests := []struct {
		name   string
		modify func(*Lecture)
		want   []string
	}{
		{"valid", func(*Lecture) {}, nil},
		{"summer", func(l *Lecture) { l.Semester = OfferedSummer }, nil},
		{"both", func(l *Lecture) { l.Semester = OfferedBoth }, nil},
		{"no semester", func(l *Lecture) { l.Semester = "" }, []string{"semester"}},
		{"unknown semester", func(l *Lecture) { l.Semester = "spring" }, []string{"semester"}},
		{"no hours", func(l *Lecture) { l.HoursPerWeek = 0 }, nil},
		{"40 hours", func(l *Lecture) { l.HoursPerWeek = 40 }, nil},
		{"negative hours", func(l *Lecture) { l.HoursPerWeek = -2 }, []string{"hours_per_week"}},
		{"41 hours", func(l *Lecture) { l.HoursPerWeek = 41 }, []string{"hours_per_week"}},
		{"bad code", func(l *Lecture) { l.Code = "INF#1" }, []string{"code"}},
		{"everything wrong at once", func(l *Lecture) {
			*l = Lecture{Description: "\xfe", Semester: "autumn", Responsible: strings.Repeat("a", 201), HoursPerWeek: 99}
		}, []string{"code", "title", "description", "semester", "responsible", "hours_per_week"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := ok
			tt.modify(&l)
			checkFields(t, l.Validate(), tt.want)
		})
	}
}

func TestProgrammeModuleValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pm   ProgrammeModule
		want []string
	}{
		{"valid compulsory", ProgrammeModule{ProgrammeID: "P", ModuleID: "M", Compulsory: true, RecommendedSemester: 1}, nil},
		{"valid elective in semester 20", ProgrammeModule{ProgrammeID: "P", ModuleID: "M", RecommendedSemester: 20}, nil},
		{"semester zero", ProgrammeModule{ProgrammeID: "P", ModuleID: "M"}, []string{"recommended_semester"}},
		{"semester 21", ProgrammeModule{ProgrammeID: "P", ModuleID: "M", RecommendedSemester: 21}, []string{"recommended_semester"}},
		{"everything wrong at once", ProgrammeModule{ProgrammeID: " ", RecommendedSemester: -1},
			[]string{"programme_id", "module_id", "recommended_semester"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkFields(t, tt.pm.Validate(), tt.want)
		})
	}
}

func TestEnrolmentValidate(t *testing.T) {
	t.Parallel()
	since := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		e    Enrolment
		want []string
	}{
		{"valid", Enrolment{Subject: "sub-1", ProgrammeID: "P", Since: since, Status: EnrolmentActive}, nil},
		{"completed", Enrolment{Subject: "sub-1", ProgrammeID: "P", Since: since, Status: EnrolmentCompleted}, nil},
		{"withdrawn", Enrolment{Subject: "sub-1", ProgrammeID: "P", Since: since, Status: EnrolmentWithdrawn}, nil},
		{"no date", Enrolment{Subject: "sub-1", ProgrammeID: "P", Status: EnrolmentActive}, []string{"since"}},
		{"unknown status", Enrolment{Subject: "sub-1", ProgrammeID: "P", Since: since, Status: "paused"}, []string{"status"}},
		{"everything wrong at once", Enrolment{}, []string{"subject", "programme_id", "since", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkFields(t, tt.e.Validate(), tt.want)
		})
	}
}

func TestValidNilIsUntyped(t *testing.T) {
	t.Parallel()
	// A valid value must give a nil interface, not a nil *ValidationError,
	// or err != nil would hold for every valid value.
	var err error = Module{Code: "A", Title: "T", DurationSemesters: 1}.Validate()
	if err != nil {
		t.Fatalf("Validate = %#v, want nil", err)
	}
}
