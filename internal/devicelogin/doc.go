// Package devicelogin is the logic of `campus login`, `campus token` and
// `campus logout`: it signs a person in to a campus through the OAuth 2.0
// Device Authorization Grant (RFC 8628) with the built-in public client
// campus-cli, keeps the tokens per campus URL in the user's config
// directory (credentials.json, mode 0600, written atomically), hands out a
// current access token (refreshing it with the refresh token when it
// expires within a minute), and revokes them on logout (RFC 7009).
package devicelogin
