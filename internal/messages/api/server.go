package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/httpserver"
	"campus/internal/messages"
	"campus/internal/messages/realtime"
	"campus/internal/messages/store"
	"campus/internal/tokencheck"
)

// Deps is what the messages API needs.
type Deps struct {
	Logger *slog.Logger
	// Issuer is identity's issuer URL, whose tokens the API trusts.
	Issuer string
	// Ready are the readiness checks: the database and identity.
	Ready []httpserver.Check
	Store *store.Store
	Hub   *realtime.Hub
	// JWT verifies identity's access tokens (audience campus-messages);
	// Keys introspects API keys (read-only), nil to refuse them.
	JWT  JWTVerifier
	Keys Introspector
	// People names people and finds them for the reach rules; nil: names
	// are not shown and only course-group peers can be found.
	People People
	Now    func() time.Time
}

// JWTVerifier checks identity's access tokens.
type JWTVerifier interface {
	Verify(ctx context.Context, raw string) (*tokencheck.Claims, error)
}

// Introspector asks identity about opaque tokens (API keys), RFC 7662.
type Introspector interface {
	Introspect(ctx context.Context, token string) (*tokencheck.Introspection, error)
}

// People asks identity about people (internal/messages/people.Directory).
type People interface {
	// Lookup returns the people of ids that exist (in no given order).
	Lookup(ctx context.Context, ids []string) (map[string]messages.Person, error)
	// Search finds people whose name or username begins with the words of
	// q, at most limit.
	Search(ctx context.Context, q string, limit int) ([]messages.Person, error)
}

// NewServer returns the messages service's handler, relative to its base
// path.
func NewServer(d Deps) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("messages"))
	mux.Handle("GET /readyz", httpserver.Readyz("messages", d.Logger, d.Ready...))
	return mux, nil
}
