package web

import (
	"net/http"

	apispec "campus/api"
)

// handleSpec serves the API's OpenAPI document, api/identity.yaml.
func (a *api) handleSpec(w http.ResponseWriter, r *http.Request, _ *principal) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(apispec.Identity)
}
