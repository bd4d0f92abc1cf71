package oidcop

import (
	"crypto/sha256"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"campus/internal/identity"
)

// customScopes are the scopes campus offers beyond OpenID's own: each
// permission is a scope, and the service scopes (client credentials
// only) are scopes too.
func customScopes() []string {
	var scopes []string
	for _, p := range identity.Permissions() {
		scopes = append(scopes, string(p))
	}
	return append(scopes, identity.ServiceScopes()...)
}

// NewProvider returns the OpenID Provider over storage. Its handler serves
// discovery, authorize, token, userinfo, introspection, revocation,
// end_session, device authorization (RFC 8628) and JWKS relative to the issuer's path. loggedOutPath is where
// a logout without post_logout_redirect_uri ends.
func NewProvider(storage *Storage, secret []byte, loggedOutPath string) (*op.Provider, error) {
	cfg := &op.Config{
		// The library encrypts nothing campus uses with it (access tokens are
		// JWTs), but wants a key; derive one that is stable across replicas.
		CryptoKey:                         sha256.Sum256(append([]byte("campus oidc crypto key "), secret...)),
		DefaultLogoutRedirectURI:          loggedOutPath,
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		SupportedUILocales:                []language.Tag{language.English, language.German},
		SupportedScopes:                   append([]string{"openid", "profile", "email", "offline_access"}, customScopes()...),
		SupportedClaims:                   []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "azp", "at_hash", "sid", "name", "given_name", "family_name", "preferred_username", "updated_at", "email", "email_verified", "roles", "acr", "amr"},
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	issuerPath := ""
	if u, err := url.Parse(storage.cfg.Issuer); err == nil {
		issuerPath = u.Path
	}
	cfg.DeviceAuthorization = storage.deviceConfig(issuerPath)
	opts := []op.Option{
		op.WithHttpInterceptors(interceptor(storage)),
		op.WithAccessTokenKeySet(newRememberingKeySet(storage)),
		op.WithCORSOptions(corsOptions()),
	}
	if u, err := url.Parse(storage.cfg.Issuer); err == nil && u.Scheme == "http" {
		// Only behind a TLS-terminating proxy or on loopback in tests.
		opts = append(opts, op.WithAllowInsecure())
	}
	return op.NewProvider(cfg, storage, op.StaticIssuer(storage.cfg.Issuer), opts...)
}
