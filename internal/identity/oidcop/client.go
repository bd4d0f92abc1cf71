package oidcop

import (
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/identity"
)

// client adapts identity.Client to op.Client.
type client struct {
	identity.Client
	loginURL   string // path of the login page, with ?authRequestID=
	idTokenTTL time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *client) LoginURL(id string) string        { return c.loginURL + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeJWT
}
func (c *client) IDTokenLifetime() time.Duration { return c.idTokenTTL }
func (c *client) DevMode() bool                  { return false }
func (c *client) ClockSkew() time.Duration       { return 0 }

// The standard claims belong in the id_token itself, not only behind
// userinfo: relying parties read name and e-mail from it.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.Client.GrantTypes))
	for _, g := range c.Client.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

// ApplicationType decides how strictly redirect URIs are matched: web and
// user-agent clients exactly; native clients exactly too, except that a
// loopback redirect may use any port (RFC 8252 section 7.3).
func (c *client) ApplicationType() op.ApplicationType {
	if !c.Public {
		return op.ApplicationTypeWeb
	}
	for _, r := range c.Client.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil {
			continue
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			return op.ApplicationTypeNative
		}
		if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && (u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())) {
			return op.ApplicationTypeNative
		}
	}
	return op.ApplicationTypeUserAgent
}

// IsScopeAllowed answers for scopes beyond the standard ones.
func (c *client) IsScopeAllowed(scope string) bool {
	return slices.Contains(c.Client.Scopes, scope)
}
