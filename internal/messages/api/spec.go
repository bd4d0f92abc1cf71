package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	apispec "campus/api"
)

// spec is the API's OpenAPI document, api/messages.yaml.
var spec = apispec.Messages

// Spec returns the API's OpenAPI 3.0.3 document in YAML. The caller must
// not change the slice.
func Spec() []byte { return spec }

// handleSpec serves the OpenAPI document (GET /v1/openapi.yaml).
func handleSpec() http.Handler {
	return staticContent("application/yaml", spec)
}

// staticContent serves body, which never changes while the process runs,
// with a strong ETag so that clients revalidate cheaply (RFC 9110 section
// 13.1.2) and always get the document of the version running.
func staticContent(contentType string, body []byte) http.Handler {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		if noneMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}

// noneMatch reports whether an If-None-Match header value names etag,
// using the weak comparison RFC 9110 section 13.1.2 prescribes for it.
func noneMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
