package study

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// g reads a grade written as on a transcript, so the tables below read like
// the cases an examination office checks by hand.
func g(s string) Grade {
	v, err := ParseGrade(s)
	if err != nil {
		panic(err)
	}
	return v
}

var examDay = time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)

// final and prov are one person's records for lecture l.
func final(l string, attempt int, grade string) GradeRecord {
	return GradeRecord{ID: l + "-" + string(rune('0'+attempt)), Subject: "sub-1", LectureID: l, Attempt: attempt,
		Grade: g(grade), Date: examDay.AddDate(0, 6*(attempt-1), 0), Grader: "sub-prof", Status: GradeFinal}
}

func prov(l string, attempt int, grade string) GradeRecord {
	r := final(l, attempt, grade)
	r.Status = GradeProvisional
	return r
}

// modFinal and modProv are records for module m examined directly.
func modFinal(m string, attempt int, grade string) GradeRecord {
	r := final("", attempt, grade)
	r.ModuleID, r.ID = m, m+"-"+string(rune('0'+attempt))
	return r
}

func modProv(m string, attempt int, grade string) GradeRecord {
	r := modFinal(m, attempt, grade)
	r.Status = GradeProvisional
	return r
}

func of(subject string, r GradeRecord) GradeRecord {
	r.Subject = subject
	return r
}

