package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"campus/internal/db"
	"campus/internal/problem"
	"campus/internal/rest"
	"campus/internal/study"
	"campus/internal/study/store"
)

// ifMatch reads the version a change is made against (see rest.IfMatch):
// 428 when If-Match is missing, 412 when it names no strong tag of the
// resource. For "*" it is the version current reads now, as the store
// changes a resource only at a version.
func (s *server) ifMatch(w http.ResponseWriter, r *http.Request, current func() (int, error)) (int, bool) {
	v, ok := rest.IfMatch(w, r, rest.Match{Required: true, Current: current})
	if !ok || v != rest.AnyVersion {
		return v, ok
	}
	v, err := current()
	if err != nil {
		fail(w, r, s.logger, err)
		return 0, false
	}
	return v, true
}

// versionAt reads the version of the resource at {id} with get, for
// ifMatch.
func versionAt[T any](r *http.Request, get func(context.Context, string) (T, error), version func(T) int) func() (int, error) {
	return func() (int, error) {
		x, err := get(r.Context(), r.PathValue("id"))
		return version(x), err
	}
}

// fail answers an error from the store or the domain through one table;
// anything unexpected is logged and answered without internals.
func fail(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var ve *study.ValidationError
	var le *study.LinkedError
	switch {
	case errors.As(err, &ve):
		fe := make([]problem.FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fe[i] = problem.FieldError{Field: f.Field, Detail: f.Message}
		}
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values", Detail: "Some values break a rule; see errors.", Errors: fe})
	case errors.As(err, &le):
		writeLinked(w, le)
	case errors.Is(err, study.ErrNotFound):
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "There is no such resource."})
	case errors.Is(err, study.ErrVersionMismatch):
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed, Title: "Changed meanwhile",
			Detail: "Someone else changed this since you read it. Read it again, then make your change."})
	case errors.Is(err, study.ErrConflict):
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: conflictDetail(err)})
	case errors.Is(err, store.ErrNotEnrolled):
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values",
			Detail: "This person is not enrolled in a programme with this lecture or module.",
			Errors: []problem.FieldError{{Field: "subject", Detail: "Not enrolled in a programme with this lecture or module."}}})
	case db.Unavailable(err):
		logger.WarnContext(r.Context(), "study API: database unavailable", "path", r.URL.Path, "err", err)
		problem.Unavailable(w)
	default:
		logger.ErrorContext(r.Context(), "study API", "path", r.URL.Path, "err", err)
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "Something went wrong on our side."})
	}
}

// conflictDetail is the sentence of a conflict the store reports, such as
// "a module with code %q exists already: conflict". The phrasebook knows
// each of these sentences as a format (phrases.go).
func conflictDetail(err error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+study.ErrConflict.Error())
	return fmt.Sprintf("%s.", upperFirst(msg))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// linkedProblem is a 409 listing what still refers to the resource.
type linkedProblem struct {
	problem.Details
	Links []study.Link `json:"links"`
}

func writeLinked(w http.ResponseWriter, le *study.LinkedError) {
	p := problem.Translated(w, problem.Details{Title: "Still linked", Status: http.StatusConflict,
		Detail: "Other resources still refer to this one. Remove the links first, or delete with ?force=true (grades are never removed this way)."})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusConflict)
	_ = json.NewEncoder(w).Encode(linkedProblem{Details: p, Links: le.Links})
}
