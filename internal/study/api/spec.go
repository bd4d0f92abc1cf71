package api

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// The canonical OpenAPI document is api/study.yaml at the module root, out
// of go:embed's reach from here; these copies are refreshed from it by go
// generate, and TestEmbeddedSpecIsCurrent fails when one of them is stale.
// spectest keeps its own copy so that the tests of this package can import
// it without an import cycle.
//
//go:generate cp ../../../api/study.yaml spec/study.yaml
//go:generate cp ../../../api/study.yaml spectest/study.yaml

//go:embed spec/study.yaml
var spec []byte

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
