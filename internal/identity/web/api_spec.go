package web

import "net/http"

// handleSpec serves the API's OpenAPI document, api/identity.yaml, which
// api_openapi.go holds (go:embed cannot reach above this package; a test
// fails while the copy differs from the file).
//
//go:generate go test -run TestOpenAPICopyIsCurrent -update-openapi .
func (a *api) handleSpec(w http.ResponseWriter, r *http.Request, _ *principal) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(openAPISpec))
}
