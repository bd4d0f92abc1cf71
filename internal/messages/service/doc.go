// Package service wires the messaging service: its store, the event hub,
// the REST API and the jobs (course groups from the study service, digest
// mails through identity), for `campus serve` and `campus messages`.
package service
