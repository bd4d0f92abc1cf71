// Package mfa holds the second factors' own rules: authenticator app codes
// (TOTP, RFC 6238, with github.com/pquerna/otp), recovery codes, and the
// Web Authentication relying party (github.com/go-webauthn/webauthn) over
// identity's accounts. It keeps nothing: the store keeps the factors and
// the ceremonies in progress, the web package drives the pages.
package mfa
