package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"campus/internal/rest"
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
	// claims are the access token's, for ending an event stream when
	// identity revokes it (nil for API keys).
	claims *tokencheck.Claims
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

// authenticator finds the caller of a request: a bearer JWT checked
// locally, or an opaque key (bearer or ?key=) checked by introspection.
type authenticator struct {
	jwt  JWTVerifier
	keys Introspector // nil: opaque tokens are refused
}

func (a *authenticator) principal(r *http.Request) (*Principal, error) {
	raw, err := rest.Credential(r)
	if err != nil {
		return nil, err
	}
	if rest.LooksLikeJWT(raw) {
		if a.jwt == nil {
			return nil, errors.New("no token verifier")
		}
		c, err := a.jwt.Verify(r.Context(), raw)
		if err != nil {
			return nil, err
		}
		return &Principal{Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes, Roles: c.Roles, Expiry: c.Expiry, claims: c}, nil
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

// revocationsUpTo is the verifier's optional promise that it knows every
// revocation made before a time (tokencheck.Verifier).
type revocationsUpTo interface {
	RevocationsUpTo(context.Context, time.Time) bool
}

var _ JWTVerifier = (*tokencheck.Verifier)(nil)
var _ revocationsUpTo = (*tokencheck.Verifier)(nil)
var _ Introspector = (*tokencheck.Introspector)(nil)
