package api

import (
	"encoding/json"
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
	mux.Handle("GET /{$}", handleIndex(d.Issuer))
	mux.Handle("/", problem.NotFound())
	return mux
}

func handleIndex(issuer string) http.Handler {
	body, _ := json.Marshal(map[string]string{
		"service":      "study",
		"description":  "campus study: programmes, modules, lectures, enrolments and grades (REST API)",
		"api":          "v1",
		"token_issuer": issuer,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}
