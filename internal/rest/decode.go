package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"campus/internal/problem"
)

// MaxBody bounds every JSON request body.
const MaxBody = 64 << 10

// Decode reads a JSON object body into dst, a pointer to a struct whose
// json tags name the fields allowed. Every field that is not allowed and
// every value of the wrong type is reported at once, in one 422; refused
// gives the reason for a field name a client may be expected to try (a
// read-only one, say), else the allowed ones are listed. A body that is
// not one JSON object is a 400, a larger one a 413, another media type
// than JSON or JSON merge patch a 415. Decode answers the request itself
// and returns false when the body is not acceptable.
func Decode(w http.ResponseWriter, r *http.Request, dst any, refused map[string]string) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/merge-patch+json" {
		problem.Write(w, problem.Details{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/json."})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body may be at most %d KiB.", MaxBody>>10)})
		return false
	}
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body could not be read."})
		return false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Malformed JSON", Detail: jsonProblem(body, err)})
		return false
	}
	allowed := jsonFields(dst)
	var errs []problem.FieldError
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(allowed, name) {
			continue
		}
		reason, ok := refused[name]
		if !ok {
			reason = fmt.Sprintf("is not a field of this request; allowed: %s", strings.Join(allowed, ", "))
		}
		errs = append(errs, problem.FieldError{Field: name, Detail: reason})
	}
	// Each field separately, so that every wrong type is reported at once.
	v := reflect.ValueOf(dst).Elem()
	for i := range v.NumField() {
		name := jsonName(v.Type().Field(i))
		raw, ok := fields[name]
		if !ok || name == "" || name == "-" {
			continue
		}
		if err := json.Unmarshal(raw, v.Field(i).Addr().Interface()); err != nil {
			errs = append(errs, problem.FieldError{Field: name, Detail: typeProblem(err)})
		}
	}
	if errs != nil {
		Invalid(w, errs...)
		return false
	}
	return true
}

// Invalid answers 422 with field errors: the body is JSON, but some values
// are not right.
func Invalid(w http.ResponseWriter, errs ...problem.FieldError) {
	problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid input",
		Detail: "Some fields are not right; see errors.", Errors: errs})
}

// FieldProblem is an error a field's UnmarshalJSON may return to say in
// its own words why a value is refused.
type FieldProblem string

func (f FieldProblem) Error() string { return string(f) }

func jsonProblem(body []byte, err error) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("The body must be one JSON object: %v (at byte %d)", syn, syn.Offset)
	case len(strings.TrimSpace(string(body))) == 0:
		return "The body must be one JSON object: it is empty"
	case err == nil:
		return "The body must be one JSON object: got null"
	}
	return "The body must be one JSON object: it is not an object"
}

// typeProblem says why a field's value does not fit. Each wording is one
// format, so that the phrasebook can translate it whole.
func typeProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf(kindProblem(typ.Type), typ.Value)
	}
	var fe FieldProblem
	if errors.As(err, &fe) {
		return string(fe)
	}
	return "has the wrong type"
}

// kindProblem is the format of typeProblem for a value that should have
// been of type t and was a JSON %s.
func kindProblem(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string, not a JSON %s"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "must be a whole number, not a JSON %s"
	case reflect.Float64, reflect.Float32:
		return "must be a number, not a JSON %s"
	case reflect.Bool:
		return "must be true or false, not a JSON %s"
	case reflect.Slice:
		return "must be a list, not a JSON %s"
	case reflect.Struct, reflect.Map:
		return "must be an object, not a JSON %s"
	}
	return "must be another type, not a JSON %s"
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst).Elem()
	var out []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	return out
}
