package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"campus/internal/httpserver"
	"campus/internal/messages"
	"campus/internal/messages/realtime"
	"campus/internal/messages/store"
	"campus/internal/problem"
	"campus/internal/rest"
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
	// Revoked says whether identity's revocation feed killed an access
	// token (tokencheck.Revocations.Revoked): an open event stream ends
	// within a second of it. nil: a stream lasts until its token expires.
	Revoked func(*tokencheck.Claims) bool
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
// path. The documentation page was rendered from the spec by go generate.
func NewServer(d Deps) (http.Handler, error) {
	docs := &docs{page: generatedPage}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &server{store: d.Store, hub: d.Hub, auth: &authenticator{jwt: d.JWT, keys: d.Keys}, people: d.People,
		logger: d.Logger, now: d.Now, touched: map[string]time.Time{}}
	if d.Revoked != nil {
		s.streams = &streamGuard{revoked: d.Revoked, every: time.Second}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("messages"))
	mux.Handle("GET /readyz", httpserver.Readyz("messages", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":      "messages",
		"description":  "campus messages: conversations, groups, course groups and notices (REST API and event stream)",
		"api":          "v1",
		"token_issuer": d.Issuer,
		"docs":         "v1/docs",
	}))
	patterns := []string{"GET /healthz", "GET /readyz", "GET /{$}"}
	for _, rt := range s.routes(docs) {
		mux.Handle(rt.pattern, rt.h)
		patterns = append(patterns, rt.pattern)
	}
	mux.Handle("/", rest.MethodNotAllowed(patterns, problem.NotFound()))
	return mux, nil
}

// server holds what every handler needs.
type server struct {
	store   *store.Store
	hub     *realtime.Hub
	auth    *authenticator
	people  People
	logger  *slog.Logger
	now     func() time.Time
	streams *streamGuard // nil: streams last as long as their tokens

	mu      sync.Mutex
	touched map[string]time.Time // presence: when this process last recorded a person's activity
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal)

// access is what a route asks of its caller.
type access int

const (
	readAccess   access = iota // a person with messages:read, or their API key
	writeAccess                // a person with messages:write (never an API key)
	streamAccess               // a person with messages:read, by token (never an API key)
	notifyAccess               // a service with messages:notify (client credentials)
)

// guard authenticates the caller and checks what the route needs, then
// records a person's activity (presence) and serves.
func (s *server) guard(need access, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := s.now()
		p, err := s.auth.principal(r)
		if err != nil {
			unauthorized(w, err)
			return
		}
		if !safe(r) && !s.revocationsKnown(r, arrived) {
			w.Header().Set("Retry-After", "5")
			problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable,
				Detail: "Changes are paused: the messages service cannot reach identity to learn of revoked tokens. Try again in a few seconds."})
			return
		}
		if !safe(r) {
			// Again, against every revocation made before the request.
			if p, err = s.auth.principal(r); err != nil {
				unauthorized(w, err)
				return
			}
		}
		switch need {
		case notifyAccess:
			if !p.Has(scopeNotify) || !p.service() {
				rest.Forbidden(w, scopeNotify, "Notices are sent by campus's services with their client credentials and the permission messages:notify.")
				return
			}
		default:
			if p.service() {
				problem.Write(w, problem.Details{Status: http.StatusForbidden,
					Detail: "Messages are a person's own; a service token has none. Services send notices (POST /v1/notices)."})
				return
			}
			switch {
			case need == readAccess && !p.mayRead():
				rest.Forbidden(w, scopeRead, fmt.Sprintf("The messages API needs the permission %s for this.", scopeRead))
				return
			case need == streamAccess && p.ReadOnly:
				problem.Write(w, problem.Details{Status: http.StatusForbidden,
					Detail: "The event stream takes an access token in the Authorization header, never an API key: a key would sit in the URL of a connection that stays open."})
				return
			case need == streamAccess && !p.Has(scopeRead):
				rest.Forbidden(w, scopeRead, fmt.Sprintf("The messages API needs the permission %s for this.", scopeRead))
				return
			case need == writeAccess && p.ReadOnly:
				problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: "API keys are read-only; sign in to send or change messages."})
				return
			case need == writeAccess && !p.Has(scopeWrite):
				rest.Forbidden(w, scopeWrite, fmt.Sprintf("The messages API needs the permission %s for this.", scopeWrite))
				return
			}
			if !p.ReadOnly {
				s.touch(r.Context(), p.Subject)
			}
		}
		h(w, r, p)
	})
}

func safe(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// revocationsKnown reports whether a change may go on as far as
// revocations go: only once the verifier holds every revocation made
// before the request arrived, so that no write succeeds with a token
// identity had revoked.
func (s *server) revocationsKnown(r *http.Request, arrived time.Time) bool {
	c, ok := s.auth.jwt.(revocationsUpTo)
	return !ok || c.RevocationsUpTo(r.Context(), arrived)
}

// touchEvery throttles presence writes: a person's activity is recorded
// at most this often per process. Presence counts activity within
// messages.PresenceWindow, far longer, so nothing is lost but writes.
const touchEvery = time.Minute

// touch records that sub is active and, when they came online and do not
// hide it, tells their contacts. API keys do not count: a script polling
// with its owner's key does not make the owner present. Failures are
// logged only: presence is a courtesy, never a reason to refuse a request.
func (s *server) touch(ctx context.Context, sub string) {
	now := s.now()
	s.mu.Lock()
	last, ok := s.touched[sub]
	if ok && now.Sub(last) < touchEvery && now.After(last) {
		s.mu.Unlock()
		return
	}
	s.touched[sub] = now
	if len(s.touched) > 100000 {
		// Forget the old entries rather than grow without bound.
		for k, t := range s.touched {
			if now.Sub(t) >= touchEvery {
				delete(s.touched, k)
			}
		}
	}
	s.mu.Unlock()
	online, err := s.store.Touch(ctx, sub)
	if err != nil {
		s.logger.WarnContext(ctx, "messages API: presence", "err", err)
		return
	}
	if !online || s.hub == nil {
		return
	}
	if hidden, err := s.store.PresenceHidden(ctx, sub); err != nil || hidden {
		return
	}
	if err := s.hub.PublishPresence(ctx, sub, true); err != nil {
		s.logger.WarnContext(ctx, "messages API: publish presence", "err", err)
	}
}

// unauthorized answers a request whose credentials failed (rest.Refuse).
func unauthorized(w http.ResponseWriter, err error) {
	rest.Refuse(w, err, rest.Refusals{
		NoToken:     "Sign in: send an access token for campus-messages as Authorization: Bearer TOKEN.",
		Unavailable: "The token cannot be checked right now: the messages service cannot reach identity. Try again in a few seconds.",
		TokenInURL:  "Access tokens go in the Authorization header, never in the URL; the key parameter of the messages API takes API keys only.",
		Invalid:     "The token is not valid for the messages API (expired, revoked or for another API). Sign in again.",
	})
}
