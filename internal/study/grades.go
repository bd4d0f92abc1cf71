package study

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Grade is a grade on the German scale, in tenths so that arithmetic is
// exact: 10 is 1.0 ("sehr gut"), 40 is 4.0 ("ausreichend", the lowest
// pass) and 50 is 5.0 ("nicht ausreichend", a fail). The zero Grade is no
// grade.
type Grade int

// The ends of the scale.
const (
	GradeBest   Grade = 10 // 1.0
	GradeLowest Grade = 40 // 4.0, the lowest pass
	GradeFail   Grade = 50 // 5.0
)

// scale is the grade scale in order, best first. Steps is a copy, so a
// caller that changes it cannot change the rules.
var scale = [...]Grade{10, 13, 17, 20, 23, 27, 30, 33, 37, 40, 50}

// Steps are the grades on the scale, best first.
var Steps = slices.Clone(scale[:])

// ErrInvalidGrade is wrapped by ParseGrade's errors.
var ErrInvalidGrade = errors.New("not a grade on the scale")

const stepsText = "1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0"

// ParseGrade reads a grade as people write it: "1.3", "1,3" (German
// decimal comma), "2", "2.0" or "2.00", with surrounding spaces ignored.
// Anything off the scale, such as "1.5", "0.7" or "6", is refused with an
// error naming the allowed steps.
func ParseGrade(s string) (Grade, error) {
	t, ok := parseTenths(strings.TrimSpace(s))
	if !ok || !Grade(t).Valid() {
		return 0, fmt.Errorf("grade %q: %w; use %s", s, ErrInvalidGrade, stepsText)
	}
	return Grade(t), nil
}

// parseTenths reads one digit, optionally followed by '.' or ',' and one
// decimal (or two, the second a zero), as tenths.
func parseTenths(s string) (int, bool) {
	isDigit := func(b byte) bool { return '0' <= b && b <= '9' }
	if s == "" || !isDigit(s[0]) {
		return 0, false
	}
	n := int(s[0]-'0') * 10
	rest := s[1:]
	if rest == "" {
		return n, true
	}
	if rest[0] != '.' && rest[0] != ',' {
		return 0, false
	}
	rest = rest[1:]
	switch {
	case len(rest) == 1 && isDigit(rest[0]):
	case len(rest) == 2 && isDigit(rest[0]) && rest[1] == '0':
	default:
		return 0, false
	}
	return n + int(rest[0]-'0'), true
}

// Valid reports whether g is on the scale.
func (g Grade) Valid() bool { return slices.Contains(scale[:], g) }

// Passed reports whether g is a pass: on the scale and 4.0 or better.
func (g Grade) Passed() bool { return g.Valid() && g <= GradeLowest }

// String returns g as written on a transcript: "1.3", "5.0".
func (g Grade) String() string { return tenths(int(g)) }

// MarshalText writes g as "1.3", so JSON shows grades (and the keys of a
// Distribution) as people read them, not as tenths.
func (g Grade) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText reads g with ParseGrade.
func (g *Grade) UnmarshalText(b []byte) error {
	p, err := ParseGrade(string(b))
	if err != nil {
		return err
	}
	*g = p
	return nil
}

// Mark is a derived grade in tenths, such as a module's mark or a mean.
// Means are truncated after the first decimal, so a Mark is any tenth from
// 1.0 to 5.0 ("1.9"), not necessarily a step of the scale.
type Mark int

// String returns m as "1.9".
func (m Mark) String() string { return tenths(int(m)) }

