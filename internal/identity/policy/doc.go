// Package policy holds the pure rules that identity's sign-in applies:
// what counts as an acceptable password, when repeated failures lock an
// account, at which times and dates a role or an account may sign in,
// which applications (OAuth clients) a role may use, and how fast one
// client address may try.
//
// The rules are kept apart from their callers so that they can be read,
// reviewed and tested on their own. The package therefore stores nothing
// (lock states and windows come from, and go back to, the caller's store),
// speaks no HTTP, keeps no global mutable state and never reads the clock
// itself: every rule that depends on time takes the time, or a clock
// function, from its caller. The only state it owns is in memory: the
// buckets of [Limiter], meant to be lost on restart, and what a
// [SharedLimiter] last heard from the store that keeps its buckets for
// every replica.
package policy
