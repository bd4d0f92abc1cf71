// Package people is the messages service's way to identity, which alone
// knows who people are: Directory names people by subject id (with their
// roles, which the reach rules go by) and finds them by name, and Mailer
// has identity mail a person (the digest of unread messages). Both call
// identity's API with the messages service's own client-credentials token
// (people:read, mail:send). Names are cached for a minute and never
// stored. It does not authenticate callers (tokencheck does).
package people