// MarshalText writes m as "1.9".
func (m Mark) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads m with ParseMark.
func (m *Mark) UnmarshalText(b []byte) error {
	p, err := ParseMark(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// ParseMark reads a mark from "1.0" to "5.0", with a point or a comma.
func ParseMark(s string) (Mark, error) {
	t, ok := parseTenths(strings.TrimSpace(s))
	if !ok || t < int(GradeBest) || t > int(GradeFail) {
		return 0, fmt.Errorf("mark %q: use a number from 1.0 to 5.0 with one decimal", s)
	}
	return Mark(t), nil
}

func tenths(n int) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%d", sign, n/10, n%10)
}

// GradeStatus says whether a grade counts yet.
type GradeStatus string

// Grade statuses. A provisional grade is shown to the person but counts
// towards nothing until the examination office makes it final.
const (
	GradeProvisional GradeStatus = "provisional"
	GradeFinal       GradeStatus = "final"
)

// Valid reports whether s is one of the grade statuses.
func (s GradeStatus) Valid() bool { return s == GradeProvisional || s == GradeFinal }

// GradeRecord is one attempt of one person at one examination: a lecture's
// or, for a module with one examination, the module's own (then ModuleID
// is set and LectureID is "").
type GradeRecord struct {
	ID, Subject, LectureID string
	ModuleID               string
	Attempt                int
	Grade                  Grade
	Date                   time.Time // the examination's date
	Grader                 string    // the grader's subject id
	Status                 GradeStatus
	Version                int
	CreatedAt, UpdatedAt   time.Time
}

// Validate reports every problem with r as a *ValidationError. It checks
// the record alone; whether its attempt may be taken now, given the
// person's other attempts, is NextAttemptAllowed's question.
func (r GradeRecord) Validate(maxAttempts int) error {
	maxAttempts = max(maxAttempts, 1)
	var v ValidationError
	if strings.TrimSpace(r.Subject) == "" {
		v.add("subject", "Choose a person.")
	}
	switch lecture, module := r.LectureID != "", r.ModuleID != ""; {
	case !lecture && !module:
		v.add("lecture_id", "Choose a lecture, or a module that is examined as a whole.")
	case lecture && module:
		v.add("module_id", "Choose a lecture or a module, not both.")
	}
	if r.Attempt < 1 || r.Attempt > maxAttempts {
		if maxAttempts == 1 {
			v.add("attempt", "Attempt must be 1.")
		} else {
			v.add("attempt", fmt.Sprintf("Attempt must be between 1 and %d.", maxAttempts))
		}
	}
	if !r.Grade.Valid() {
		v.add("grade", fmt.Sprintf("Grade must be one of %s.", stepsText))
	}
	if r.Date.IsZero() {
		v.add("date", "Enter the date of the examination.")
	}
	if strings.TrimSpace(r.Grader) == "" {
		v.add("grader", "Enter the grader.")
	}
	if !r.Status.Valid() {
		v.add("status", "Status must be provisional or final.")
	}
	return v.err()
}

// counts reports whether r counts towards results: final, with a grade on
// the scale. Provisional records are shown, never counted.
func counts(r GradeRecord) bool { return r.Status == GradeFinal && r.Grade.Valid() }

// later orders records by attempt, then (for the same attempt, which the
// store's unique index rules out) by date, last update and ID, so results
// never depend on the order the store returns rows in.
func later(a, b GradeRecord) bool {
	if a.Attempt != b.Attempt {
		return a.Attempt > b.Attempt
	}
	if !a.Date.Equal(b.Date) {
		return a.Date.After(b.Date)
	}
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		return a.UpdatedAt.After(b.UpdatedAt)
	}
	return a.ID > b.ID
}

// latest returns the latest record that keep accepts.
func latest(records []GradeRecord, keep func(GradeRecord) bool) (GradeRecord, bool) {
	var best GradeRecord
	found := false
	for _, r := range records {
		if keep(r) && (!found || later(r, best)) {
			best, found = r, true
		}
	}
	return best, found
}

// LectureResult returns what counts of one person's records for one
// examination (a lecture, or a module examined directly): the grade of the
// latest final attempt. A retake replaces the earlier attempt whatever
// either grade was; provisional records are ignored. ok is false while
// there is no final grade.
func LectureResult(records []GradeRecord) (g Grade, attempt int, ok bool) {
	r, ok := latest(records, counts)
	if !ok {
		return 0, 0, false
	}
	return r.Grade, r.Attempt, true
}

// attemptsUsed is the highest attempt recorded, provisional or final: an
// examination that was sat is used even before it is graded for good.
func attemptsUsed(records []GradeRecord) int {
	n := 0
	for _, r := range records {
		n = max(n, r.Attempt)
	}
	return n
}

