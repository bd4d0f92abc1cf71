package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"campus/internal/problem"
	"campus/internal/study"
	"campus/internal/study/store"
)

const maxJSONBody = 64 << 10

// decode reads a JSON body strictly: one object, no unknown fields, at
// most maxJSONBody bytes. A problem names what is wrong.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/merge-patch+json" {
		problem.Write(w, problem.Details{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/json."})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		detail := "The body is not valid JSON: " + err.Error()
		switch {
		case errors.As(err, &tooBig):
			problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body may be at most %d KiB.", maxJSONBody>>10)})
			return false
		case errors.As(err, &syntax):
			detail = fmt.Sprintf("The body is not valid JSON (at byte %d).", syntax.Offset)
		case errors.As(err, &typ):
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "A field has the wrong type.",
				Errors: []problem.FieldError{{Field: typ.Field, Detail: "Expected " + typ.Type.String() + "."}}})
			return false
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body has a field this API does not know.",
				Errors: []problem.FieldError{{Field: f, Detail: "Unknown field."}}})
			return false
		case errors.Is(err, io.EOF):
			detail = "The body is empty; send a JSON object."
		}
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: detail})
		return false
	}
	if dec.More() {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "Send one JSON object, not several."})
		return false
	}
	return true
}

// reply writes v as JSON with status; version > 0 sets the ETag.
func reply(w http.ResponseWriter, status, version int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if version > 0 {
		h.Set("ETag", etag(version))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads the version a change is made against: 428 when the header
// is missing, 412 when it is not one of ours (it can never match).
func ifMatch(w http.ResponseWriter, r *http.Request) (int, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		problem.Write(w, problem.Details{Status: http.StatusPreconditionRequired,
			Detail: "Send If-Match with the ETag you read, so that a change made by someone else meanwhile is not overwritten."})
		return 0, false
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil || v < 1 {
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed, Detail: "The If-Match value is not an ETag of this resource."})
		return 0, false
	}
	return v, true
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
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: notFoundDetail(err)})
	case errors.Is(err, study.ErrVersionMismatch):
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed, Title: "Changed meanwhile",
			Detail: "Someone else changed this since you read it. Read it again, then make your change."})
	case errors.Is(err, study.ErrConflict):
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: upperFirst(err.Error()) + "."})
	case errors.Is(err, store.ErrNotEnrolled):
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid values",
			Detail: "This person is not enrolled in a programme with this lecture or module.",
			Errors: []problem.FieldError{{Field: "subject", Detail: "Not enrolled in a programme with this lecture or module."}}})
	default:
		logger.ErrorContext(r.Context(), "study API", "path", r.URL.Path, "err", err)
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "Something went wrong on our side."})
	}
}

func notFoundDetail(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 {
		return upperFirst(msg[:i]) + " not found."
	}
	return "There is no such resource."
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
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusConflict)
	_ = json.NewEncoder(w).Encode(linkedProblem{
		Details: problem.Details{Title: "Still linked", Status: http.StatusConflict,
			Detail: "Other resources still refer to this one. Remove the links first, or delete with ?force=true (grades are never removed this way)."},
		Links: le.Links,
	})
}
