package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

// txn is a write transaction that collects the events of the change it
// makes; they are inserted at its end (see flush), so the lock that
// orders them is held as briefly as possible.
type txn struct {
	*sql.Tx
	events []pendingEvent
	sent   []sentMessage        // the messages sent, for applySent
	stmts  map[string]*sql.Stmt // this transaction's statements (see exec)
	lite   bool                 // on SQLite
	db     *db.DB               // for statements kept beyond it
}

// prepared returns query as a statement of this transaction, prepared
// once per process on the writer's connection (db.TxStmt): a batch of
// sends (see writeGrouped) runs the same statements many times, and
// preparing them was a quarter of a send's statements' cost on SQLite,
// still a tenth when prepared once per transaction. The transaction's
// statements close with it.
func (t *txn) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.db.TxStmt(ctx, t.Tx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

// exec runs a statement of fixed text through prepared.
func (t *txn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow runs a query of fixed text through prepared.
func (t *txn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.prepared(ctx, query)
	if err != nil {
		return t.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// sentMessage is a message sent in the transaction.
type sentMessage struct {
	conversation, sender, id string
	at                       time.Time
}

// applySent moves each conversation's last message time and each
// sender's read marker to the transaction's newest, one statement each:
// a batch of sends (writeGrouped) to one conversation updates its row
// once, not once per send. The conditions keep the later value whichever
// transaction commits last, and a marker never moves backwards.
func (t *txn) applySent(ctx context.Context) error {
	if len(t.sent) == 0 {
		return nil
	}
	type reader struct{ conversation, sender string }
	var convs []string
	var readers []reader
	last := map[string]time.Time{}
	upTo := map[reader]string{}
	for _, m := range t.sent {
		if at, ok := last[m.conversation]; !ok {
			convs = append(convs, m.conversation)
			last[m.conversation] = m.at
		} else if m.at.After(at) {
			last[m.conversation] = m.at
		}
		r := reader{m.conversation, m.sender}
		if id, ok := upTo[r]; !ok {
			readers = append(readers, r)
			upTo[r] = m.id
		} else if m.id > id {
			upTo[r] = m.id
		}
	}
	t.sent = nil
	for _, c := range convs {
		if _, err := t.exec(ctx, `UPDATE conversations SET last_message_at = $2 WHERE id = $1 AND last_message_at < $2`, c, last[c]); err != nil {
			return err
		}
	}
	for _, r := range readers {
		if _, err := t.exec(ctx, `UPDATE members SET read_up_to = $3 WHERE conversation_id = $1 AND subject = $2 AND read_up_to < $3`,
			r.conversation, r.sender, upTo[r]); err != nil {
			return err
		}
	}
	return nil
}

type pendingEvent struct {
	kind, conversation, subject string
	data                        []byte
}

// event records that something happened, in the transaction of the change.
func (t *txn) event(kind, conversationID, subject string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		panic("messages store: event data cannot be encoded: " + err.Error()) // plain maps of strings and numbers
	}
	t.events = append(t.events, pendingEvent{kind: kind, conversation: conversationID, subject: subject, data: b})
}

// eventsLock is the advisory lock (pg_advisory_xact_lock) every
// transaction that adds events takes first on PostgreSQL: without it two
// transactions could take ids 7 and 8 and commit 8 first, and a client
// that saw 8 and resumes from it would never get 7. Held to the commit, it
// makes events commit in id order. Installations in other schemas of one
// database share it: they only wait for each other briefly.
const eventsLock = 0x6d657373616765 // "message"

// write runs fn in a write transaction, adds the events it recorded and
// tells the fan-out after the commit (SQLite) or with it (PostgreSQL).
func (s *Store) write(ctx context.Context, fn func(t *txn) error) error {
	var refs []messages.EventRef
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t := &txn{Tx: tx, lite: s.db.Dialect() == db.SQLite, db: s.db}
		if err := fn(t); err != nil {
			return err
		}
		var err error
		refs, err = s.flush(ctx, t)
		return err
	})
	if err != nil || s.db.Dialect() != db.SQLite {
		return err
	}
	s.committed()
	if len(refs) > 0 && s.Published != nil {
		s.Published(refs)
	}
	return nil
}

// flush inserts the transaction's events and, on PostgreSQL, notifies
// the listeners of every replica: NOTIFY is delivered at the commit, and
// only if it commits.
func (s *Store) flush(ctx context.Context, t *txn) ([]messages.EventRef, error) {
	if err := t.applySent(ctx); err != nil {
		return nil, err
	}
	if len(t.events) == 0 {
		return nil, nil
	}
	pg := s.db.Dialect() == db.Postgres
	if pg {
		if _, err := t.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(eventsLock)); err != nil {
			return nil, fmt.Errorf("lock the event log: %w", err)
		}
	}
	now := s.stamp()
	refs := make([]messages.EventRef, 0, len(t.events))
	if !pg {
		// One writer, so the ids come in the order of the events: one
		// INSERT each, prepared once per process (a multi-row INSERT of
		// another length each time was parsed each time, a tenth of a
		// loaded server's CPU).
		for _, e := range t.events {
			ref := messages.EventRef{Kind: e.kind, ConversationID: e.conversation, Subject: e.subject}
			// The id is the rowid: LastInsertId reads it without
			// RETURNING's extra step.
			res, err := t.exec(ctx, `INSERT INTO events (kind, conversation_id, subject, data, created_at) VALUES ($1, $2, $3, $4, $5)`,
				e.kind, e.conversation, e.subject, string(e.data), now)
			if err == nil {
				ref.ID, err = res.LastInsertId()
			}
			if err != nil {
				return nil, fmt.Errorf("add events: %w", err)
			}
			refs = append(refs, ref)
		}
		return refs, nil
	}
	for _, batch := range chunks(t.events, 500) {
		var a db.Args
		rows := make([]string, len(batch))
		at := a.Add(now)
		for i, e := range batch {
			rows[i] = "(" + a.Add(e.kind) + ", " + a.Add(e.conversation) + ", " + a.Add(e.subject) + ", " + a.Add(string(e.data)) + ", " + at + ")"
		}
		rs, err := t.QueryContext(ctx, `INSERT INTO events (kind, conversation_id, subject, data, created_at) VALUES `+
			strings.Join(rows, ", ")+` RETURNING id, kind, conversation_id, subject`, a.Values()...)
		got, err := db.Collect(rs, err, func(r db.Scanner) (messages.EventRef, error) {
			var e messages.EventRef
			err := r.Scan(&e.ID, &e.Kind, &e.ConversationID, &e.Subject)
			return e, err
		})
		if err != nil {
			return nil, fmt.Errorf("add events: %w", err)
		}
		refs = append(refs, got...)
	}
	// RETURNING promises no order.
	slices.SortFunc(refs, func(a, b messages.EventRef) int { return cmp.Compare(a.ID, b.ID) })
	if pg {
		channel, err := s.notifyChannel(ctx, t.Tx)
		if err != nil {
			return nil, err
		}
		for _, payload := range notifyPayloads(refs) {
			if _, err := t.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
				return nil, fmt.Errorf("notify: %w", err)
			}
		}
	}
	return refs, nil
}

