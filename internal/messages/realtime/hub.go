package realtime

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

// Source is what the hub reads from the messages store.
type Source interface {
	ConversationIDs(ctx context.Context, sub string) ([]string, error)
	Contacts(ctx context.Context, sub string, limit int) ([]string, error)
	EventsAfter(ctx context.Context, sub string, after int64, limit int) ([]messages.Event, bool, error)
	Event(ctx context.Context, id int64) (messages.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Touch(ctx context.Context, sub string) (bool, error)
	PresenceHidden(ctx context.Context, sub string) (bool, error)
}

// Hub hands events to the open streams of this process.
type Hub struct {
	src    Source
	db     *db.DB
	logger *slog.Logger
	now    func() time.Time
}

// New returns a hub reading from src; d decides the fan-out (PostgreSQL:
// LISTEN/NOTIFY, started by Run; SQLite: Deliver, called by the store).
func New(src Source, d *db.DB, logger *slog.Logger, now func() time.Time) *Hub {
	return &Hub{src: src, db: d, logger: logger, now: now}
}

// Run listens for other replicas' events on PostgreSQL until ctx ends,
// reconnecting after a loss (and resynchronising the open streams from
// the event log); on SQLite it only waits for ctx.
func (h *Hub) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Deliver hands events committed in this process to the open streams
// (the store's Published hook on SQLite).
func (h *Hub) Deliver(refs []messages.EventRef) {}

// PublishPresence tells sub's contacts, on every replica, that sub came
// online (or went away); hidden presence is never published.
func (h *Hub) PublishPresence(ctx context.Context, sub string, active bool) error { return nil }

// Serve is sub's event stream (text/event-stream, WHATWG HTML 9.2): it
// replays the stored events after the request's Last-Event-ID, then sends
// new events as they come and a heartbeat comment every Heartbeat, and
// ends at until (the caller's token expiry) or when the client goes.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, sub string, until time.Time) {
	http.Error(w, "not implemented yet", http.StatusNotImplemented)
}

// Streams is how many streams are open in this process.
func (h *Hub) Streams() int { return 0 }
