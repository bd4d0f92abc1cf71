package api

import (
	"net/http"

	apispec "campus/api"
	"campus/internal/rest"
)

// spec is the API's OpenAPI document, api/messages.yaml.
var spec = apispec.Messages

// Spec returns the API's OpenAPI 3.0.3 document in YAML. The caller must
// not change the slice.
func Spec() []byte { return spec }

// handleSpec serves the OpenAPI document (GET /v1/openapi.yaml).
func handleSpec() http.Handler {
	return rest.StaticContent("application/yaml", spec)
}
