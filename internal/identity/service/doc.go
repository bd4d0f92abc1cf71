// Package service assembles the identity service: from its configuration
// and its database it builds the OpenID Provider and the sign-in pages,
// and it owns the rules that hold whenever identity runs: the first
// administrator, the signing keys and the key that encrypts them, the
// applications declared in the config file and those of campus's own
// services, and the workers that deliver logout tokens, send mail and sync
// the directory. Commands beside the server (campus clients, keys,
// directory) call its exported functions, so that they follow the same
// rules.
//
// It is not where those rules are implemented in detail (the domain in
// internal/identity, the store, oidcop, directory, mailer and web do
// that), and it parses no flags: cmd/campus binds the settings to Config.
package service
