package study

import (
	"errors"
	"fmt"
)

// Sentinel errors of the study stores; the API maps them to HTTP status.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// ErrVersionMismatch means the resource changed since the version the
// caller read (If-Match failed): someone else edited it meanwhile.
var ErrVersionMismatch = errors.New("changed by someone else meanwhile")

// Link is something that still refers to a resource being deleted.
type Link struct {
	Kind  string `json:"kind"` // programme, module, lecture, enrolment, grade
	ID    string `json:"id"`
	Title string `json:"title"`
}

// LinkedError refuses to delete a resource that is still linked, listing
// the links; deleting with force removes them too.
type LinkedError struct{ Links []Link }

func (e *LinkedError) Error() string {
	return fmt.Sprintf("still linked to %d other resources", len(e.Links))
}

func (e *LinkedError) Is(target error) bool { return target == ErrConflict }

// ModuleInProgramme is a module as part of one programme, with its lectures.
type ModuleInProgramme struct {
	Module
	Compulsory          bool
	RecommendedSemester int
	Lectures            []Lecture
}

// ProgrammeTree is a programme with its modules and their lectures: the
// detail view of the catalogue.
type ProgrammeTree struct {
	Programme
	Modules []ModuleInProgramme
	// Staff are the subject ids of the people responsible for it.
	Staff []string
}

// ProgrammeRef names a programme a module belongs to.
type ProgrammeRef struct {
	ID, Title           string
	Compulsory          bool
	RecommendedSemester int
}

// ModuleDetail is a module with its lectures and the programmes using it.
type ModuleDetail struct {
	Module
	Lectures   []Lecture
	Programmes []ProgrammeRef
	// Staff are the subject ids of the people responsible for it.
	Staff []string
}

// ModuleRef names a module a lecture belongs to.
type ModuleRef struct{ ID, Code, Title string }

// LectureDetail is a lecture with the modules using it.
type LectureDetail struct {
	Lecture
	Modules []ModuleRef
}
