package api

import (
	"log/slog"
	"net/http"

	"campus/internal/httpserver"
	"campus/internal/problem"
)

// Deps is what the study API needs.
type Deps struct {
	Logger *slog.Logger
	// Issuer is identity's issuer URL, whose tokens the API trusts.
	Issuer string
	// Ready are the readiness checks: the study database and identity.
	Ready []httpserver.Check
}

// NewServer returns the study service's handler, relative to its base path.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("study"))
	mux.Handle("GET /readyz", httpserver.Readyz("study", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":      "study",
		"description":  "campus study: programmes, modules, lectures, enrolments and grades (REST API)",
		"api":          "v1",
		"token_issuer": d.Issuer,
	}))
	mux.Handle("/", problem.NotFound())
	return mux
}
