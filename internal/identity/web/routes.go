package web

import (
	"log/slog"
	"net/http"

	"campus/internal/httpserver"
	"campus/internal/problem"
)

// Deps is what identity's HTTP surface needs.
type Deps struct {
	Logger *slog.Logger
	// Issuer is identity's issuer URL, {public URL}/idp in all-in-one mode.
	Issuer string
	// Ready are the readiness checks: identity's database.
	Ready []httpserver.Check
}

// NewServer returns identity's handler. Paths are relative to the issuer
// URL: the caller mounts it under the issuer's path.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("identity"))
	mux.Handle("GET /readyz", httpserver.Readyz("identity", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":     "identity",
		"description": "campus identity: accounts, roles, sign-in and single sign-on (OpenID Provider)",
		"issuer":      d.Issuer,
	}))
	mux.Handle("/", problem.NotFound())
	return mux
}
