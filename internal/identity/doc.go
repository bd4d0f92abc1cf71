// Package identity is the domain of the user service: accounts, roles and
// their permissions, and the rules around them. The SQL store, the OpenID
// Provider glue and the HTTP handlers live in the packages beside it; this
// package holds no SQL and no HTTP.
package identity
