// Package oidcop is identity's OpenID Provider: the glue between
// github.com/zitadel/oidc/v3's op package, which parses and answers every
// protocol request (authorize, token, userinfo, introspection, revocation,
// end session, discovery, JWKS), and identity's store and rules. It does
// not parse OAuth requests or sign JWTs itself; the library does.
package oidcop
