// Package store keeps the messaging service's data in its own database
// (SQLite or PostgreSQL): conversations, members, messages, attachments,
// read markers, presence, the reach rules and the event log that open
// clients resume from. It enforces membership in its queries; it is not
// the place for HTTP or for the fan-out of events.
package store