// AttemptsLeft is how many attempts one person has left at one
// examination: maxAttempts less the highest attempt recorded, provisional
// or final, and never below zero. It is arithmetic only: after a pass it
// may be above zero, yet NextAttemptAllowed refuses another attempt.
// A maxAttempts below 1 counts as 1, here and in every rule below.
func AttemptsLeft(records []GradeRecord, maxAttempts int) int {
	return max(0, max(maxAttempts, 1)-attemptsUsed(records))
}

// Errors of NextAttemptAllowed, wrapped with details.
var (
	ErrAlreadyPassed    = errors.New("already passed")
	ErrNoAttemptsLeft   = errors.New("no attempts left")
	ErrStillProvisional = errors.New("still provisional")
)

// NextAttemptAllowed returns the number of the attempt one person may
// take next at one examination, given their records for it. The first
// attempt is always allowed; attempt n+1 only after attempt n was graded
// final with a fail. The checks, in order:
//   - the latest final grade is a pass: ErrAlreadyPassed ("already passed
//     (2.3 in attempt 1)"); a pass is never improved by a retake;
//   - maxAttempts are used: ErrNoAttemptsLeft ("no attempts left (3 of 3
//     used)"), even if the last attempt is still provisional, since no
//     grade it gets can open another attempt;
//   - the highest attempt has no final grade: ErrStillProvisional
//     ("attempt 2 is still provisional").
func NextAttemptAllowed(records []GradeRecord, maxAttempts int) (next int, err error) {
	maxAttempts = max(maxAttempts, 1)
	if g, n, ok := LectureResult(records); ok && g.Passed() {
		return 0, fmt.Errorf("%w (%s in attempt %d)", ErrAlreadyPassed, g, n)
	}
	used := attemptsUsed(records)
	if used >= maxAttempts {
		return 0, fmt.Errorf("%w (%d of %d used)", ErrNoAttemptsLeft, used, maxAttempts)
	}
	if used > 0 {
		final := slices.ContainsFunc(records, func(r GradeRecord) bool {
			return r.Attempt == used && counts(r)
		})
		if !final {
			return 0, fmt.Errorf("attempt %d is %w", used, ErrStillProvisional)
		}
	}
	return used + 1, nil
}

// ModuleStatus is where a person stands in a module, or in one of its
// examinations.
type ModuleStatus string

// Statuses of a module or an examination.
const (
	// ModulePassed: passed; the mark and credits count.
	ModulePassed ModuleStatus = "passed"
	// ModuleFailed: failed for good, the last allowed attempt of an
	// examination graded final with 5.0. The mark is 5.0.
	ModuleFailed ModuleStatus = "failed"
	// ModuleOpen: an examination was failed and a retake remains (or is
	// being graded). No mark.
	ModuleOpen ModuleStatus = "open"
	// ModuleInProgress: begun, but an examination has no final grade yet.
	ModuleInProgress ModuleStatus = "in_progress"
	// ModuleNotStarted: no grade recorded at all, or nothing to examine.
	ModuleNotStarted ModuleStatus = "not_started"
)

// LectureOutcome is one person's standing in one examination: a lecture
// or, in ModuleResult.Direct, the module's own examination (LectureID "").
type LectureOutcome struct {
	LectureID string
	Status    ModuleStatus
	// Grade and Attempt are the latest final attempt's; zero without one.
	Grade   Grade
	Attempt int
	// Provisional and ProvisionalAttempt show a provisional grade of a
	// later attempt than the final one, for display only; zero without.
	Provisional        Grade
	ProvisionalAttempt int
	AttemptsLeft       int
	HoursPerWeek       int
}

func examOutcome(records []GradeRecord, maxAttempts int) LectureOutcome {
	maxAttempts = max(maxAttempts, 1)
	o := LectureOutcome{AttemptsLeft: AttemptsLeft(records, maxAttempts)}
	final, hasFinal := latest(records, counts)
	if hasFinal {
		o.Grade, o.Attempt = final.Grade, final.Attempt
	}
	if p, ok := latest(records, func(r GradeRecord) bool {
		return r.Status == GradeProvisional && r.Grade.Valid() && r.Attempt > o.Attempt
	}); ok {
		o.Provisional, o.ProvisionalAttempt = p.Grade, p.Attempt
	}
	switch {
	case hasFinal && o.Grade.Passed():
		o.Status = ModulePassed
	case hasFinal && o.Attempt >= maxAttempts:
		o.Status = ModuleFailed
	case hasFinal:
		o.Status = ModuleOpen
	case len(records) > 0:
		o.Status = ModuleInProgress
	default:
		o.Status = ModuleNotStarted
	}
	return o
}

