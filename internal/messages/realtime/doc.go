// Package realtime delivers the messaging service's events to open
// clients: one Server-Sent Events stream per person, resumable with
// Last-Event-ID, with heartbeats; a hub per process that hands each event
// to the streams of the people it concerns; and the fan-out between
// replicas through PostgreSQL LISTEN/NOTIFY (within the process on
// SQLite). It decides nothing about membership beyond what the store
// says, and it is not the place for rendering messages (Hub.Enrich, set
// by the API) or for authentication (the API calls Serve for a checked
// subject, until its token expires).
//
// # How an event travels
//
// A commit that adds events names them by EventRef (id, kind,
// conversation, subject). On PostgreSQL the commit itself sends the refs
// with pg_notify on messages.Channel(current_schema()), and every
// replica's Run listens (db.Listen: one pool connection held, never
// returned). On SQLite the store's Published hook calls Deliver after the
// commit; the hooks of concurrent commits may run in any order, so
// Deliver only queues the refs and Run's pump hands them out in id order,
// reading from the log any id it was not told of (a gap, or a commit by
// another process such as a command beside the server).
//
// The hub keeps two indexes: conversation → streams of its members,
// and person → their streams. It
// decides who gets an event from the ref alone, reads the event only when
// some stream here wants it, once per process (not per stream), renders
// the SSE text once, and puts the same frame in each stream's bounded
// buffer without waiting: a stream whose buffer is full is closed, and
// its client resumes from Last-Event-ID. Presence, which is not stored,
// is dropped instead and takes at most half a buffer.
//
// # Interest
//
// A stream of sub gets the events of the conversations sub is a member
// of (ConversationIDs when it opens, then member.added and member.removed
// events about sub: the removed member still gets their own removal, and
// a conversation.created's members when the source is a MemberLister),
// events about sub (read markers), and the presence of sub's contacts.
// For presence the hub asks the other way round: when P comes online it
// reads P's contacts (shared conversations: a symmetric relation) once
// per process and tells their streams, so a stream keeps no contact list
// (thousands for a member of large groups) and none goes stale. Those
// reads run in a worker of their own, with a bounded queue that drops
// presence when a crowd comes online at once, so they never hold up the
// events behind them.
//
// # Resumption without gaps or duplicates
//
// Serve subscribes before it reads anything, replays EventsAfter the
// client's Last-Event-ID (or ?last_event_id=) in batches, and then sends
// the live events it queued meanwhile, dropping those at or below the
// last id sent. This is sound because the store commits events in id
// order (an advisory lock on PostgreSQL, the single writer on SQLite):
// anything committed before the replay's read is in it, anything after
// is queued. A client without an id starts from now: it gets an id field
// without data (WHATWG HTML 9.2.6 sets the last event id without firing
// an event), so a reconnect before the first event has no gap either. An
// id older than the log gets an event "reset" (no id), then the newest id.
// After the listener lost its connection, every open stream catches up
// from the log the same way (a resync frame in its queue).
//
// # Cost
//
// A stream has no goroutine of its own: the handler's goroutine waits on
// its queue, a heartbeat ticker and its end. Measured on loopback HTTP
// (BenchmarkIdleStreams): about 17 KB of heap and 11 KB of stacks per
// idle stream, most of it net/http's own buffers; TLS adds its record
// buffers.
package realtime
