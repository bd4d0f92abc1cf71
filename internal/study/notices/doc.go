// Package notices delivers the study service's notices (a grade
// published, a programme changed) from its outbox to the messages
// service's POST /v1/notices, with the study client's own token, retrying
// with backoff under leases as identity's mail outbox does.
//
// What is queued, and when, is the store's (internal/study/store); this
// package only sends.
package notices
