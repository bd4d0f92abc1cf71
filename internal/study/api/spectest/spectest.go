// Package spectest checks the study API's handlers against its OpenAPI
// document (api/study.yaml) in tests, through the shared internal/rest/spectest.
// It is for tests only.
//
// It reads the document from the package campus/api, which embeds it, not
// from the study API's package, so that that package's own tests can use it
// without an import cycle.
package spectest

import (
	"testing"

	apispec "campus/api"
	"campus/internal/rest/spectest"
)

var doc = spectest.For("api/study.yaml", apispec.Study)

// V validates exchanges with the study API.
type V = spectest.V

// Validator returns the validator for api/study.yaml; a document that does not
// load or validate fails the test.
func Validator(tb testing.TB) *V {
	tb.Helper()
	return doc.Validator(tb)
}
