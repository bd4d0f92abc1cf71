// Package realtime delivers the messaging service's events to open
// clients: one Server-Sent Events stream per person, resumable with
// Last-Event-ID, with heartbeats; a hub per process that hands each event
// to the streams of the people it concerns; and the fan-out between
// replicas through PostgreSQL LISTEN/NOTIFY (within the process on
// SQLite). It decides nothing about membership beyond what the store
// says.
package realtime
