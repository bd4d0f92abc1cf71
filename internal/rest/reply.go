package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"campus/internal/problem"
)

// Reply writes v as JSON with status. A version above 0 sets the ETag
// (see ETag). Cache-Control is no-store unless the handler set its own.
func Reply(w http.ResponseWriter, status, version int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "The answer could not be encoded."})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	if version > 0 {
		h.Set("ETag", ETag(version))
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// ETag is the entity tag of a resource at a version: the version in
// quotes, "3", a strong tag (RFC 9110 section 8.8.3) as the version
// changes with every change of the resource.
func ETag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ParseETag reads the version of a tag ETag made; false for anything
// else, a weak tag included.
func ParseETag(tag string) (int, bool) {
	s, ok := strings.CutPrefix(tag, `"`)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, `"`)
	if !ok || s == "" || s[0] == '0' || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
