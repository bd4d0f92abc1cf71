// Package config fills the typed configuration of a campus command from
// four sources, with the precedence flag > environment variable > YAML
// config file > default, and reports every problem it finds at once rather
// than stopping at the first, so that an operator can fix a broken
// invocation in a single round trip.
//
// The package does not know which settings exist: each command creates a
// Set, registers its settings against fields of its own config struct, and
// calls Load. Nor does it interpret values beyond their type; resolving
// relative paths or checking that settings agree with each other is left to
// the command, which can add such problems to the same report with
// Set.Problems.
package config
