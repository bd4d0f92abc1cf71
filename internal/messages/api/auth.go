package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"campus/internal/tokencheck"
)

// Scopes of the messages API.
const (
	scopeRead   = "messages:read"
	scopeWrite  = "messages:write"
	scopeNotify = "messages:notify"
)

// Principal is who calls: a person (or a service) with scopes.
type Principal struct {
	Subject  string
	ClientID string
	Scopes   []string
	Roles    []string
	// ReadOnly is set for API keys: they read their owner's conversations
	// and change nothing.
	ReadOnly bool
	// Expiry is when the token expires (zero for API keys): the event
	// stream ends then, and the client reconnects with a fresh token.
	Expiry time.Time
}

// Has reports whether the principal may use scope; an API key never
// carries a scope of this API, but reads (see mayRead).
func (p *Principal) Has(scope string) bool {
	return p != nil && !p.ReadOnly && slices.Contains(p.Scopes, scope)
}

// mayRead: messages:read, or an API key of a person (keys read their
// owner's data, as in the study API).
func (p *Principal) mayRead() bool { return p.ReadOnly || p.Has(scopeRead) }

// service tells a service acting for itself (client credentials: the
// subject is the client) from a person.
func (p *Principal) service() bool { return p.Subject == "" || p.Subject == p.ClientID }

var errNoToken = errors.New("no token")

// errTokenInURL refuses an access token (a JWT) given as ?key=, which is
// for API keys only: a URL ends up in logs and Referer headers, where a
// token that can change things must never be (RFC 6750 section 5.3).
var errTokenInURL = errors.New("access token in the URL")

// authenticator finds the caller of a request: a bearer JWT checked
// locally, or an opaque key (bearer or ?key=) checked by introspection.
type authenticator struct {
	jwt  JWTVerifier
	keys Introspector // nil: opaque tokens are refused
}

func (a *authenticator) principal(r *http.Request) (*Principal, error) {
	raw := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, errors.New("the Authorization header must be: Bearer TOKEN")
		}
		raw = strings.TrimSpace(token)
	} else if k := r.URL.Query().Get("key"); k != "" {
		if looksLikeJWT(k) {
			return nil, errTokenInURL
		}
		raw = k
	}
	if raw == "" {
		return nil, errNoToken
	}
	if looksLikeJWT(raw) {
		if a.jwt == nil {
			return nil, errors.New("no token verifier")
		}
		c, err := a.jwt.Verify(r.Context(), raw)
		if err != nil {
			return nil, err
		}
		return &Principal{Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes, Roles: c.Roles, Expiry: c.Expiry}, nil
	}
	if a.keys == nil {
		return nil, errors.New("unknown token")
	}
	in, err := a.keys.Introspect(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	return &Principal{Subject: in.Subject, ClientID: in.ClientID, Scopes: in.Scopes, Roles: in.Roles, ReadOnly: true}, nil
}

// looksLikeJWT tells a JWT (three dot-separated parts, RFC 7519 section
// 3) from an opaque API key, which has no dots.
func looksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// revocationsUpTo is the verifier's optional promise that it knows every
// revocation made before a time (tokencheck.Verifier).
type revocationsUpTo interface {
	RevocationsUpTo(context.Context, time.Time) bool
}

var _ JWTVerifier = (*tokencheck.Verifier)(nil)
var _ revocationsUpTo = (*tokencheck.Verifier)(nil)
var _ Introspector = (*tokencheck.Introspector)(nil)