// ModuleResult is one person's standing in one module.
type ModuleResult struct {
	ModuleID string
	Status   ModuleStatus
	// Mark is valid when Status is passed or failed (then 5.0); zero
	// otherwise.
	Mark Mark
	// Credits are the module's ECTS credits; they are earned only when
	// Status is passed.
	Credits int
	// Lectures are the outcomes of the module's lectures, in the order
	// given. When Direct is set they are shown but do not count.
	Lectures []LectureOutcome
	// Direct is the outcome of the module's own examination, when it has
	// any grade record; it then decides the module's result.
	Direct *LectureOutcome
}

// ModuleOutcome derives one person's result in module m, whose lectures
// (each once) are given, from their records for m's lectures and for m
// itself; records of other examinations are ignored. maxAttempts is the
// number of attempts per examination.
//
// A module with a grade record of its own (even a provisional one) is
// examined directly: that examination's latest final attempt is the
// module's result, and lecture grades do not count.
//
// Otherwise the result comes from the lectures' latest final grades, in
// this order of precedence:
//   - no lectures: not_started (nothing to derive a mark from);
//   - a lecture failed for good: failed, mark 5.0, even if others are
//     unfinished, since the module can no longer be passed;
//   - a lecture failed with a retake left: open, no mark;
//   - no records for any lecture: not_started;
//   - a lecture without a final grade: in_progress, no mark;
//   - every lecture passed: passed, with the mean of the lecture grades
//     weighted by hours per week when every lecture has hours, else
//     unweighted, truncated after the first decimal (German examination
//     regulations: 1.36 is 1.3, 1.99 is 1.9). The mean is computed in
//     integer tenths, so 2.0 stays 2.0.
func ModuleOutcome(m Module, lectures []Lecture, records []GradeRecord, maxAttempts int) ModuleResult {
	res := ModuleResult{ModuleID: m.ID, Credits: m.Credits}
	// Only this module's examinations are grouped: the caller may pass a
	// person's whole record, as ProgrammeOverview does.
	byLecture := make(map[string][]GradeRecord, len(lectures))
	for _, l := range lectures {
		byLecture[l.ID] = nil
	}
	var direct []GradeRecord
	for _, r := range records {
		if r.LectureID != "" {
			if rs, ok := byLecture[r.LectureID]; ok {
				byLecture[r.LectureID] = append(rs, r)
			}
		} else if r.ModuleID == m.ID {
			direct = append(direct, r)
		}
	}
	res.Lectures = make([]LectureOutcome, 0, len(lectures))
	for _, l := range lectures {
		o := examOutcome(byLecture[l.ID], maxAttempts)
		o.LectureID, o.HoursPerWeek = l.ID, l.HoursPerWeek
		res.Lectures = append(res.Lectures, o)
	}

	if len(direct) > 0 {
		o := examOutcome(direct, maxAttempts)
		res.Direct = &o
		res.Status = o.Status
		switch o.Status {
		case ModulePassed:
			res.Mark = Mark(o.Grade)
		case ModuleFailed:
			res.Mark = Mark(GradeFail)
		}
		return res
	}

	has := func(s ModuleStatus) bool {
		return slices.ContainsFunc(res.Lectures, func(o LectureOutcome) bool { return o.Status == s })
	}
	switch {
	case len(res.Lectures) == 0:
		res.Status = ModuleNotStarted
	case has(ModuleFailed):
		res.Status, res.Mark = ModuleFailed, Mark(GradeFail)
	case has(ModuleOpen):
		res.Status = ModuleOpen
	case !has(ModulePassed) && !has(ModuleInProgress):
		res.Status = ModuleNotStarted
	case has(ModuleInProgress) || has(ModuleNotStarted):
		res.Status = ModuleInProgress
	default:
		res.Status, res.Mark = ModulePassed, lectureMean(res.Lectures)
	}
	return res
}

