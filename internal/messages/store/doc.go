// Package store keeps the messaging service's data in its own database
// (SQLite or PostgreSQL): conversations, members, messages, attachments,
// read markers, presence, the reach rules and the event log that open
// clients resume from. It enforces membership in its queries; it is not
// the place for HTTP or for the fan-out of events.
//
// Every method acting for a person takes their subject and answers
// ErrNotFound when they are not a member, the same answer as for an id
// that does not exist. The exceptions, MessageByID and
// ConversationMembers, serve the fan-out, which has decided who receives
// an event already; they must never answer a request.
//
// Messages have UUIDv7 ids, so a conversation's history is its
// (conversation_id, id) index read backwards, a read marker is a message
// id, and "unread" is id > marker (counted up to MaxUnreadCount only).
//
// A change and the events describing it are one transaction. The events
// are inserted at its end: on PostgreSQL under an advisory lock, so that
// they commit in id order, with a NOTIFY of their references to every
// replica; on SQLite the Published hook hears of them after the commit.
// See docs/decisions.md for the event log, the course-group sync, the
// digest scan and the attachments' storage.
package store
