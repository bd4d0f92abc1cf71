// Package service assembles the portal: from its configuration and its
// session database it builds the website (portal.NewServer), signing in
// through identity and keeping up with identity's revocation feed.
//
// It parses no flags (cmd/campus binds the settings to Config) and holds
// no pages or handlers (internal/portal).
package service
