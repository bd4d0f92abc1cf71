package study

import "fmt"

// The recommended semester of a module in a programme lies within the
// programme's standard period: a module for semester 9 of a 6-semester
// programme would be shown to students as a semester that does not exist.
// The store checks both sides in the transaction that writes: a link
// against the programme's semesters, and a shorter standard period
// against the links (ProgrammeModule.Validate checks only the general
// limit, which needs no programme).

// CheckRecommendedSemester reports a field error on recommended_semester
// when pm lies after the programme's last semester.
func (pm ProgrammeModule) CheckRecommendedSemester(semesters int) error {
	if pm.RecommendedSemester <= semesters {
		return nil
	}
	var v ValidationError
	if semesters == 1 {
		v.add("recommended_semester", "This programme has only 1 semester; choose semester 1.")
	} else {
		v.add("recommended_semester", fmt.Sprintf("This programme has %d semesters; choose a semester from 1 to %d.", semesters, semesters))
	}
	return v.err()
}

// CheckSemesters reports a field error on semesters when modules of the
// programme are recommended for a semester after its new last one: later
// is how many, latest the latest such semester.
func CheckSemesters(later, latest int) error {
	if later == 0 {
		return nil
	}
	var v ValidationError
	if later == 1 {
		v.add("semesters", fmt.Sprintf("1 module of this programme is recommended for semester %d; move it to an earlier semester first, or keep at least %d semesters.", latest, latest))
	} else {
		v.add("semesters", fmt.Sprintf("%d modules of this programme are recommended for a later semester (up to %d); move them to earlier semesters first, or keep at least %d semesters.", later, latest, latest))
	}
	return v.err()
}
