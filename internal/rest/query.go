package rest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"campus/internal/problem"
)

// MaxCursor bounds a cursor's length; the cursors campus hands out are far
// shorter.
const MaxCursor = 512

// Query reads a list's query parameters, collecting a field error for each
// wrong one so that all are answered at once (Answer).
type Query struct {
	url.Values
	Errors []problem.FieldError
}

// NewQuery starts reading r's query.
func NewQuery(r *http.Request) *Query { return &Query{Values: r.URL.Query()} }

// Invalid records a field error.
func (q *Query) Invalid(field, detail string) {
	q.Errors = append(q.Errors, problem.FieldError{Field: field, Detail: detail})
}

// Only refuses parameters not in known, naming those that are.
func (q *Query) Only(known ...string) {
	keys := make([]string, 0, len(q.Values))
	for k := range q.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			q.Invalid(k, fmt.Sprintf("is not a parameter of this list; use %s", strings.Join(known, ", ")))
		}
	}
}

// Limit reads ?limit=, a whole number from 1 to max; def when absent.
func (q *Query) Limit(def, max int) int {
	s := q.Get("limit")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		q.Invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", max))
		return def
	}
	return n
}

// Cursor reads ?cursor=, the next_cursor of the page before ("" for the
// first page). Whether it belongs to this list is for the store to say.
func (q *Query) Cursor() string {
	c := q.Get("cursor")
	if len(c) > MaxCursor || strings.ContainsFunc(c, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		q.Invalid("cursor", "is not a cursor this list handed out; start again without it")
		return ""
	}
	return c
}

// Answer answers 400 listing every field error, if there are any, and
// reports whether it did.
func (q *Query) Answer(w http.ResponseWriter) bool {
	if len(q.Errors) == 0 {
		return false
	}
	BadQuery(w, q.Errors...)
	return true
}

// BadQuery answers 400 with field errors of the query.
func BadQuery(w http.ResponseWriter, errs ...problem.FieldError) {
	problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid query", Detail: "Some parameters are not right; see errors.", Errors: errs})
}