func TestParseGrade(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Grade // 0: refused
	}{
		{"1.0", "1.0", 10},
		{"1.3", "1.3", 13},
		{"1.7", "1.7", 17},
		{"2.0", "2.0", 20},
		{"2.3", "2.3", 23},
		{"2.7", "2.7", 27},
		{"3.0", "3.0", 30},
		{"3.3", "3.3", 33},
		{"3.7", "3.7", 37},
		{"4.0", "4.0", 40},
		{"5.0 fail", "5.0", 50},
		{"comma 1,0", "1,0", 10},
		{"comma 1,3", "1,3", 13},
		{"comma 1,7", "1,7", 17},
		{"comma 2,3", "2,3", 23},
		{"comma 2,7", "2,7", 27},
		{"comma 3,3", "3,3", 33},
		{"comma 3,7", "3,7", 37},
		{"comma 4,0", "4,0", 40},
		{"comma 5,0", "5,0", 50},
		{"whole 1", "1", 10},
		{"whole 2", "2", 20},
		{"whole 3", "3", 30},
		{"whole 4", "4", 40},
		{"whole 5", "5", 50},
		{"two decimals 2.00", "2.00", 20},
		{"two decimals 1,30", "1,30", 13},
		{"surrounding spaces", "  2,7\t", 27},

		{"between steps 1.5", "1.5", 0},
		{"better than 1.0", "0.7", 0},
		{"zero", "0", 0},
		{"above 5", "6", 0},
		{"between pass and fail 4.3", "4.3", 0},
		{"between pass and fail 4,7", "4,7", 0},
		{"5.5", "5.5", 0},
		{"two decimals off scale 1.33", "1.33", 0},
		{"three decimals", "1.300", 0},
		{"ten", "10", 0},
		{"tenths as integer 13", "13", 0},
		{"letters", "abc", 0},
		{"empty", "", 0},
		{"blank", "   ", 0},
		{"trailing separator", "2.", 0},
		{"leading separator", ",3", 0},
		{"two separators", "1.0.0", 0},
		{"negative", "-1.0", 0},
		{"plus sign", "+1.3", 0},
		{"space inside", "1 .3", 0},
		{"word grade", "sehr gut", 0},
		{"thousands-like", "1.000", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseGrade(tt.in)
			if tt.want == 0 {
				if err == nil {
					t.Fatalf("ParseGrade(%q) = %v, want an error", tt.in, got)
				}
				if !errors.Is(err, ErrInvalidGrade) {
					t.Errorf("error %v does not wrap ErrInvalidGrade", err)
				}
				for _, part := range []string{"1.0, 1.3, 1.7", "4.0 or 5.0", "\"" + tt.in + "\""} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not mention %q", err, part)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseGrade(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestGradeScale(t *testing.T) {
	t.Parallel()
	want := []Grade{10, 13, 17, 20, 23, 27, 30, 33, 37, 40, 50}
	if !slices.Equal(Steps, want) {
		t.Fatalf("Steps = %v, want %v", Steps, want)
	}
	tests := []struct {
		name   string
		grade  Grade
		str    string
		valid  bool
		passed bool
	}{
		{"1.0", 10, "1.0", true, true},
		{"1.3", 13, "1.3", true, true},
		{"1.7", 17, "1.7", true, true},
		{"2.0", 20, "2.0", true, true},
		{"2.3", 23, "2.3", true, true},
		{"2.7", 27, "2.7", true, true},
		{"3.0", 30, "3.0", true, true},
		{"3.3", 33, "3.3", true, true},
		{"3.7", 37, "3.7", true, true},
		{"4.0 lowest pass", 40, "4.0", true, true},
		{"5.0 fail", 50, "5.0", true, false},
		{"zero is no grade", 0, "0.0", false, false},
		{"off scale 1.5", 15, "1.5", false, false},
		{"off scale 0.7", 7, "0.7", false, false},
		{"off scale 4.3", 43, "4.3", false, false},
		{"negative", -13, "-1.3", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.grade.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.grade.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.grade.Passed(); got != tt.passed {
				t.Errorf("Passed() = %v, want %v", got, tt.passed)
			}
			if tt.valid {
				if back, err := ParseGrade(tt.str); err != nil || back != tt.grade {
					t.Errorf("ParseGrade(String()) = %v, %v", back, err)
				}
			}
		})
	}
}

func TestStepsCannotChangeTheScale(t *testing.T) {
	t.Parallel()
	steps := slices.Clone(Steps)
	steps[0] = 15 // a copy: the package's Steps and scale stay as they are
	if Grade(15).Valid() || !Grade(10).Valid() {
		t.Fatal("the scale changed")
	}
}

func TestMark(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mark Mark
		str  string
	}{
		{"on the scale", 13, "1.3"},
		{"between steps", 19, "1.9"},
		{"whole", 20, "2.0"},
		{"fail", 50, "5.0"},
		{"zero", 0, "0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.mark.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
		})
	}

	parse := []struct {
		name string
		in   string
		want Mark // 0: refused
	}{
		{"point", "1.9", 19},
		{"comma", "1,9", 19},
		{"lowest", "1.0", 10},
		{"highest", "5.0", 50},
		{"whole", "2", 20},
		{"below 1.0", "0.9", 0},
		{"above 5.0", "5.1", 0},
		{"two decimals", "1.95", 0},
		{"empty", "", 0},
	}
	for _, tt := range parse {
		t.Run("parse "+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMark(tt.in)
			if tt.want == 0 {
				if err == nil {
					t.Fatalf("ParseMark(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMark(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestGradeJSON(t *testing.T) {
	t.Parallel()
	type doc struct {
		Grade Grade
		Mark  Mark
		Dist  map[Grade]int
	}
	in := doc{Grade: 13, Mark: 19, Dist: map[Grade]int{13: 2, 50: 1}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"Grade":"1.3","Mark":"1.9","Dist":{"1.3":2,"5.0":1}}`
	if string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Grade != in.Grade || out.Mark != in.Mark || !maps.Equal(out.Dist, in.Dist) {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`{"Grade":"1,5"}`), &out); !errors.Is(err, ErrInvalidGrade) {
		t.Fatalf("off-scale grade in JSON: err = %v, want ErrInvalidGrade", err)
	}
	if err := json.Unmarshal([]byte(`{"Grade":"2,7"}`), &out); err != nil || out.Grade != 27 {
		t.Fatalf("comma grade in JSON: %v, %v", out.Grade, err)
	}
}

func TestLectureResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		records     []GradeRecord
		wantGrade   Grade
		wantAttempt int
		wantOK      bool
	}{
		{"no records", nil, 0, 0, false},
		{"provisional only", []GradeRecord{prov("L", 1, "1.3")}, 0, 0, false},
		{"one final", []GradeRecord{final("L", 1, "2.3")}, 23, 1, true},
		{"one final fail", []GradeRecord{final("L", 1, "5.0")}, 50, 1, true},
		{"failed then passed", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "3.7")}, 37, 2, true},
		{"failed then passed, rows in reverse", []GradeRecord{final("L", 2, "3.7"), final("L", 1, "5.0")}, 37, 2, true},
		{"failed twice then passed", []GradeRecord{final("L", 3, "4.0"), final("L", 1, "5.0"), final("L", 2, "5.0")}, 40, 3, true},
		{"failed then failed", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0")}, 50, 2, true},
		{"later attempt replaces whatever the grades", []GradeRecord{final("L", 1, "1.0"), final("L", 2, "2.7")}, 27, 2, true},
		{"provisional retake does not count", []GradeRecord{final("L", 1, "5.0"), prov("L", 2, "1.0")}, 50, 1, true},
		{"provisional first attempt, final none", []GradeRecord{prov("L", 1, "5.0")}, 0, 0, false},
		{"final with a grade off the scale is ignored", []GradeRecord{final("L", 1, "2.0"), {Attempt: 2, Grade: 15, Status: GradeFinal}}, 20, 1, true},
		{"unknown status is not final", []GradeRecord{{Attempt: 1, Grade: 13, Status: "draft"}}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gr, attempt, ok := LectureResult(tt.records)
			if gr != tt.wantGrade || attempt != tt.wantAttempt || ok != tt.wantOK {
				t.Fatalf("LectureResult = %v, %d, %v; want %v, %d, %v", gr, attempt, ok, tt.wantGrade, tt.wantAttempt, tt.wantOK)
			}
		})
	}
}

func TestLectureResultSameAttemptTwice(t *testing.T) {
	t.Parallel()
	// The store's unique index forbids this; if it happens anyway, the
	// later examination date wins whatever the order of the rows.
	early, late := final("L", 1, "2.0"), final("L", 1, "3.0")
	late.Date = early.Date.AddDate(0, 0, 1)
	for _, rs := range [][]GradeRecord{{early, late}, {late, early}} {
		if gr, _, _ := LectureResult(rs); gr != 30 {
			t.Fatalf("LectureResult = %v, want 3.0", gr)
		}
	}
}

func TestAttemptsLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		records []GradeRecord
		max     int
		want    int
	}{
		{"none taken", nil, 3, 3},
		{"one failed", []GradeRecord{final("L", 1, "5.0")}, 3, 2},
		{"provisional attempt is used", []GradeRecord{final("L", 1, "5.0"), prov("L", 2, "4.0")}, 3, 1},
		{"all used", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), final("L", 3, "5.0")}, 3, 0},
		{"more used than allowed now", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), final("L", 3, "5.0")}, 2, 0},
		{"passed: arithmetic only", []GradeRecord{final("L", 1, "1.0")}, 3, 2},
		{"max below 1 counts as 1", nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := AttemptsLeft(tt.records, tt.max); got != tt.want {
				t.Fatalf("AttemptsLeft = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNextAttemptAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		records []GradeRecord
		max     int
		want    int
		wantErr error
		wantMsg string
	}{
		{"first attempt", nil, 3, 1, nil, ""},
		{"retake after a final fail", []GradeRecord{final("L", 1, "5.0")}, 3, 2, nil, ""},
		{"third attempt after two fails", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0")}, 3, 3, nil, ""},
		{"attempt after a pass refused", []GradeRecord{final("L", 1, "2.3")}, 3, 0,
			ErrAlreadyPassed, "already passed (2.3 in attempt 1)"},
		{"attempt after a pass with 4.0 refused", []GradeRecord{final("L", 1, "4.0")}, 3, 0,
			ErrAlreadyPassed, "already passed (4.0 in attempt 1)"},
		{"attempt after a passed retake refused", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "1.7")}, 3, 0,
			ErrAlreadyPassed, "already passed (1.7 in attempt 2)"},
		{"first attempt still provisional", []GradeRecord{prov("L", 1, "5.0")}, 3, 0,
			ErrStillProvisional, "attempt 1 is still provisional"},
		{"retake still provisional", []GradeRecord{final("L", 1, "5.0"), prov("L", 2, "5.0")}, 3, 0,
			ErrStillProvisional, "attempt 2 is still provisional"},
		{"no attempts left", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), final("L", 3, "5.0")}, 3, 0,
			ErrNoAttemptsLeft, "no attempts left (3 of 3 used)"},
		{"last attempt provisional: none left either way", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), prov("L", 3, "2.0")}, 3, 0,
			ErrNoAttemptsLeft, "no attempts left (3 of 3 used)"},
		{"one attempt only", []GradeRecord{final("L", 1, "5.0")}, 1, 0,
			ErrNoAttemptsLeft, "no attempts left (1 of 1 used)"},
		{"max lowered below attempts used", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), final("L", 3, "5.0")}, 2, 0,
			ErrNoAttemptsLeft, "no attempts left (3 of 2 used)"},
		{"pass reported before attempts", []GradeRecord{final("L", 1, "5.0"), final("L", 2, "5.0"), final("L", 3, "3.0")}, 3, 0,
			ErrAlreadyPassed, "already passed (3.0 in attempt 3)"},
		{"max below 1 counts as 1", nil, 0, 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NextAttemptAllowed(tt.records, tt.max)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("NextAttemptAllowed = %d, %v; want %d", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", err, tt.wantMsg)
			}
			if got != 0 {
				t.Errorf("next = %d with an error, want 0", got)
			}
		})
	}
}

func TestGradeRecordValidate(t *testing.T) {
	t.Parallel()
	ok := final("L", 1, "1.3")
	tests := []struct {
		name   string
		modify func(*GradeRecord)
		max    int
		want   []string // fields, in order
	}{
		{"valid lecture grade", func(*GradeRecord) {}, 3, nil},
		{"valid module grade", func(r *GradeRecord) { r.LectureID, r.ModuleID = "", "M" }, 3, nil},
		{"valid provisional", func(r *GradeRecord) { r.Status = GradeProvisional }, 3, nil},
		{"valid last attempt", func(r *GradeRecord) { r.Attempt = 3 }, 3, nil},
		{"attempt zero", func(r *GradeRecord) { r.Attempt = 0 }, 3, []string{"attempt"}},
		{"attempt above max", func(r *GradeRecord) { r.Attempt = 4 }, 3, []string{"attempt"}},
		{"neither lecture nor module", func(r *GradeRecord) { r.LectureID = "" }, 3, []string{"lecture_id"}},
		{"both lecture and module", func(r *GradeRecord) { r.ModuleID = "M" }, 3, []string{"module_id"}},
		{"grade off the scale", func(r *GradeRecord) { r.Grade = 15 }, 3, []string{"grade"}},
		{"no grade", func(r *GradeRecord) { r.Grade = 0 }, 3, []string{"grade"}},
		{"everything wrong at once", func(r *GradeRecord) { *r = GradeRecord{Attempt: 9, Grade: 7, Status: "maybe"} }, 3,
			[]string{"subject", "lecture_id", "attempt", "grade", "date", "grader", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			tt.modify(&r)
			checkFields(t, r.Validate(tt.max), tt.want)
		})
	}
}

func TestGradeRecordValidateMessages(t *testing.T) {
	t.Parallel()
	r := final("L", 4, "1.3")
	r.Grade = 15
	err := r.Validate(3)
	want := []FieldError{
		{"attempt", "Attempt must be between 1 and 3."},
		{"grade", "Grade must be one of 1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0."},
	}
	if ve, ok := errors.AsType[*ValidationError](err); !ok || !slices.Equal(ve.Fields, want) {
		t.Fatalf("Validate = %v, want %v", err, want)
	}
	r.Grade, r.Attempt = 13, 2
	if ve, ok := errors.AsType[*ValidationError](r.Validate(1)); !ok || ve.Fields[0].Message != "Attempt must be 1." {
		t.Fatalf("Validate(1) = %v", ve)
	}
}

// lec is a lecture with hours per week.
func lec(id string, hours int) Lecture {
	return Lecture{ID: id, Code: id, Title: "Lecture " + id, Semester: OfferedBoth, HoursPerWeek: hours}
}

func TestModuleOutcome(t *testing.T) {
	t.Parallel()
	mod := Module{ID: "M", Code: "M", Title: "Module", Credits: 6, DurationSemesters: 1}
	two := []Lecture{lec("A", 4), lec("B", 2)}
	tests := []struct {
		name       string
		lectures   []Lecture
		records    []GradeRecord
		max        int
		wantStatus ModuleStatus
		wantMark   Mark
		wantDirect bool
	}{
		// Means, weighted and not, and truncation after the first decimal.
		{"weighted by hours: (1.3*4 + 2.7*2)/6 = 1.766 is 1.7", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.7")}, 3, ModulePassed, 17, false},
		{"equal weights when a lecture lacks hours: (1.3+2.7)/2 = 2.0", []Lecture{lec("A", 4), lec("B", 0)},
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.7")}, 3, ModulePassed, 20, false},
		{"equal weights when no lecture has hours: (1.0+1.3+2.0)/3 = 1.433 is 1.4", []Lecture{lec("A", 0), lec("B", 0), lec("C", 0)},
			[]GradeRecord{final("A", 1, "1.0"), final("B", 1, "1.3"), final("C", 1, "2.0")}, 3, ModulePassed, 14, false},
		{"1.36 is 1.3: (1.3*17 + 1.7*3)/20", []Lecture{lec("A", 17), lec("B", 3)},
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "1.7")}, 3, ModulePassed, 13, false},
		{"1.99 is 1.9: (2.0*29 + 1.7*1)/30", []Lecture{lec("A", 29), lec("B", 1)},
			[]GradeRecord{final("A", 1, "2.0"), final("B", 1, "1.7")}, 3, ModulePassed, 19, false},
		{"2.06 is 2.0: (2.0*4 + 2.3*1)/5", []Lecture{lec("A", 4), lec("B", 1)},
			[]GradeRecord{final("A", 1, "2.0"), final("B", 1, "2.3")}, 3, ModulePassed, 20, false},
		{"exactly 2.0 stays 2.0: (1.7+2.3)/2", []Lecture{lec("A", 2), lec("B", 2)},
			[]GradeRecord{final("A", 1, "1.7"), final("B", 1, "2.3")}, 3, ModulePassed, 20, false},
		{"exactly 2.3 stays 2.3 (2.3*3/3 is 2.2999 in floating point)", []Lecture{lec("A", 3)},
			[]GradeRecord{final("A", 1, "2.3")}, 3, ModulePassed, 23, false},
		{"exactly 2.3 stays 2.3 unweighted (2.3+2.3+2.3)/3", []Lecture{lec("A", 0), lec("B", 0), lec("C", 0)},
			[]GradeRecord{final("A", 1, "2.3"), final("B", 1, "2.3"), final("C", 1, "2.3")}, 3, ModulePassed, 23, false},
		{"just below a step: (1.0*1 + 1.3*2)/3 = 1.2 exactly", []Lecture{lec("A", 1), lec("B", 2)},
			[]GradeRecord{final("A", 1, "1.0"), final("B", 1, "1.3")}, 3, ModulePassed, 12, false},
		{"all 4.0 passes with 4.0", two,
			[]GradeRecord{final("A", 1, "4.0"), final("B", 1, "4.0")}, 3, ModulePassed, 40, false},
		{"one lecture, its grade", []Lecture{lec("A", 2)},
			[]GradeRecord{final("A", 1, "3.7")}, 3, ModulePassed, 37, false},
		{"retake counts, not the failed attempt", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "5.0"), final("B", 2, "2.7")}, 3, ModulePassed, 17, false},

		// Failed, open, unfinished.
		{"lecture failed for good fails the module with 5.0", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "5.0"), final("B", 2, "5.0"), final("B", 3, "5.0")}, 3, ModuleFailed, 50, false},
		{"failed for good even while another lecture is unfinished", two,
			[]GradeRecord{prov("A", 1, "1.3"), final("B", 1, "5.0"), final("B", 2, "5.0"), final("B", 3, "5.0")}, 3, ModuleFailed, 50, false},
		{"failed for good with one attempt allowed", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "5.0")}, 1, ModuleFailed, 50, false},
		{"failed lecture with retakes left is open, no mark", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "5.0")}, 3, ModuleOpen, 0, false},
		{"open while the retake is provisional", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "5.0"), prov("B", 2, "1.0")}, 3, ModuleOpen, 0, false},
		{"open wins over a lecture not started", two,
			[]GradeRecord{final("B", 1, "5.0")}, 3, ModuleOpen, 0, false},
		{"provisional result: in progress", two,
			[]GradeRecord{final("A", 1, "1.3"), prov("B", 1, "2.0")}, 3, ModuleInProgress, 0, false},
		{"missing result: in progress", two,
			[]GradeRecord{final("A", 1, "1.3")}, 3, ModuleInProgress, 0, false},
		{"only provisional results: in progress", two,
			[]GradeRecord{prov("A", 1, "1.3"), prov("B", 1, "1.3")}, 3, ModuleInProgress, 0, false},
		{"no records: not started", two, nil, 3, ModuleNotStarted, 0, false},
		{"no lectures: not started", nil, nil, 3, ModuleNotStarted, 0, false},
		{"records of other lectures and modules are ignored", two,
			[]GradeRecord{final("X", 1, "1.0"), modFinal("OTHER", 1, "1.0")}, 3, ModuleNotStarted, 0, false},

		// A module examined directly.
		{"direct grade overrides lecture grades", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.7"), modFinal("M", 1, "3.0")}, 3, ModulePassed, 30, true},
		{"direct grade overrides a failed lecture", two,
			[]GradeRecord{final("B", 1, "5.0"), final("B", 2, "5.0"), final("B", 3, "5.0"), modFinal("M", 1, "2.3")}, 3, ModulePassed, 23, true},
		{"direct grade without lecture grades", two,
			[]GradeRecord{modFinal("M", 1, "1.7")}, 3, ModulePassed, 17, true},
		{"direct grade for a module with no lectures", nil,
			[]GradeRecord{modFinal("M", 1, "1.0")}, 3, ModulePassed, 10, true},
		{"direct retake counts", nil,
			[]GradeRecord{modFinal("M", 1, "5.0"), modFinal("M", 2, "4.0")}, 3, ModulePassed, 40, true},
		{"direct provisional only: in progress, lectures do not count", two,
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.7"), modProv("M", 1, "1.0")}, 3, ModuleInProgress, 0, true},
		{"direct fail with retakes left: open", nil,
			[]GradeRecord{modFinal("M", 1, "5.0")}, 3, ModuleOpen, 0, true},
		{"direct fail for good: failed 5.0", nil,
			[]GradeRecord{modFinal("M", 1, "5.0"), modFinal("M", 2, "5.0"), modFinal("M", 3, "5.0")}, 3, ModuleFailed, 50, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, records := range [][]GradeRecord{tt.records, reversed(tt.records)} {
				got := ModuleOutcome(mod, tt.lectures, records, tt.max)
				if got.Status != tt.wantStatus || got.Mark != tt.wantMark {
					t.Fatalf("ModuleOutcome = %s %v, want %s %v", got.Status, got.Mark, tt.wantStatus, tt.wantMark)
				}
				if (got.Direct != nil) != tt.wantDirect {
					t.Errorf("Direct = %+v, want set: %v", got.Direct, tt.wantDirect)
				}
				if got.ModuleID != "M" || got.Credits != 6 || len(got.Lectures) != len(tt.lectures) {
					t.Errorf("ModuleOutcome = %+v", got)
				}
			}
		})
	}
}

func reversed(rs []GradeRecord) []GradeRecord {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}

func TestModuleOutcomeLectures(t *testing.T) {
	t.Parallel()
	mod := Module{ID: "M", Credits: 5}
	lectures := []Lecture{lec("A", 4), lec("B", 2), lec("C", 2), lec("D", 1), lec("E", 3)}
	records := []GradeRecord{
		final("A", 1, "5.0"), final("A", 2, "2.0"),
		final("B", 1, "5.0"), prov("B", 2, "1.7"),
		prov("C", 1, "3.3"),
		final("E", 1, "5.0"), final("E", 2, "5.0"),
		modFinal("OTHER", 1, "1.0"),
	}
	got := ModuleOutcome(mod, lectures, records, 2)
	want := []LectureOutcome{
		{LectureID: "A", Status: ModulePassed, Grade: 20, Attempt: 2, AttemptsLeft: 0, HoursPerWeek: 4},
		{LectureID: "B", Status: ModuleOpen, Grade: 50, Attempt: 1, Provisional: 17, ProvisionalAttempt: 2, AttemptsLeft: 0, HoursPerWeek: 2},
		{LectureID: "C", Status: ModuleInProgress, Provisional: 33, ProvisionalAttempt: 1, AttemptsLeft: 1, HoursPerWeek: 2},
		{LectureID: "D", Status: ModuleNotStarted, AttemptsLeft: 2, HoursPerWeek: 1},
		{LectureID: "E", Status: ModuleFailed, Grade: 50, Attempt: 2, AttemptsLeft: 0, HoursPerWeek: 3},
	}
	if !slices.Equal(got.Lectures, want) {
		t.Fatalf("Lectures =\n%+v\nwant\n%+v", got.Lectures, want)
	}
	if got.Status != ModuleFailed || got.Mark != 50 || got.Direct != nil {
		t.Fatalf("module = %s %v, direct %v", got.Status, got.Mark, got.Direct)
	}

	// With a direct grade the lectures are still listed, for display.
	got = ModuleOutcome(mod, lectures, append(records, modProv("M", 2, "1.3"), modFinal("M", 1, "5.0")), 3)
	wantDirect := LectureOutcome{Status: ModuleOpen, Grade: 50, Attempt: 1, Provisional: 13, ProvisionalAttempt: 2, AttemptsLeft: 1}
	if got.Direct == nil || *got.Direct != wantDirect {
		t.Fatalf("Direct = %+v, want %+v", got.Direct, wantDirect)
	}
	if len(got.Lectures) != 5 || got.Status != ModuleOpen {
		t.Fatalf("ModuleOutcome = %+v", got)
	}
}

func TestProgrammeOverview(t *testing.T) {
	t.Parallel()
	mod := func(id string, credits int) Module {
		return Module{ID: id, Code: id, Title: id, Credits: credits, DurationSemesters: 1}
	}
	prog := Programme{ID: "P", Title: "Informatik", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Status: ProgrammePublished}
	tests := []struct {
		name         string
		required     int
		modules      []Module
		lectures     map[string][]Lecture
		records      []GradeRecord
		wantEarned   int
		wantMean     Mark
		wantHasMean  bool
		wantProgress float64
		wantStatuses []ModuleStatus
	}{
		{"nothing yet", 180, []Module{mod("M1", 5), mod("M2", 10)}, nil, nil,
			0, 0, false, 0, []ModuleStatus{ModuleNotStarted, ModuleNotStarted}},
		{"credit-weighted mean: (1.3*5 + 2.0*10)/15 = 1.766 is 1.7", 180,
			[]Module{mod("M1", 5), mod("M2", 10)}, nil,
			[]GradeRecord{modFinal("M1", 1, "1.3"), modFinal("M2", 1, "2.0")},
			15, 17, true, 15.0 / 180, []ModuleStatus{ModulePassed, ModulePassed}},
		{"mean truncated: (1.0*5 + 1.7*5)/10 = 1.35 is 1.3", 180,
			[]Module{mod("M1", 5), mod("M2", 5)}, nil,
			[]GradeRecord{modFinal("M1", 1, "1.0"), modFinal("M2", 1, "1.7")},
			10, 13, true, 10.0 / 180, []ModuleStatus{ModulePassed, ModulePassed}},
		{"mean over module marks derived from lectures", 180,
			[]Module{mod("M1", 10), mod("M2", 5)},
			map[string][]Lecture{"M1": {lec("A", 4), lec("B", 2)}},
			// M1: (1.3*4 + 2.7*2)/6 = 1.7; M2 direct 1.0; (1.7*10 + 1.0*5)/15 = 1.466 is 1.4.
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.7"), modFinal("M2", 1, "1.0")},
			15, 14, true, 15.0 / 180, []ModuleStatus{ModulePassed, ModulePassed}},
		{"failed and open modules earn nothing and stay out of the mean", 180,
			[]Module{mod("M1", 5), mod("M2", 10), mod("M3", 8), mod("M4", 7)}, nil,
			[]GradeRecord{
				modFinal("M1", 1, "2.0"),
				modFinal("M2", 1, "5.0"), modFinal("M2", 2, "5.0"), modFinal("M2", 3, "5.0"),
				modFinal("M3", 1, "5.0"),
				modProv("M4", 1, "1.0"),
			},
			5, 20, true, 5.0 / 180, []ModuleStatus{ModulePassed, ModuleFailed, ModuleOpen, ModuleInProgress}},
		{"no passed module: no mean", 180, []Module{mod("M1", 5)}, nil,
			[]GradeRecord{modFinal("M1", 1, "5.0")},
			0, 0, false, 0, []ModuleStatus{ModuleOpen}},
		{"zero-credit module stays out of the mean", 180,
			[]Module{mod("M1", 5), mod("ZERO", 0)}, nil,
			[]GradeRecord{modFinal("M1", 1, "3.0"), modFinal("ZERO", 1, "1.0")},
			5, 30, true, 5.0 / 180, []ModuleStatus{ModulePassed, ModulePassed}},
		{"only zero-credit modules passed: no mean", 180,
			[]Module{mod("ZERO", 0)}, nil,
			[]GradeRecord{modFinal("ZERO", 1, "1.0")},
			0, 0, false, 0, []ModuleStatus{ModulePassed}},
		{"progress capped at 1", 10,
			[]Module{mod("M1", 10), mod("M2", 5)}, nil,
			[]GradeRecord{modFinal("M1", 1, "1.0"), modFinal("M2", 1, "1.0")},
			15, 10, true, 1, []ModuleStatus{ModulePassed, ModulePassed}},
		{"progress exactly 1", 15,
			[]Module{mod("M1", 10), mod("M2", 5)}, nil,
			[]GradeRecord{modFinal("M1", 1, "1.0"), modFinal("M2", 1, "4.0")},
			15, 20, true, 1, []ModuleStatus{ModulePassed, ModulePassed}},
		{"no credits required: progress 0", 0,
			[]Module{mod("M1", 10)}, nil,
			[]GradeRecord{modFinal("M1", 1, "2.7")},
			10, 27, true, 0, []ModuleStatus{ModulePassed}},
		{"module without lectures in the map is not started", 180,
			[]Module{mod("M1", 5)}, map[string][]Lecture{"OTHER": {lec("A", 2)}},
			[]GradeRecord{final("A", 1, "1.0")},
			0, 0, false, 0, []ModuleStatus{ModuleNotStarted}},
		{"lecture shared by two modules counts in both", 180,
			[]Module{mod("M1", 5), mod("M2", 5)},
			map[string][]Lecture{"M1": {lec("A", 2)}, "M2": {lec("A", 2), lec("B", 2)}},
			[]GradeRecord{final("A", 1, "1.3"), final("B", 1, "2.3")},
			10, 15, true, 10.0 / 180, []ModuleStatus{ModulePassed, ModulePassed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := prog
			p.CreditsRequired = tt.required
			got := ProgrammeOverview(p, tt.modules, tt.lectures, tt.records, 3)
			if got.CreditsEarned != tt.wantEarned || got.CreditsRequired != tt.required {
				t.Errorf("credits = %d of %d, want %d of %d", got.CreditsEarned, got.CreditsRequired, tt.wantEarned, tt.required)
			}
			if got.Mean != tt.wantMean || got.HasMean != tt.wantHasMean {
				t.Errorf("mean = %v (%v), want %v (%v)", got.Mean, got.HasMean, tt.wantMean, tt.wantHasMean)
			}
			if got.Progress != tt.wantProgress {
				t.Errorf("progress = %v, want %v", got.Progress, tt.wantProgress)
			}
			var statuses []ModuleStatus
			for i, m := range got.Modules {
				statuses = append(statuses, m.Status)
				if m.ModuleID != tt.modules[i].ID {
					t.Errorf("module %d = %s, want %s (order kept)", i, m.ModuleID, tt.modules[i].ID)
				}
			}
			if !slices.Equal(statuses, tt.wantStatuses) {
				t.Errorf("statuses = %v, want %v", statuses, tt.wantStatuses)
			}
		})
	}
}

func TestLectureStats(t *testing.T) {
	t.Parallel()
	zero := func() map[Grade]int {
		m := make(map[Grade]int)
		for _, s := range Steps {
			m[s] = 0
		}
		return m
	}
	with := func(counts map[Grade]int) map[Grade]int {
		m := zero()
		maps.Copy(m, counts)
		return m
	}
	tests := []struct {
		name    string
		records []GradeRecord
		want    Stats
	}{
		{"no records", nil, Stats{Distribution: zero()}},
		{"provisional only: nobody counted", []GradeRecord{of("p1", prov("L", 1, "1.3")), of("p2", prov("L", 1, "2.0"))},
			Stats{Distribution: zero()}},
		{"one person", []GradeRecord{of("p1", final("L", 1, "1.7"))},
			Stats{Count: 1, Mean: 17, PassRate: 1, Distribution: with(map[Grade]int{17: 1})}},
		{"latest final attempt per person, fails in the mean", []GradeRecord{
			of("p1", final("L", 1, "5.0")), of("p1", final("L", 2, "2.0")), // 2.0
			of("p2", final("L", 1, "1.3")),                                // 1.3
			of("p3", final("L", 1, "5.0")),                                // 5.0
			of("p4", prov("L", 1, "1.0")),                                 // left out
			of("p5", final("L", 1, "3.0")), of("p5", prov("L", 2, "1.0")), // 3.0
		}, Stats{Count: 4, Mean: 28, PassRate: 0.75, Distribution: with(map[Grade]int{20: 1, 13: 1, 50: 1, 30: 1})}}, // 11.3/4 = 2.825
		{"everyone failed", []GradeRecord{of("p1", final("L", 1, "5.0")), of("p2", final("L", 1, "5.0"))},
			Stats{Count: 2, Mean: 50, PassRate: 0, Distribution: with(map[Grade]int{50: 2})}},
		{"mean truncated: (1.0+1.3+1.3)/3 = 1.2", []GradeRecord{
			of("p1", final("L", 1, "1.0")), of("p2", final("L", 1, "1.3")), of("p3", final("L", 1, "1.3")),
		}, Stats{Count: 3, Mean: 12, PassRate: 1, Distribution: with(map[Grade]int{10: 1, 13: 2})}},
		{"exact mean stays: 2.3 three times is 2.3", []GradeRecord{
			of("p1", final("L", 1, "2.3")), of("p2", final("L", 1, "2.3")), of("p3", final("L", 1, "2.3")),
		}, Stats{Count: 3, Mean: 23, PassRate: 1, Distribution: with(map[Grade]int{23: 3})}},
		{"two examinations of one person are two results", []GradeRecord{
			of("p1", final("A", 1, "5.0")), of("p1", final("B", 2, "1.0")),
		}, Stats{Count: 2, Mean: 30, PassRate: 0.5, Distribution: with(map[Grade]int{50: 1, 10: 1})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := LectureStats(tt.records)
			if got.Count != tt.want.Count || got.Mean != tt.want.Mean || got.PassRate != tt.want.PassRate {
				t.Errorf("stats = %d, %v, %v; want %d, %v, %v", got.Count, got.Mean, got.PassRate, tt.want.Count, tt.want.Mean, tt.want.PassRate)
			}
			if !maps.Equal(got.Distribution, tt.want.Distribution) {
				t.Errorf("distribution = %v, want %v", got.Distribution, tt.want.Distribution)
			}
			if len(got.Distribution) != len(Steps) {
				t.Errorf("distribution has %d steps, want %d", len(got.Distribution), len(Steps))
			}
		})
	}
}

func BenchmarkProgrammeOverview(b *testing.B) {
	// A full bachelor's record: 30 modules of 3 lectures, one retake each.
	var modules []Module
	lectures := make(map[string][]Lecture)
	var records []GradeRecord
	for i := range 30 {
		id := "M" + string(rune('A'+i))
		modules = append(modules, Module{ID: id, Credits: 6})
		for j := range 3 {
			l := lec(id+string(rune('a'+j)), 2)
			lectures[id] = append(lectures[id], l)
			records = append(records, final(l.ID, 1, "5.0"), final(l.ID, 2, "2.3"))
		}
	}
	p := Programme{CreditsRequired: 180}
	for b.Loop() {
		ProgrammeOverview(p, modules, lectures, records, 3)
	}
}
