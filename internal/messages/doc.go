// Package messages is the domain of the messaging service: conversations
// (one-to-one, groups, course groups that campus keeps from the study
// service's enrolments, and each person's notices), messages with
// attachments, read markers, presence, and the events that reach open
// clients in real time. It knows people only by their subject id (sub)
// from identity's tokens; names are asked of identity when shown, never
// stored. The SQL store, the event fan-out and the REST API live in the
// packages beside it.
package messages