// maxNotify keeps a NOTIFY payload below PostgreSQL's limit (8000 bytes
// in the default configuration).
const maxNotify = 7900

// notifyPayloads encodes refs as JSON arrays of at most maxNotify bytes.
func notifyPayloads(refs []messages.EventRef) []string {
	var out []string
	var b strings.Builder
	for _, r := range refs {
		one, _ := json.Marshal(r)
		if b.Len() > 0 && b.Len()+len(one)+2 > maxNotify {
			b.WriteByte(']')
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteByte('[')
		} else {
			b.WriteByte(',')
		}
		b.Write(one)
	}
	if b.Len() > 0 {
		b.WriteByte(']')
		out = append(out, b.String())
	}
	return out
}

// notifyChannel is messages.Channel of the schema the store works in,
// asked once.
func (s *Store) notifyChannel(ctx context.Context, q queryer) (string, error) {
	s.schemaOnce.Lock()
	defer s.schemaOnce.Unlock()
	if s.channel != "" {
		return s.channel, nil
	}
	var schema string
	if err := q.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", fmt.Errorf("read the schema's name: %w", err)
	}
	s.channel = messages.Channel(schema)
	return s.channel, nil
}

// Channel is the PostgreSQL channel this store notifies on
// (messages.Channel of its schema), for the fan-out's LISTEN.
func (s *Store) Channel(ctx context.Context) (string, error) {
	return s.notifyChannel(ctx, s.db)
}

