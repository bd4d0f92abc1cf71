// Package service assembles the study service: from its configuration and
// its database it builds the REST API, with the checks of identity's
// tokens it needs (the signing keys, the revocation feed, API key
// introspection, whether a person to enrol exists).
//
// It parses no flags (cmd/campus binds the settings to Config) and holds
// no rules of the study domain (internal/study) or of its API
// (internal/study/api).
package service