// lectureMean is the truncated mean of the lectures' grades, weighted by
// hours per week if every lecture has hours, else with equal weights.
func lectureMean(lectures []LectureOutcome) Mark {
	weighted := !slices.ContainsFunc(lectures, func(o LectureOutcome) bool { return o.HoursPerWeek <= 0 })
	var sum, weight int
	for _, o := range lectures {
		w := 1
		if weighted {
			w = o.HoursPerWeek
		}
		sum += int(o.Grade) * w
		weight += w
	}
	return Mark(sum / weight) // positive integers: division truncates
}

// Overview is one person's standing in a programme.
type Overview struct {
	CreditsEarned, CreditsRequired int
	// Mean is the mean of the passed modules' marks weighted by their
	// credits, truncated after the first decimal; zero, with HasMean
	// false, while no module with credits is passed.
	Mean    Mark
	HasMean bool
	Modules []ModuleResult
	// Progress is CreditsEarned / CreditsRequired, at most 1; zero when
	// the programme requires no credits, as progress is not measured then.
	Progress float64
}

// ProgrammeOverview derives one person's overview of programme p from the
// programme's modules (each once), their lectures by module ID, and the
// person's grade records. Credits are earned for passed modules only.
// Failed and unfinished modules add nothing to the mean, nor do modules
// without credits (they would weigh nothing). The mean is taken over the
// modules' truncated marks, as they stand on the transcript.
func ProgrammeOverview(p Programme, modules []Module, lecturesByModule map[string][]Lecture, records []GradeRecord, maxAttempts int) Overview {
	ov := Overview{CreditsRequired: p.CreditsRequired, Modules: make([]ModuleResult, 0, len(modules))}
	var sum, weight int
	for _, m := range modules {
		r := ModuleOutcome(m, lecturesByModule[m.ID], records, maxAttempts)
		ov.Modules = append(ov.Modules, r)
		if r.Status != ModulePassed || m.Credits <= 0 {
			continue
		}
		ov.CreditsEarned += m.Credits
		sum += int(r.Mark) * m.Credits
		weight += m.Credits
	}
	if weight > 0 {
		ov.Mean, ov.HasMean = Mark(sum/weight), true
	}
	if ov.CreditsRequired > 0 {
		ov.Progress = min(1, float64(ov.CreditsEarned)/float64(ov.CreditsRequired))
	}
	return ov
}

// Stats are the results of one examination, for staff.
type Stats struct {
	// Count is the number of people with a final grade.
	Count int
	// Mean is the plain mean of those grades, fails included, truncated
	// after the first decimal; zero when Count is zero.
	Mean Mark
	// PassRate is the share of Count that passed, from 0 to 1; zero when
	// Count is zero.
	PassRate float64
	// Distribution counts the grades; every step of the scale is present,
	// with zero counts included.
	Distribution map[Grade]int
}

// LectureStats summarises the records of one examination (a lecture, or a
// module examined directly): per person, only the latest final attempt
// counts, as in LectureResult; people with provisional grades only are
// left out. Records are grouped by person and examination, so records of
// several examinations yield one result per person and examination.
func LectureStats(records []GradeRecord) Stats {
	st := Stats{Distribution: make(map[Grade]int, len(scale))}
	for _, g := range scale {
		st.Distribution[g] = 0
	}
	type exam struct{ subject, lecture, module string }
	groups := make(map[exam][]GradeRecord)
	for _, r := range records {
		k := exam{r.Subject, r.LectureID, r.ModuleID}
		groups[k] = append(groups[k], r)
	}
	var sum, passed int
	for _, rs := range groups {
		g, _, ok := LectureResult(rs)
		if !ok {
			continue
		}
		st.Count++
		st.Distribution[g]++
		sum += int(g)
		if g.Passed() {
			passed++
		}
	}
	if st.Count > 0 {
		st.Mean = Mark(sum / st.Count)
		st.PassRate = float64(passed) / float64(st.Count)
	}
	return st
}
