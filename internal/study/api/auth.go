package api

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"campus/internal/rest"
	"campus/internal/tokencheck"
)

// Principal is who calls: a person (or a service) with scopes.
type Principal struct {
	Subject  string
	ClientID string
	Scopes   []string
	Roles    []string
	// ReadOnly is set for API keys: they read the public catalogue and the
	// owner's own enrolments and grades, and change nothing.
	ReadOnly bool
	// MFA is set when the person signed in with a second factor (the
	// token's amr has mfa); never for an API key or a service's token.
	MFA bool
}

// Has reports whether the principal may use scope.
func (p *Principal) Has(scope string) bool {
	return p != nil && !p.ReadOnly && slices.Contains(p.Scopes, scope)
}

// Staff reports whether the principal may see drafts: staff and
// administrators, or anyone holding the catalogue-write scope; never an
// API key, which reads the public catalogue only, whoever owns it.
func (p *Principal) Staff() bool {
	if p == nil || p.ReadOnly {
		return false
	}
	return slices.Contains(p.Roles, "admin") || slices.Contains(p.Roles, "staff") || slices.Contains(p.Scopes, "studies:write")
}

// JWTVerifier checks identity's access tokens.
type JWTVerifier interface {
	Verify(ctx context.Context, raw string) (*tokencheck.Claims, error)
}

// Introspector asks identity about opaque tokens (API keys), RFC 7662.
type Introspector interface {
	Introspect(ctx context.Context, token string) (*Principal, error)
}

var errNoToken = rest.ErrNoToken

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
		c, err := a.jwt.Verify(r.Context(), raw)
		if err != nil {
			return nil, err
		}
		return &Principal{Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes, Roles: c.Roles, MFA: c.HasAMR("mfa")}, nil
	}
	if a.keys == nil {
		return nil, errors.New("unknown token")
	}
	p, err := a.keys.Introspect(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	p.ReadOnly, p.MFA = true, false
	return p, nil
}

// IdentityIntrospector introspects opaque tokens at identity with the
// study service's own client credentials (see tokencheck.Introspector).
type IdentityIntrospector struct{ *tokencheck.Introspector }

// Introspect answers with the caller the token stands for.
func (in IdentityIntrospector) Introspect(ctx context.Context, token string) (*Principal, error) {
	a, err := in.Introspector.Introspect(ctx, token)
	if err != nil {
		return nil, err
	}
	return &Principal{Subject: a.Subject, ClientID: a.ClientID, Scopes: a.Scopes, Roles: a.Roles}, nil
}