// ConversationIDs lists every conversation sub is a member of.
func (s *Store) ConversationIDs(ctx context.Context, sub string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT conversation_id FROM members WHERE subject = $1 ORDER BY conversation_id`, sub)
	return db.Collect(rows, err, db.Value[string])
}

const eventColumns = `id, kind, conversation_id, subject, data, created_at`

func scanEvent(r db.Scanner) (messages.Event, error) {
	var e messages.Event
	var data string
	err := r.Scan(&e.ID, &e.Kind, &e.ConversationID, &e.Subject, &data, &e.CreatedAt)
	e.Data = []byte(data)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

// EventsAfter lists the stored events for sub after id after, oldest
// first, at most limit: events of conversations sub is a member of now,
// and events about sub. gone is true when after is older than the oldest
// event kept (the client must reload).
//
// Read markers are the reader's own: others' read events are left out.
func (s *Store) EventsAfter(ctx context.Context, sub string, after int64, limit int) (list []messages.Event, gone bool, err error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if after > 0 {
			var purged int64
			if err := tx.QueryRowContext(ctx, `SELECT purged_up_to FROM events_purged WHERE id = 1`).Scan(&purged); err != nil {
				return err
			}
			if after < purged {
				gone = true
				return nil
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
			WHERE id > $1 AND (subject = $2 OR (kind <> $3 AND conversation_id IN (SELECT conversation_id FROM members WHERE subject = $2)))
			ORDER BY id LIMIT `+fmt.Sprint(limit), after, sub, messages.EventRead)
		list, err = db.Collect(rows, err, scanEvent)
		return err
	})
	return list, gone, err
}

// Event reads one stored event.
func (s *Store) Event(ctx context.Context, id int64) (messages.Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, messages.ErrNotFound
	}
	return e, err
}

// LastEventID is the newest stored event's id (0 for none).
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM events), (SELECT purged_up_to FROM events_purged WHERE id = 1), 0)`).Scan(&id)
	return id, err
}

// PurgeEvents removes events older than messages.EventRetention, and
// notices' idempotency keys older than NoticeKeyRetention.
func (s *Store) PurgeEvents(ctx context.Context) (int64, error) {
	cutoff := s.stamp().Add(-messages.EventRetention)
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var upTo sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM events WHERE created_at < $1`, cutoff).Scan(&upTo); err != nil {
			return err
		}
		if !upTo.Valid {
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id <= $1`, upTo.Int64)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `UPDATE events_purged SET purged_up_to = $1 WHERE id = 1 AND purged_up_to < $1`, upTo.Int64); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM notice_keys WHERE created_at < $1`, s.stamp().Add(-NoticeKeyRetention))
		return err
	})
	return n, err
}

// NoticeKeyRetention is how long a notice's idempotency key is kept: far
// longer than any sender retries.
const NoticeKeyRetention = 30 * 24 * time.Hour

// ConversationMembers lists the subjects of a conversation's members
// without asking who wants to know: for the fan-out, which follows a new
// conversation on its members' open streams (conversation.created names
// nobody). It must never answer a request directly; requests go through
// Members.
func (s *Store) ConversationMembers(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT subject FROM members WHERE conversation_id = $1 ORDER BY subject`, id)
	return db.Collect(rows, err, db.Value[string])
}
