// Package problem writes RFC 9457 problem details (application/problem+json),
// the error format of every campus REST API. OAuth protocol endpoints do not
// use it; they answer RFC 6749 error JSON through the OpenID Provider library.
package problem

import (
	"encoding/json"
	"net/http"
)

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

// Write sends p with its status. Title defaults to the status text.
func Write(w http.ResponseWriter, p Details) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// NotFound answers 404 for any path a service does not serve.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Write(w, Details{Status: http.StatusNotFound, Detail: "There is nothing at this address."})
	})
}
