// Package problem writes RFC 9457 problem details (application/problem+json),
// the error format of every campus REST API. OAuth protocol endpoints do not
// use it; they answer RFC 6749 error JSON through the OpenID Provider library.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"

	"campus/internal/i18n"
)

// RetryAfter is how long, in seconds, a client is asked to wait after a
// 503 that says nothing more specific: long enough for a database
// restart or a replica to come back, short enough that people retrying by
// hand are not kept waiting.
const RetryAfter = 5

// FieldError names one field of a request that is wrong, and why.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Details is an RFC 9457 problem document with campus's one extension, a
// list of field errors.
type Details struct {
	Type     string       `json:"type,omitempty"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// Write sends p with its status. Title defaults to the status text. A 503
// always carries Retry-After (RFC 9110 section 10.2.3): RetryAfter unless
// the handler set its own.
//
// Under Localize, the title, detail and field errors are written in the
// client's language (Accept-Language), translated through Phrases.
func Write(w http.ResponseWriter, p Details) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p = Translated(w, p)
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Translated returns p in the language Localize chose for w's request,
// with Content-Language set when that is not English. Write calls it; a
// handler that encodes a problem with extension members of its own calls
// it before encoding.
func Translated(w http.ResponseWriter, p Details) Details {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if lang := langOf(w); lang != i18n.English {
		p = p.in(lang)
		w.Header().Set("Content-Language", string(lang))
	}
	return p
}

// NotFound answers 404 for any path a service does not serve.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Write(w, Details{Status: http.StatusNotFound, Detail: "There is nothing at this address."})
	})
}

// Unavailable answers 503 for a request that failed only because
// something campus depends on (its database) is down for the moment:
// nothing was changed, and the same request will work again.
func Unavailable(w http.ResponseWriter) {
	Write(w, Details{Status: http.StatusServiceUnavailable, Title: "Temporarily unavailable",
		Detail: "The service cannot reach its database right now; nothing was changed. Try again in a few seconds."})
}
